"""Chapter 00's proof that this machine can run the course: a Lambda function runs, and an API URL answers."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import boto3
import requests

from . import steps

NAME = "environment-check"
HELLO_WORLD = Path(__file__).resolve().parent.parent / "lambda_src" / "hello_world"
EXPECTED_BODY = "Hello, World! from Lambda!"

FUNCTION_ADVICE = f"""\
  The sandbox runs every Lambda execution environment as a separate Python process, and this one could not
  run. Usual causes: antivirus or endpoint protection that blocks programs started by Python, or a
  locked-down computer that forbids starting processes.
  What to do: allow {sys.executable} (and the Python processes it starts) in your antivirus or
  endpoint protection, or take the course where processes may start: Binder, a dev container, another machine."""

URL_ADVICE = """\
  The sandbox serves API URLs on 127.0.0.1, and this kernel could not reach it. Usual causes: a proxy that
  also intercepts local addresses (HTTP_PROXY or HTTPS_PROXY set, with 127.0.0.1 missing from NO_PROXY),
  or a firewall that blocks connections on 127.0.0.1.
  What to do: add 127.0.0.1,localhost to NO_PROXY (and no_proxy) before starting JupyterLab, or allow
  local connections for Python in your firewall; then restart the kernel and run this notebook again."""


def check_machine() -> None:
    """Deploy a tiny function and API in the running sandbox, invoke it, call its URL, then delete both (lambda.invoke, logs.get_log_events, and the calls of steps.deploy_hello_world_api and steps.clean_up); raises if the machine can't run the course."""
    # A new name each time: every check starts a new execution environment, so the log has an INIT_START.
    name = f"{NAME}-{uuid.uuid4().hex[:8]}"
    try:
        api_id = steps.deploy_hello_world_api(HELLO_WORLD, name=name, role_name=name)
    except Exception as e:  # boto3 could not talk to the sandbox on 127.0.0.1
        _failed(f"boto3 could not reach the sandbox: {type(e).__name__}: {e}", URL_ADVICE)
        raise RuntimeError("The environment check failed: see what to do above.") from None
    try:
        function_ok = _check_function(name)
        url_ok = _check_url(steps.invoke_url(api_id, "dev", "/hello"), function_ok)
    finally:
        steps.clean_up(function_names=[name], rest_api_names=[name], role_names=[name])
    if not (function_ok and url_ok):
        raise RuntimeError("The environment check failed: see what to do above.")
    print("Your machine is ready for the course.")


def _check_function(name: str) -> bool:
    try:
        response = boto3.client("lambda").invoke(FunctionName=name, Payload=b"{}")
        result = json.loads(response["Payload"].read())
    except Exception as e:  # whatever stopped it, the advice is the same
        return _failed(f"the Lambda function did not run: {type(e).__name__}: {e}", FUNCTION_ADVICE)
    if "FunctionError" in response or result.get("statusCode") != 200:
        return _failed(f"the Lambda function failed: {result}", FUNCTION_ADVICE)
    init_start = [line.split("\t")[0] for line in steps.latest_log_lines(name, wait=5) if line.startswith("INIT_START")]
    print(f"ok  a Lambda function ran in its own process; its log says: {init_start[0] if init_start else '(no INIT_START)'}")
    return True


def _check_url(url: str, function_ok: bool) -> bool:
    try:
        response = requests.get(url, timeout=10)
    except requests.RequestException as e:
        return _failed(f"the API URL did not answer: {type(e).__name__}: {e}", URL_ADVICE)
    if not function_ok:  # the URL works if the sandbox answered at all; its 502 is the function's failure
        print(f"ok  the API URL answered (HTTP {response.status_code}, because the function could not run)")
        return True
    if response.status_code != 200 or response.text != json.dumps(EXPECTED_BODY):
        return _failed(f"the API URL answered {response.status_code} {response.text[:200]}", URL_ADVICE)
    print(f"ok  the API URL answered {response.status_code} {response.text}")
    return True


def _failed(what: str, advice: str) -> bool:
    print(f"FAILED  {what}\n{advice}")
    return False


def main() -> int:
    """The pre-flight check before a workshop: the course's packages import, then check_machine() in a sandbox of its own; 0 when ready."""
    import importlib

    from . import sandbox

    if sys.version_info < (3, 11):
        print(f"FAILED  Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
        return 1
    for package in ("boto3", "moto", "jupyterlab", "ipywidgets", "matplotlib", "requests"):
        try:
            importlib.import_module(package)
        except ImportError as e:
            print(f"FAILED  {package} is not installed ({e}): run `make lab` once, or install the project with pip install -e .")
            return 1
    print(f"ok  Python {sys.version.split()[0]} with the course's packages")
    box = sandbox.start()
    try:
        check_machine()
    except RuntimeError:
        return 1
    finally:
        box.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
