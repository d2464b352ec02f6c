"""Chapter 10 exercises: add PUT /notes/{id} to the notes API (deployed and called), fix a SAM template cfn-lint rejects."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import boto3
import requests

from ..cleanup import delete_resources
from ..deployment_package import zip_files
from ..iac import lint_template, package_template
from ..steps import invoke_url, latest_log_lines
from .exercise import Exercise, Incorrect

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
NOTES_APP = (LAMBDA_SRC / "notes_api" / "app.py").read_text()
PUT_ROUTE = '\n\nROUTES[("PUT", "/notes/{id}")] = update_note\n'
HELLO_TEMPLATE = (LAMBDA_SRC / "template.yaml").read_text()
# Three mistakes people make: a runtime past its deprecation, a memory size below Lambda's minimum,
# and a guess at the name of the API that SAM makes for Api events (it is ServerlessRestApi).
BROKEN_TEMPLATE = (HELLO_TEMPLATE.replace("Runtime: python3.12", "Runtime: python3.8")
                   .replace("MemorySize: 128", "MemorySize: 64").replace("${ServerlessRestApi}", "${HelloWorldApi}"))
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


def _deploy_update_note(update_note: object, function_name: str) -> None:
    if not callable(update_note):
        raise Incorrect("define a function update_note(event) that returns a proxy response.")
    try:
        source = textwrap.dedent(inspect.getsource(update_note))
    except (OSError, TypeError):
        raise Incorrect("I can't read your function's source: define update_note with def in a cell and run it.") from None
    name = getattr(update_note, "__name__", "update_note")
    alias = "" if name == "update_note" else f"\n\nupdate_note = {name}"
    code = NOTES_APP + "\n\n" + source + alias + PUT_ROUTE
    lam = boto3.client("lambda")
    lam.update_function_code(FunctionName=function_name, ZipFile=zip_files({"app.py": code}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=function_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def _call(method: str, url: str, function_name: str, **kwargs: object) -> requests.Response:
    answer = requests.request(method, url, timeout=30, **kwargs)
    if answer.status_code == 502:
        errors = [line for line in latest_log_lines(function_name, wait=1.0) if "[ERROR]" in line or "Traceback" in line]
        said = f" Its log says: {errors[-1].strip()}" if errors else " Read its log group for the traceback."
        raise Incorrect(f"{method} {url.split('_user_request_')[-1]} answered 502 Internal server error: your update_note "
                        f"raised or returned something that is not a proxy response.{said}")
    return answer


def _check_put(update_note: object, notes_url: str, notes_function: str) -> str:
    _deploy_update_note(update_note, notes_function)
    note = requests.post(notes_url, json={"text": "first draft"}, timeout=30).json()
    url = f"{notes_url}/{note['id']}"
    answer = _call("PUT", url, notes_function, json={"text": "final text"})
    if answer.status_code == 405:
        raise Incorrect("PUT still answers 405: the route was not added (is your function called update_note?).")
    if answer.status_code != 200:
        raise Incorrect(f"PUT with a good body answered {answer.status_code} {answer.text}; expected 200 and the updated note.")
    if answer.json() != {"id": note["id"], "text": "final text"}:
        raise Incorrect(f"PUT answered {answer.text}; expected the updated note, {{\"id\": \"{note['id']}\", \"text\": \"final text\"}}.")
    stored = requests.get(url, timeout=30).json()
    if stored.get("text") != "final text":
        raise Incorrect(f"PUT answered 200 but GET {url.split('_user_request_')[-1]} still says {stored}: write the new text to the table.")
    for body, what in ((b"not json", "a body that is not JSON"), (b'{"text": ""}', "an empty text"),
                       (b'{"title": "x"}', 'a body without "text"')):
        answer = _call("PUT", url, notes_function, data=body)
        if answer.status_code != 400:
            raise Incorrect(f"PUT with {what} answered {answer.status_code} {answer.text}; expected 400 with a message (read_text does the checks).")
        if "message" not in answer.json():
            raise Incorrect(f'PUT with {what} answered 400 {answer.text}; say what is wrong in {{"message": ...}}, as the other routes do.')
    missing = f"{notes_url}/nosuchid"
    answer = _call("PUT", missing, notes_function, json={"text": "ghost"})
    if answer.status_code != 404:
        created = requests.get(missing, timeout=30).status_code == 200
        why = " and it created the note: PUT must not create (use ConditionExpression='attribute_exists(id)')" if created else ""
        raise Incorrect(f"PUT on a note that does not exist answered {answer.status_code}{why}; expected 404.")
    return "PUT /notes/{id} answers 200 with the note, 400 for a bad body, 404 for a missing note; it is deployed."


def _check_template(fixed_template: object) -> str:
    if not isinstance(fixed_template, str):
        raise Incorrect("fixed_template is the template's text, a string.")
    findings = lint_template(fixed_template)
    if findings:
        raise Incorrect(f"cfn-lint still finds {len(findings)} problem(s):\n  " + "\n  ".join(findings))
    if "Type: Api" not in fixed_template or "Path: /hello" not in fixed_template:
        raise Incorrect("cfn-lint is happy, but the API is gone: keep the function's Api event for GET /hello.")
    cloudformation = boto3.client("cloudformation")
    stack = "chapter10-template-check"
    cloudformation.create_stack(StackName=stack, TemplateBody=package_template(fixed_template, LAMBDA_SRC, "chapter10-template-check"),
                                Capabilities=CAPABILITIES)
    try:
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])}
        api_id = outputs.get("HelloUrl", "").removeprefix("https://").split(".", 1)[0]
        answer = requests.get(invoke_url(api_id, "Prod", "/hello"), timeout=30)
    finally:
        cloudformation.delete_stack(StackName=stack)
        delete_resources([f"arn:aws:s3:::{stack}"])  # the bucket package_template uploaded the code to
    if answer.text != '"Hello, World! from Lambda!"':
        raise Incorrect(f"the stack deployed, but the HelloUrl output's API answered {answer.status_code} {answer.text}.")
    return "cfn-lint finds nothing, and the stack deployed and answered \"Hello, World! from Lambda!\"."


q1 = Exercise(
    "q1", ("update_note", "notes_url", "notes_function"), _check_put,
    "read the body with read_text(event) (it returns (text, problem)); answer 400 with the problem; then "
    "table.put_item(..., ConditionExpression='attribute_exists(id)') and catch "
    "table.meta.client.exceptions.ConditionalCheckFailedException for the 404.",
    '''def update_note(event):
    note_id = event["pathParameters"]["id"]
    text, problem = read_text(event)
    if problem:
        return respond(400, {"message": problem})
    try:
        table.put_item(Item={"id": note_id, "text": text}, ConditionExpression="attribute_exists(id)")
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return not_found(note_id)
    return respond(200, {"id": note_id, "text": text})''',
)
q2 = Exercise(
    "q2", ("fixed_template",), _check_template,
    "run lint_template(broken_template) and fix one finding at a time: a current runtime, 128 MB or more, "
    "and the name SAM gives the API it makes for Api events.",
    'fixed_template = (broken_template.replace("python3.8", "python3.12").replace("MemorySize: 64", "MemorySize: 128")\n'
    '                  .replace("${HelloWorldApi}", "${ServerlessRestApi}"))',
)
