"""Chapter 06 exercises: move slow work out of the handler, and provision concurrency for a burst."""

from __future__ import annotations

import hashlib
import hmac
import json
import statistics
from functools import lru_cache
from pathlib import Path

import boto3

from ..cold_starts import Call, deploy_function, invoke, invoke_burst, reports_for, wait_until_provisioned
from ..deployment_package import zip_files
from ..steps import create_basic_execution_role
from .exercise import Exercise, Incorrect

ROLE = "cold-starts-role"
SLOW_APP = Path(__file__).resolve().parent.parent.parent / "lambda_src" / "slow_key" / "app.py"
FAST_FUNCTION = "cold-starts-fast-key"
SLOW_FUNCTION = "cold-starts-slow-key"
BURST_FUNCTION = "cold-starts-checkout"
BURST = 5
# The burst's handler holds each request this long, so the requests overlap and each needs an environment.
BURST_HOLD_S = 0.2
_EVENTS = [{"order": n} for n in range(4)]


@lru_cache(maxsize=1)
def _key() -> bytes:
    return hashlib.pbkdf2_hmac("sha256", b"correct horse", b"battery staple", 200_000)


def _expected(event: dict) -> dict:
    signature = hmac.new(_key(), json.dumps(event, sort_keys=True).encode(), "sha256").hexdigest()
    return {"statusCode": 200, "body": json.dumps({"signature": signature[:16]})}


def _raised(call: Call) -> str:
    error = call.answer if isinstance(call.answer, dict) else {}
    return f"{error.get('errorType', 'an error')}: {error.get('errorMessage', call.answer)}"


def _check_fast_app(fast_app: object) -> str:
    if not isinstance(fast_app, str):
        raise Incorrect("fast_app is the source of app.py as a string: start from SLOW_APP's text, in triple quotes.")
    try:
        compile(fast_app, "app.py", "exec")
    except SyntaxError as error:
        raise Incorrect(f"your app.py does not compile: {error.msg} (line {error.lineno}).") from None
    if "pbkdf2_hmac" not in fast_app:
        raise Incorrect("keep deriving the key with hashlib.pbkdf2_hmac: the exercise moves the work, it does not remove it.")
    role = create_basic_execution_role(ROLE)
    calls = _cold_then_warm(FAST_FUNCTION, fast_app, role)
    for event, call in zip(_EVENTS, calls):
        if call.function_error:
            raise Incorrect(f"your handler raised {_raised(call)} — Lambda answered FunctionError: {call.function_error}.")
        if call.answer != _expected(event):
            raise Incorrect(f"for the event {event} your handler answers {call.answer}; it must answer as before: {_expected(event)}.")
    first, *warm = reports_for(FAST_FUNCTION, [call.request_id for call in calls])
    warm_ms = statistics.median(report.duration_ms for report in warm)
    # The original, measured now on the same machine: a busy machine slows both alike.
    original = reports_for(SLOW_FUNCTION, [call.request_id for call in _cold_then_warm(SLOW_FUNCTION, SLOW_APP.read_text(), role)])
    original_ms = statistics.median(report.duration_ms for report in original[1:])
    if warm_ms > original_ms / 4:
        raise Incorrect(f"warm calls still take {warm_ms:.0f} ms, the original's {original_ms:.0f} ms: the handler still "
                        "derives the key on every call. Derive it once, at module level, and use it in the handler.")
    where = ("in INIT, before the first request" if (first.init_duration_ms or 0) > first.duration_ms
             else "on the first call, then kept")
    return (f"the key is derived {where}: each warm call takes {warm_ms:.1f} ms instead of the original's "
            f"{original_ms:.0f} ms. Since August 2025 you pay for INIT time too — once per environment, not on every request.")


def _cold_then_warm(function: str, source: str, role: str) -> list[Call]:
    """Deploy `source` as `function` and call it once cold, then warm, with each test event."""
    deploy_function(function, zip_files({"app.py": source}), role, Timeout=30)  # a new function: its first call is cold
    return [invoke(function, event) for event in _EVENTS]


def _check_burst(burst_qualifier: object) -> str:
    client = boto3.client("lambda")
    if burst_qualifier in (None, "", "$LATEST"):
        raise Incorrect("$LATEST cannot have provisioned concurrency (AWS refuses it); publish a version, point an alias "
                        "at it and set burst_qualifier to the alias's name.")
    if not isinstance(burst_qualifier, str):
        raise Incorrect("burst_qualifier is the alias's name (or a version number) as a string, for example 'prod'.")
    try:
        if not burst_qualifier.isdigit():  # a version number needs no alias
            client.get_alias(FunctionName=BURST_FUNCTION, Name=burst_qualifier)
        config = wait_until_provisioned(BURST_FUNCTION, burst_qualifier)
    except client.exceptions.ResourceNotFoundException:
        raise Incorrect(f"{BURST_FUNCTION} has no alias or version {burst_qualifier!r}: create_alias first.") from None
    except client.exceptions.ProvisionedConcurrencyConfigNotFoundException:
        raise Incorrect(f"{burst_qualifier!r} has no provisioned concurrency yet: call "
                        "put_provisioned_concurrency_config with Qualifier set to it.") from None
    if config["Status"] == "FAILED":
        raise Incorrect(f"provisioning failed: {config.get('StatusReason', 'no reason given')}.")
    calls = invoke_burst(BURST_FUNCTION, BURST, {"sleep_s": BURST_HOLD_S}, qualifier=burst_qualifier)
    reports = reports_for(BURST_FUNCTION, [call.request_id for call in calls])
    cold = sum(report.cold for report in reports)
    requested = config["RequestedProvisionedConcurrentExecutions"]
    if cold:
        raise Incorrect(f"{cold} of the {BURST} requests were cold starts (Init Duration in their REPORT line): "
                        f"{requested} provisioned environment(s) serve {requested} request(s) at once, the rest start "
                        "on demand. Provision one environment per request that arrives together.")
    remark = (f" You provision {requested}: {requested - BURST} more than the burst needs, billed every hour."
              if requested > BURST else "")
    return (f"{BURST} requests at once and no Init Duration in any REPORT line: every request found an environment "
            f"initialized ahead of time.{remark}")


q1 = Exercise(
    "q1",
    ("fast_app",),
    _check_fast_app,
    "the line `key = hashlib.pbkdf2_hmac(...)` moves above `def lambda_handler` (no indent), and the handler uses that `key`.",
    '''fast_app = """
import hashlib
import hmac
import json

KEY = hashlib.pbkdf2_hmac("sha256", b"correct horse", b"battery staple", 200_000)


def lambda_handler(event, context):
    signature = hmac.new(KEY, json.dumps(event, sort_keys=True).encode(), "sha256").hexdigest()
    return {"statusCode": 200, "body": json.dumps({"signature": signature[:16]})}
"""''',
)

q2 = Exercise(
    "q2",
    ("burst_qualifier",),
    _check_burst,
    "three calls: publish_version, create_alias(Name='prod', FunctionVersion=...), then "
    "put_provisioned_concurrency_config(Qualifier='prod', ProvisionedConcurrentExecutions=BURST).",
    '''version = lambda_client.publish_version(FunctionName=BURST_FUNCTION)["Version"]
lambda_client.create_alias(FunctionName=BURST_FUNCTION, Name="prod", FunctionVersion=version)
lambda_client.put_provisioned_concurrency_config(FunctionName=BURST_FUNCTION, Qualifier="prod",
                                                 ProvisionedConcurrentExecutions=BURST)
burst_qualifier = "prod"''',
)
