"""Chapter 04 exercises: fix a broken handler, then greet by name test-first; both are deployed and called."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from ..steps import latest_log_lines
from .diagnosis import call, explain
from .exercise import Exercise, Incorrect, call_learner
from .handler_code import deploy_handler, module_source, run_unit_tests

FUNCTION = "hello-world-api"
NO_QUERY_STRING = "queryStringParameters is None when the URL has no query string"


def sample_event(query: dict[str, str] | None = None) -> dict[str, Any]:
    """A proxy event of GET /hello on stage dev, as API Gateway sends it (None, not {}, without a query string)."""
    return {
        "resource": "/hello", "path": "/hello", "httpMethod": "GET", "headers": None, "multiValueHeaders": None,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None, "stageVariables": None, "requestContext": {"stage": "dev"}, "body": None, "isBase64Encoded": False,
    }


def _why(query: dict[str, str] | None) -> Callable[[BaseException], str | None]:
    def why(error: BaseException) -> str | None:
        if query is None and "NoneType" in str(error):
            return f"{NO_QUERY_STRING} (event.get(key, {{}}) gives None then, not {{}}): use event.get(\"queryStringParameters\") or {{}}."
        if isinstance(error, KeyError):
            return "use .get() for a parameter that may be missing."
        return None
    return why


def _greeting(handler: Callable[..., Any], query: dict[str, str] | None) -> str:
    """Call the learner's handler with a sample event; return the text its body decodes to."""
    request = "GET /hello" + (f"?name={query['name']}" if query else "")
    response = call_learner(handler, sample_event(query), None, who=f"your handler (for {request})", why=_why(query))
    if not isinstance(response, dict) or "body" not in response:
        raise Incorrect("return a proxy response: a dict with statusCode and body, or API Gateway answers 502.")
    if not isinstance(response["body"], str):
        raise Incorrect(f"the body is a {type(response['body']).__name__}; it must be a string (json.dumps it), or API Gateway answers 502.")
    if str(response.get("statusCode")) != "200":
        raise Incorrect(f"statusCode is {response.get('statusCode')!r}; a greeting is 200.")
    try:
        return json.loads(response["body"])
    except ValueError:
        raise Incorrect(f"the body {response['body']!r} is not JSON: json.dumps the greeting.") from None


def _source(handler: object) -> str:
    if not callable(handler):
        raise Incorrect("define a function with def ...(event, context): in the cell above.")
    try:
        return module_source(handler)
    except (OSError, TypeError):
        raise Incorrect("write the handler with def in a notebook cell, so its code can be deployed.") from None


def _pass_unit_tests(source: str, work_dir: str | Path, *files: str) -> None:
    Path(work_dir, "app.py").write_text(source)
    run = run_unit_tests(work_dir, *files)
    if not run.passed:
        raise Incorrect(f"with your handler as app.py, the unit tests fail:\n{run}")


def _call_deployed(url: str, params: dict[str, str], expected: str) -> None:
    answer = call(url, params)
    if answer.status_code == 200 and answer.text == json.dumps(expected):
        return
    request = "GET /hello" + (f"?name={params['name']}" if params else "")
    errors = [line for line in latest_log_lines(FUNCTION) if "[ERROR]" in line]
    in_lambda = f" Its log says: {errors[0].strip()}" if errors else ""
    raise Incorrect(f"deployed, your handler answers {request} with {answer.status_code} {answer.text}; expected 200 {json.dumps(expected)}. "
                    f"{explain(answer)}{in_lambda}")


def _check_fixed_handler(fixed_handler: object, work_dir: str, url: str) -> str:
    source = _source(fixed_handler)
    greeting = _greeting(fixed_handler, None)
    if greeting != "Hello, World! from Lambda!":
        raise Incorrect(f"it says {greeting!r}; the API must still say 'Hello, World! from Lambda!'.")
    _pass_unit_tests(source, work_dir, "test_app.py")
    deploy_handler(fixed_handler, FUNCTION)
    _call_deployed(url, {}, "Hello, World! from Lambda!")
    return "the unit tests pass, and with your handler deployed the API answers 200 \"Hello, World! from Lambda!\" again."


def _check_named_handler(lambda_handler: object, work_dir: str, url: str) -> str:
    source = _source(lambda_handler)
    named = _greeting(lambda_handler, {"name": "Ada"})
    if named != "Hello, Ada! from Lambda!":
        raise Incorrect(f"for ?name=Ada it says {named!r}; the test expects 'Hello, Ada! from Lambda!'.")
    default = _greeting(lambda_handler, None)
    if default != "Hello, World! from Lambda!":
        raise Incorrect(f"without a name it says {default!r}; the original greeting must stay 'Hello, World! from Lambda!'.")
    _pass_unit_tests(source, work_dir)
    deploy_handler(lambda_handler, FUNCTION)
    _call_deployed(url, {"name": "Ada"}, "Hello, Ada! from Lambda!")
    _call_deployed(url, {}, "Hello, World! from Lambda!")
    return "every unit test passes, and your handler, deployed, answers ?name=Ada and a plain GET /hello through API Gateway."


q1 = Exercise(
    "q1", ("fixed_handler", "work_dir", "url"), _check_fixed_handler,
    "API Gateway needs the body as a string: json.dumps(...) it. The unit test's json.loads(...) error says the same.",
    '''def fixed_handler(event, context):
    return {"statusCode": 200, "body": json.dumps("Hello, World! from Lambda!")}''',
)
q2 = Exercise(
    "q2", ("lambda_handler", "work_dir", "url"), _check_named_handler,
    "query = event.get('queryStringParameters') or {} — it is None without a query string, and .get(key, {}) returns None then.",
    '''def lambda_handler(event, context):
    query = event.get("queryStringParameters") or {}
    name = query.get("name") or "World"
    return {"statusCode": 200, "body": json.dumps(f"Hello, {name}! from Lambda!")}''',
)
