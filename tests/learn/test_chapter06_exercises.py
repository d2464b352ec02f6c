"""Chapter 06's checkers: the reference solution is Correct, typical wrong answers get their own message."""

from __future__ import annotations

import re

import boto3
import pytest

from helpers.cold_starts import deploy_function
from helpers.learn import ____, chapter06
from helpers.steps import create_basic_execution_role, package_function
from tests.support import ROOT, solved, verdict

ENVIRONMENT_INFO = ROOT / "lambda_src" / "environment_info"


REFERENCE_APP = solved(chapter06.q1)["fast_app"]
SLOW_APP = chapter06.SLOW_APP.read_text()


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (____, "Not attempted"),
        (None, "Incorrect: fast_app is the source of app.py as a string"),
        (REFERENCE_APP.replace("def lambda_handler(event, context):", "def lambda_handler(event, context)"),
         "Incorrect: your app.py does not compile: expected ':'"),
        (REFERENCE_APP.replace('hashlib.pbkdf2_hmac("sha256", b"correct horse", b"battery staple", 200_000)', "b'0' * 32"),
         "Incorrect: keep deriving the key with hashlib.pbkdf2_hmac"),
    ],
)
def test_q1_answers_refused_before_deploying(answer, expected, capsys):
    assert verdict(chapter06.q1, {"fast_app": answer}, capsys).startswith(expected)


@pytest.fixture
def role(sandbox):
    return create_basic_execution_role(chapter06.ROLE)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (REFERENCE_APP, "Correct: the key is derived in INIT, before the first request"),
        # Lazy: derived on the first call and kept; also removes the work from warm calls.
        (SLOW_APP.replace("    key = hashlib", "    global KEY\n    KEY = KEY or hashlib").replace("hmac.new(key", "hmac.new(KEY")
         .replace("def lambda_handler", "KEY = None\n\n\ndef lambda_handler"), "Correct: the key is derived on the first call, then kept"),
        (SLOW_APP, "Incorrect: warm calls still take"),
        # Derived at module level, but the handler still derives its own.
        (SLOW_APP.replace("def lambda_handler", 'KEY = hashlib.pbkdf2_hmac("sha256", b"correct horse", b"battery staple", 200_000)\n\n\ndef lambda_handler'),
         "Incorrect: warm calls still take"),
        (REFERENCE_APP.replace("hmac.new(KEY", "hmac.new(key"), "Incorrect: your handler raised NameError: name 'key' is not defined"),
        ("import yaml\n" + REFERENCE_APP, "Incorrect: your handler raised Runtime.ImportModuleError: Unable to import module 'app': No module named 'yaml'"),
        (REFERENCE_APP.replace("signature[:16]", "signature"), "Incorrect: for the event {'order': 0} your handler answers"),
    ],
)
def test_q1_deploys_and_measures_the_learners_code(role, answer, expected, capsys):
    assert verdict(chapter06.q1, {"fast_app": answer}, capsys).startswith(expected)


@pytest.fixture
def burst_function(role):
    deploy_function(chapter06.BURST_FUNCTION, package_function(ENVIRONMENT_INFO), role)
    return boto3.client("lambda")


def alias_with(client, provisioned: int | None, name: str = "prod") -> str:
    version = client.publish_version(FunctionName=chapter06.BURST_FUNCTION)["Version"]
    client.create_alias(FunctionName=chapter06.BURST_FUNCTION, Name=name, FunctionVersion=version)
    if provisioned:
        client.put_provisioned_concurrency_config(FunctionName=chapter06.BURST_FUNCTION, Qualifier=name,
                                                  ProvisionedConcurrentExecutions=provisioned)
    return name


def test_q2_reference_solution(burst_function, capsys):
    namespace = solved(chapter06.q2, lambda_client=burst_function, BURST=chapter06.BURST,
                       BURST_FUNCTION=chapter06.BURST_FUNCTION)
    assert verdict(chapter06.q2, namespace, capsys).startswith("Correct: 5 requests at once and no Init Duration")


@pytest.mark.parametrize("qualifier", ["$LATEST", None, ""])
def test_q2_latest_is_not_an_answer(burst_function, qualifier, capsys):
    assert verdict(chapter06.q2, {"burst_qualifier": qualifier}, capsys).startswith(
        "Incorrect: $LATEST cannot have provisioned concurrency")


def test_q2_a_missing_alias(burst_function, capsys):
    assert verdict(chapter06.q2, {"burst_qualifier": "prod"}, capsys) == (
        "Incorrect: cold-starts-checkout has no alias or version 'prod': create_alias first.")


def test_q2_an_alias_without_provisioned_concurrency(burst_function, capsys):
    alias_with(burst_function, None)
    assert verdict(chapter06.q2, {"burst_qualifier": "prod"}, capsys).startswith(
        "Incorrect: 'prod' has no provisioned concurrency yet")


def test_q2_too_few_environments_leave_cold_starts(burst_function, capsys):
    alias_with(burst_function, 2)
    # Three requests find no provisioned environment (fewer only if a thread starts after a request has ended).
    assert re.match(r"Incorrect: [123] of the 5 requests were cold starts \(Init Duration in their REPORT line\): "
                    r"2 provisioned environment\(s\) serve 2 request\(s\) at once",
                    verdict(chapter06.q2, {"burst_qualifier": "prod"}, capsys))


def test_q2_more_than_enough_is_correct_but_costs(burst_function, capsys):
    alias_with(burst_function, 7)
    said = verdict(chapter06.q2, {"burst_qualifier": "prod"}, capsys)
    assert said.startswith("Correct") and "You provision 7: 2 more than the burst needs" in said


def test_q2_not_a_string(burst_function, capsys):
    assert verdict(chapter06.q2, {"burst_qualifier": 1}, capsys).startswith("Incorrect: burst_qualifier is the alias's name")
