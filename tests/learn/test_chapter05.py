"""Chapter 05's "what went wrong?" exercises: every breakage fails as AWS would, the checker names wrong diagnoses and
unfinished fixes, and each breakage's own fix (the reference solution) makes the URL answer 200."""

from __future__ import annotations

import configparser
import copy
import json
import random
import re

import boto3
import nbformat
import pytest
import requests
from nbclient import NotebookClient

from helpers.deployment_package import zip_files
from helpers.learn import ____, chapter05
from helpers.steps import find_rest_api
from tests.support import ROOT

SEED_OF = {kind.key: next(s for s in range(100) if random.Random(s).choice(chapter05.POOL) is kind) for kind in chapter05.POOL}
# What each breakage shows the learner: the status through the API and the evidence in the logs.
SYMPTOM = {
    "missing-setting": (502, "[ERROR] KeyError: 'GREETING'"),
    "syntax-error": (502, "[ERROR] Runtime.UserCodeSyntaxError: Syntax error in module 'app'"),
    "not-serializable": (502, "[ERROR] Runtime.MarshalError: Unable to marshal response: Object of type datetime is not JSON serializable"),
    "code-in-a-folder": (502, "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'app'"),
    "no-concurrency": (500, "Lambda refused the invocation: TooManyRequestsException"),
    "permission-for-another-api": (500, "Execution failed due to configuration error: Invalid permissions on Lambda function"),
}


def verdict(exercise, namespace, capsys) -> str:
    exercise.check(namespace)
    return capsys.readouterr().out.strip()


def evidence(broken: chapter05.Breakage) -> str:
    """The function's log and the Test button's log, as a learner would read them."""
    logs = boto3.client("logs")
    try:
        lines = [e["message"] for e in logs.filter_log_events(logGroupName=f"/aws/lambda/{broken.function_name}")["events"]]
    except logs.exceptions.ResourceNotFoundException:
        lines = []
    apigateway = boto3.client("apigateway")
    resource = next(r["id"] for r in apigateway.get_resources(restApiId=broken.api_id)["items"] if r["path"] == "/hello")
    log = apigateway.test_invoke_method(restApiId=broken.api_id, resourceId=resource, httpMethod="GET")["log"]
    return "\n".join(lines) + "\n" + log


def test_the_pool_has_at_least_five_kinds_and_every_cause_is_on_the_menu():
    assert len(chapter05.POOL) >= 5
    assert len({kind.key for kind in chapter05.POOL}) == len(chapter05.POOL)
    assert all(kind.cause in chapter05.CAUSES and set(kind.near) <= set(chapter05.CAUSES) for kind in chapter05.POOL)


def test_the_chapters_seeds_give_three_different_breakages():
    assert len({random.Random(seed).choice(chapter05.POOL).key for seed in (2, 5, 9)}) == 3


@pytest.mark.parametrize("key", sorted(SEED_OF))
def test_each_breakage_fails_as_aws_does_and_its_fix_makes_it_work(sandbox, key, capsys):
    broken = chapter05.new_breakage(seed=SEED_OF[key])
    assert broken.kind.key == key
    status, line = SYMPTOM[key]
    answer = requests.get(broken.url, timeout=30)
    assert (answer.status_code, answer.json()) == (status, {"message": "Internal server error"})
    assert line in evidence(broken)
    broken.hint()
    assert capsys.readouterr().out == f"Hint: look at {broken.kind.look}\n"
    assert broken.zip_names == (["hello_world/app.py"] if key == "code-in-a-folder" else ["app.py"])
    namespace = {"cause1": broken.cause, "broken1": broken}
    assert verdict(chapter05.q1, namespace, capsys).startswith(
        f"Incorrect: right cause, but the URL still fails. API Gateway answered {status}")
    for wrong, message in broken.kind.near.items():
        assert verdict(chapter05.q1, {"cause1": wrong, "broken1": broken}, capsys) == f"Incorrect: {message}"
    exec(chapter05.q1.solution_code, namespace)  # the reference solution: print the fix, run it, name the cause
    assert f"Cause: {broken.cause}" in capsys.readouterr().out
    assert verdict(chapter05.q1, namespace, capsys) == (
        f"Correct: {chapter05.CAUSES[broken.cause]} — fixed: GET answers 200 \"Hello, World! from Lambda!\".")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"cause1": ____}, "Not attempted: fill in `cause1`"),
        ({"cause1": "timeout"}, "Incorrect: the evidence does not point to the function ran past its timeout"),
        ({"cause1": "it's broken"}, "Incorrect: \"it's broken\" is not one of the causes"),
        ({"cause1": ["syntax-error"]}, "Incorrect: ['syntax-error'] is not one of the causes"),
        ({"cause1": None}, "Incorrect: None is not one of the causes"),
    ],
)
def test_wrong_diagnoses_are_named(sandbox, answer, expected, capsys):
    broken = chapter05.new_breakage(seed=SEED_OF["syntax-error"])
    assert verdict(chapter05.q1, {"broken1": broken, **answer}, capsys).startswith(expected)


def test_without_a_breakage_the_learner_is_told_to_make_one(capsys):
    assert verdict(chapter05.q2, {"cause2": "timeout", "broken2": "mystery"}, capsys).startswith(
        "Incorrect: run the cell that makes the broken deployment first")


def test_a_fix_that_deploys_code_which_raises_is_reported_with_the_apis_answer(sandbox, capsys):
    broken = chapter05.new_breakage(seed=SEED_OF["syntax-error"])
    raising = broken.source.replace("context)\n", "context):\n    raise ValueError('oops')\n")
    boto3.client("lambda").update_function_code(FunctionName=broken.function_name, ZipFile=zip_files({"app.py": raising}))
    message = verdict(chapter05.q3, {"cause3": "syntax-error", "broken3": broken}, capsys)
    assert message.startswith("Incorrect: right cause, but the URL still fails. API Gateway answered 502")
    assert "read its logs in CloudWatch" in message


def test_asking_again_for_a_seed_starts_it_afresh(sandbox):
    first = chapter05.new_breakage(seed=SEED_OF["no-concurrency"])
    first.repair()
    assert requests.get(first.url, timeout=30).status_code == 200
    again = chapter05.new_breakage(seed=SEED_OF["no-concurrency"])
    assert again.api_id != first.api_id and find_rest_api(again.function_name) == again.api_id
    assert requests.get(again.url, timeout=30).status_code == 500
    removed = chapter05.remove_breakages(again)
    assert f"REST API {again.function_name}" in removed and f"role {again.function_name}-role" in removed


def test_a_random_breakage_names_its_seed(sandbox):
    broken = chapter05.new_breakage()
    assert repr(broken).startswith(f"Breakage(seed={broken.seed}): GET {broken.url}")
    assert json.loads(json.dumps(broken.cause)) in chapter05.CAUSES


def test_the_chapter_survives_run_all_twice_in_one_kernel():
    root = ROOT
    notebook = nbformat.read(root / "notebooks" / "05_common_mistakes.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    twice = copy.deepcopy(notebook)
    twice.cells = copy.deepcopy(code) + copy.deepcopy(code)
    # Raises on the first error outside a cell tagged raises-exception.
    NotebookClient(twice, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(root / "notebooks")}}).execute()
    # The second run makes new ids (APIs, requests): compare what the sanitizer leaves, as nbval does.
    rules = configparser.ConfigParser(interpolation=None)
    rules.read(root / "tests" / "sanitize.cfg")

    def printed(cell) -> str:
        text = "".join(o.get("text", "") or "".join(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
        for section in rules.sections():
            text = re.sub(rules[section]["regex"], rules[section]["replace"], text)
        return text

    first, second = twice.cells[:len(code)], twice.cells[len(code):]
    assert [printed(c) for c in second] == [printed(c) for c in first]


def test_start_over_gives_a_new_sandbox_with_hello_world_and_the_chapter_goes_on():
    root = ROOT
    notebook = nbformat.read(root / "notebooks" / "05_common_mistakes.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    setup, reset = code[0], next(c for c in code if c.source.startswith("START_OVER = False"))
    first_mistake = next(c for c in code if c.source.startswith("lambda_client.remove_permission"))
    reset.source = reset.source.replace("START_OVER = False", "START_OVER = True")
    cleanup = code[-1]
    run = copy.deepcopy(notebook)
    run.cells = copy.deepcopy([setup, reset, first_mistake, cleanup])
    NotebookClient(run, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(root / "notebooks")}}).execute()
    assert "".join(o.get("text", "") for o in run.cells[1].outputs) == (
        'A new sandbox, hello world deployed again: "Hello, World! from Lambda!"\n')
    assert "".join(o.get("text", "") for o in run.cells[2].outputs).startswith('500 {"message": "Internal server error"}')
