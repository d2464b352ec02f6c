"""The Lambda Invoke API replayed against responses recorded on real AWS.

Each row is a fact taken from a public recording of AWS's answer (LocalStack's AWS-validated
snapshots, tests/aws/services/lambda_/test_lambda.snapshot.json and test_lambda_api.snapshot.json,
recorded 2022-2026; the test names are given per row; one row quotes AWS's answer as reported in
public issues), restated here as scenario -> expected status, error code, message or payload. The
sandbox must give the same answer through plain boto3.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import create_function

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
VALIDATION = "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: {}"


@dataclass(frozen=True)
class Recorded:
    """One recorded answer: what was asked, where the recording is, what AWS answered."""

    name: str
    recording: str  # the recorded test, in LocalStack's snapshot files
    ask: Callable[[Any, Any], Any]  # (lambda client, sandbox) -> the Invoke response, or raises ClientError
    status: int
    error: tuple[str, str] | None = None  # (code, message or a regex ending with $; <probe> etc. filled in)
    check: Callable[[Any, Any], None] | None = None  # further facts about a successful answer


def _arn(sandbox: Any, name: str, region: str | None = None) -> str:
    return f"arn:aws:lambda:{region or sandbox.region}:{sandbox.account_id}:function:{name}"


def _payload(response: Any) -> Any:
    return json.loads(response["Payload"].read())


def _tail(response: Any) -> list[str]:
    return base64.b64decode(response["LogResult"]).decode().splitlines()


def _qualified(response: Any, sandbox: Any) -> None:
    body = _payload(response)
    assert response["ExecutedVersion"] == "1"
    assert body["event"] == {"foo": "bar with 'quotes\""}
    context = body["context"]
    assert context["invoked_function_arn"] == _arn(sandbox, "probe") + ":1"
    assert (context["function_version"], context["function_name"]) == ("1", "probe")
    assert (context["memory_limit_in_mb"], context["client_context"]) == ("128", None)
    assert context["log_group_name"] == "/aws/lambda/probe"
    request_id = context["aws_request_id"]
    lines = _tail(response)
    assert lines[0] == f"START RequestId: {request_id} Version: 1"
    assert "Lambda log message - print function" in lines
    assert re.fullmatch(rf"\[INFO\]\t\S+Z\t{request_id}\tLambda log message - logging module",
                        next(line for line in lines if line.startswith("[INFO]")))
    assert f"END RequestId: {request_id}" in lines


def _tail_of_first_call(response: Any, sandbox: Any) -> None:
    assert (response["ExecutedVersion"], response["StatusCode"]) == ("$LATEST", 200)
    lines = _tail(response)
    request_id = re.fullmatch(rf"START RequestId: ({UUID}) Version: \$LATEST", lines[0]).group(1)
    assert f"END RequestId: {request_id}" in lines
    report = lines[-1]
    assert re.fullmatch(rf"REPORT RequestId: {request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
                        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms\t", report), report


def _timed_out(response: Any, sandbox: Any) -> None:
    assert (response["StatusCode"], response["FunctionError"], response["ExecutedVersion"]) == (200, "Unhandled", "$LATEST")
    body = _payload(response)
    assert list(body) == ["errorType", "errorMessage"] and body["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(rf"RequestId: {UUID} Error: Task timed out after 1\.00 seconds", body["errorMessage"])


def _request_id(response: Any, sandbox: Any) -> None:
    assert _payload(response) == response["ResponseMetadata"]["RequestId"]
    assert response["ExecutedVersion"] == "$LATEST"


def _empty(response: Any, sandbox: Any) -> None:
    assert response["Payload"].read() == b""
    assert "FunctionError" not in response


def _null(response: Any, sandbox: Any) -> None:
    assert (response["Payload"].read(), response["ExecutedVersion"]) == (b"null", "$LATEST")


def _invoke(**kwargs: Any) -> Callable[[Any, Any], Any]:
    return lambda client, sandbox: client.invoke(**{"FunctionName": "probe", **kwargs})


FUNCTION_NAME_PATTERN = ("Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
                         r"((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
                         r"([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?")

ROWS = [
    Recorded("function that does not exist", "TestLambdaFeatures::test_invoke_exceptions",
             lambda client, sandbox: client.invoke(FunctionName="doesnotexist"), 404,
             ("ResourceNotFoundException", "Function not found: <missing>:$LATEST")),
    Recorded("DryRun", "TestLambdaFeatures::test_invocation_type_dry_run",
             _invoke(InvocationType="DryRun"), 204, check=_empty),
    Recorded("Event", "TestLambdaFeatures::test_invocation_type_event",
             _invoke(InvocationType="Event", Payload=b'{"action": "nothing"}'), 202, check=_empty),
    Recorded("a handler that returns nothing", "TestLambdaFeatures::test_invocation_type_no_return_payload",
             _invoke(Payload=b'{"action": "nothing"}'), 200, check=_null),
    Recorded("a published version, LogType=Tail", "TestLambdaFeatures::test_invocation_with_qualifier",
             _invoke(Qualifier="1", LogType="Tail", Payload=json.dumps({"foo": "bar with 'quotes\""}).encode()),
             200, check=_qualified),
    Recorded("LogType=Tail on a cold start", "TestLambdaFeatures::test_invocation_with_logs",
             _invoke(FunctionName="cold", LogType="Tail", Payload=b'{"action": "nothing"}'), 200,
             check=_tail_of_first_call),
    Recorded("the function times out", "TestLambdaBehavior::test_lambda_invoke_with_timeout",
             _invoke(FunctionName="sleepy", Payload=b'{"action": "sleep", "seconds": 3}'), 200, check=_timed_out),
    Recorded("the request id", "TestRequestIdHandling::test_request_id_invoke",
             _invoke(Payload=b'{"action": "request id"}'), 200, check=_request_id),
    Recorded("a function name the pattern refuses", "TestLambdaFunction::test_invalid_invoke",
             lambda client, sandbox: client.invoke(FunctionName="arn:aws:lambda:us-east-1:123400000000@function:myfn"),
             400, ("ValidationException", VALIDATION.format("arn:aws:lambda:us-east-1:123400000000@function:myfn",
                                                            "functionName", FUNCTION_NAME_PATTERN))),
    Recorded("a qualifier of 129 characters",
             "TestLambdaFunction::test_function_name_and_qualifier_validation[qualifier_too_long-invoke]",
             _invoke(Qualifier="a" * 129), 400,
             ("ValidationException", VALIDATION.format("a" * 129, "qualifier",
                                                       "Member must have length less than or equal to 128"))),
    Recorded("$latest in lower case",
             "TestLambdaFunction::test_function_name_and_qualifier_validation[lowercase_latest_qualifier-invoke]",
             _invoke(Qualifier="$latest"), 404, ("ResourceNotFoundException", "Function not found: <probe>:$latest")),
    Recorded("$LATEST misspelled in the ARN",
             "TestLambdaFunction::test_function_name_and_qualifier_validation[misspelled_latest_in_arn-invoke]",
             lambda client, sandbox: client.invoke(FunctionName=_arn(sandbox, "probe") + ":$LATES"), 400,
             ("ValidationException", VALIDATION.format("<probe>:$LATES", "functionName", FUNCTION_NAME_PATTERN))),
    Recorded("an ARN of another Region", "TestLambdaFunction::test_get_function_wrong_region[invoke]",
             lambda client, sandbox: client.invoke(FunctionName=_arn(sandbox, "probe", "ap-southeast-1")), 404,
             ("ResourceNotFoundException", "Functions from 'ap-southeast-1' are not reachable in this region ('<region>')")),
    Recorded("a payload that is not JSON", "TestLambdaErrors::test_lambda_invoke_payload_encoding_error",
             _invoke(Payload=b"n\x87r\x9e\xe9\xb5\xd7I\xee\x9bmt"), 400,
             ("InvalidRequestContentException",
              r"Could not parse request body into json: Could not parse payload into json: .+$")),
    Recorded("a synchronous payload over 6 MB", "reported in AWS answers (Status Code: 413), not a snapshot",
             _invoke(Payload=b'"' + b"x" * 6291456 + b'"'), 413,
             ("RequestEntityTooLargeException",
              "Request must be smaller than 6291456 bytes for the InvokeFunction operation")),
    Recorded("provisioned concurrency on $LATEST",
             "TestLambdaProvisionedConcurrency::test_provisioned_concurrency_exceptions",
             lambda client, sandbox: client.put_provisioned_concurrency_config(
                 FunctionName="probe", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1), 400,
             ("InvalidParameterValueException",
              "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")),
    Recorded("provisioned concurrency of 0", "TestLambdaProvisionedConcurrency::test_provisioned_concurrency_exceptions",
             lambda client, sandbox: client.put_provisioned_concurrency_config(
                 FunctionName="probe", Qualifier="1", ProvisionedConcurrentExecutions=0), 400,
             ("ValidationException", VALIDATION.format(0, "provisionedConcurrentExecutions",
                                                       "Member must have value greater than or equal to 1"))),
    Recorded("no provisioned concurrency config", "TestLambdaProvisionedConcurrency::test_provisioned_concurrency_exceptions",
             lambda client, sandbox: client.get_provisioned_concurrency_config(FunctionName="probe", Qualifier="1"), 404,
             ("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")),
    Recorded("provisioned concurrency above the account's",
             "TestLambdaProvisionedConcurrency::test_provisioned_concurrency_limits",
             lambda client, sandbox: client.put_provisioned_concurrency_config(
                 FunctionName="probe", Qualifier="1", ProvisionedConcurrentExecutions=1001), 400,
             ("InvalidParameterValueException",
              "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [1000].")),
    Recorded("provisioned concurrency that leaves under 100 unreserved",
             "TestLambdaProvisionedConcurrency::test_provisioned_concurrency_limits",
             lambda client, sandbox: client.put_provisioned_concurrency_config(
                 FunctionName="probe", Qualifier="1", ProvisionedConcurrentExecutions=1000), 400,
             ("InvalidParameterValueException", "Specified ConcurrentExecutions for function decreases account's "
              "UnreservedConcurrentExecution below its minimum value of [100].")),
    Recorded("reserved concurrency that leaves under 100 unreserved",
             "TestLambdaReservedConcurrency::test_function_concurrency_limits",
             lambda client, sandbox: client.put_function_concurrency(FunctionName="probe", ReservedConcurrentExecutions=901),
             400, ("InvalidParameterValueException", "Specified ReservedConcurrentExecutions for function decreases "
                   "account's UnreservedConcurrentExecution below its minimum value of [100].")),
]


@pytest.fixture(scope="module")
def deployed():
    from helpers import sandbox as sandbox_module

    box = sandbox_module.start()
    try:
        for name, timeout in (("probe", 10), ("cold", 10), ("sleepy", 1)):
            create_function(box, name, "invoke_probe.py", Timeout=timeout)
        box.client("lambda").publish_version(FunctionName="probe")
        yield box
    finally:
        box.stop()


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_recorded_invoke_answer(deployed, row):
    client = deployed.client("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 0}))
    if row.error is None:
        response = row.ask(client, deployed)
        assert response["StatusCode"] == response["ResponseMetadata"]["HTTPStatusCode"] == row.status
        row.check(response, deployed)
        return
    with pytest.raises(ClientError) as caught:
        row.ask(client, deployed)
    answer = caught.value.response
    code, message = row.error
    for token, value in (("<probe>", _arn(deployed, "probe")), ("<missing>", _arn(deployed, "doesnotexist")),
                         ("<region>", deployed.region)):
        message = message.replace(token, value)
    assert (answer["ResponseMetadata"]["HTTPStatusCode"], answer["Error"]["Code"]) == (row.status, code)
    if message.endswith("$"):
        assert re.fullmatch(message[:-1], answer["Error"]["Message"], re.DOTALL), answer["Error"]["Message"]
    else:
        assert answer["Error"]["Message"] == message

