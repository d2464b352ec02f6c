"""Which chapter taught what: the course's chapter files and its interview topics, as Markdown links.

TOPICS is the one table that says which chapter taught what; every link in
chapter 09 is written from it, and only to chapter files that exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent.parent / "notebooks"

# The course's chapter files, by number. Chapters that are not written yet are
# named "(coming)" instead of linked, until their file lands in notebooks/.
CHAPTER_FILES = {
    "01": "01_concepts.ipynb",
    "02": "02_create_lambda_function.ipynb",
    "03": "03_create_rest_api.ipynb",
    "04": "04_test_the_api.ipynb",
    "05": "05_common_mistakes.ipynb",
    "06": "06_cold_starts.ipynb",
    "07": "07_monitoring_and_debugging.ipynb",
    "08": "08_security_and_limits.ipynb",
    "10": "10_real_world_and_cleanup.ipynb",
}


@dataclass(frozen=True)
class Topic:
    """An interview topic: its title and the chapters where the learner did it."""

    title: str
    chapters: tuple[str, ...]


TOPICS = {
    "benefits": Topic("Benefits of serverless", ("01",)),
    "compute": Topic("Lambda vs EC2, Fargate and Lambda Managed Instances", ("01", "02")),
    "api gateway": Topic("The role of API Gateway", ("03", "04")),
    "rest vs http": Topic("REST API vs HTTP API", ("01", "03")),
    "cold starts": Topic("Cold starts and provisioned concurrency", ("06",)),
    "security": Topic("Security: IAM roles, resource-based policies, authorizers", ("02", "03", "08")),
    "monitoring": Topic("Debugging and monitoring with CloudWatch", ("05", "07")),
    "limits": Topic("Throttling and limits", ("08",)),
    "functions": Topic("Lambda functions: handler, package, configuration", ("02",)),
    "deploying": Topic("Deploying a REST API: resources, methods, stages", ("03",)),
    "testing": Topic("Testing a serverless API", ("04",)),
    "cost": Topic("What it costs", ("01",)),
    "real world": Topic("Real-world patterns, infrastructure as code, cleanup", ("10",)),
}


def chapter_link(number: str, notebooks: Path = NOTEBOOKS) -> str:
    """A Markdown link to chapter `number` if its file exists in `notebooks`, else "chapter NN (coming)"."""
    name = CHAPTER_FILES[number]
    return f"[chapter {number}]({name})" if (notebooks / name).exists() else f"chapter {number} (coming)"


def revisit(topic: str, notebooks: Path = NOTEBOOKS) -> str:
    """Where a topic was taught: its chapters as Markdown links (or "(coming)")."""
    links = [chapter_link(number, notebooks) for number in TOPICS[topic].chapters]
    return " and ".join(filter(None, [", ".join(links[:-1]), links[-1]]))


def topic_table(notebooks: Path = NOTEBOOKS) -> str:
    """The topics and their chapters as a Markdown table."""
    rows = [f"| {t.title} | {revisit(key, notebooks)} |" for key, t in TOPICS.items()]
    return "\n".join(["| topic | where you did it |", "|---|---|", *rows])
