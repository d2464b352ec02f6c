"""Chapter 09: interview flashcards, scenario questions, "explain this output", the course quiz and two exercises.

The notebook imports everything from here; the cards, the quiz and the
explanations live in their own modules, and the exercises below.
"""

from __future__ import annotations

import math

import boto3
import requests

from ..steps import invoke_url
from .course_map import CHAPTER_FILES, NOTEBOOKS, TOPICS, Topic, chapter_link, revisit, topic_table
from .course_questions import course_quiz
from .diagnosis import explain
from .exercise import Exercise, Incorrect
from .explain_output import explain_403, explain_502, explain_report, gb_seconds_of, report_fields
from .interview_answers import flashcards, scenarios

__all__ = [
    "CHAPTER_FILES", "NOTEBOOKS", "TOPICS", "Topic", "chapter_link", "course_quiz", "explain_403", "explain_502",
    "explain_report", "flashcards", "gb_seconds_of", "q1", "q2", "report_fields", "revisit", "scenarios",
    "topic_table",
]


def _check_gb_seconds(billed_gb_seconds: object, report_line: str) -> str:
    if isinstance(billed_gb_seconds, bool) or not isinstance(billed_gb_seconds, (int, float)):
        raise Incorrect("give the GB-seconds as a number.")
    f = report_fields(report_line)
    billed, memory, duration = f["Billed Duration"], f["Memory Size"], f["Duration"]
    expected = gb_seconds_of(report_line)

    def close(value: float) -> bool:
        return math.isclose(billed_gb_seconds, value, rel_tol=0.005)

    if close(expected):
        return f"{billed:.0f} ms × {memory / 1024:g} GB = {expected:.6f} GB-s, Init Duration included."
    wrong = [
        (billed * memory / 1024, "that is GB-milliseconds: divide the Billed Duration by 1,000 to get seconds."),
        (billed / 1000 * memory, "that is MB-seconds: divide the Memory Size by 1,024 to get GB."),
        (billed / 1000 * memory / 1000, "Lambda counts 1 GB as 1,024 MB, not 1,000."),
        (billed / 1000 * f.get("Max Memory Used", -1) / 1024, "Lambda bills the memory you configured (Memory Size), not Max Memory Used."),
        (duration / 1000 * memory / 1024, "that uses Duration; the bill uses Billed Duration (rounded up, INIT included)."),
        (math.ceil(duration) / 1000 * memory / 1024,
         "that leaves INIT out: since 1 Aug 2025 Billed Duration includes the Init Duration of a cold start."),
    ]
    for value, message in wrong:
        if close(value):
            raise Incorrect(message)
    raise Incorrect(f"{billed_gb_seconds:g} is not it: Billed Duration in seconds × Memory Size in GB.")


def _check_fix(fix: object, api_id: str) -> str:
    apigateway = boto3.client("apigateway")
    if isinstance(fix, dict) and "Statement" in fix:
        raise Incorrect("that added an invoke permission; a missing permission shows as 500 Internal server error, not 403.")
    if isinstance(fix, dict) and ("httpMethod" in fix or "pathPart" in fix):
        raise Incorrect("the resource and its method already exist in the API's configuration (see get_resources): "
                        "the stage just doesn't serve them yet.")
    if not isinstance(fix, dict) or "id" not in fix:
        raise Incorrect("store the response of the boto3 call that fixes it in `fix`, e.g. fix = apigateway.<call>(...).")
    stages = {s["stageName"]: s["deploymentId"] for s in apigateway.get_stages(restApiId=api_id)["item"]}
    on = [name for name, deployment in stages.items() if deployment == fix["id"]]
    if not on:
        raise Incorrect("that deployment is on no stage: pass stageName='dev' so the dev stage serves it.")
    if "dev" not in on:
        raise Incorrect(f"that deployed to stage {on[0]!r}, but the URL calls /dev/: deploy to 'dev'.")
    answer = requests.get(invoke_url(api_id, "dev", "/goodbye"), timeout=10)
    if answer.status_code == 200:
        return f"the dev stage now serves the new deployment: GET /dev/goodbye answers {answer.status_code} {answer.text}."
    raise Incorrect(explain(answer))


q1 = Exercise(
    "q1", ("billed_gb_seconds", "report_line"), _check_gb_seconds,
    "GB-seconds = Billed Duration (ms) / 1,000 × Memory Size (MB) / 1,024; report_fields(report_line) reads the numbers.",
    'fields = report_fields(report_line)\n'
    'billed_gb_seconds = fields["Billed Duration"] / 1000 * fields["Memory Size"] / 1024',
)
q2 = Exercise(
    "q2", ("fix", "api_id"), _check_fix,
    "the resource is in get_resources, yet the stage answers 403: what makes a stage serve the API's current configuration?",
    'fix = apigateway.create_deployment(restApiId=api_id, stageName="dev", description="Add GET /goodbye")',
)
