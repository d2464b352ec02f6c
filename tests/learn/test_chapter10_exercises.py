"""Chapter 10's checkers: the reference solutions are Correct; typical wrong answers get their own message."""

from __future__ import annotations

import boto3
import pytest

from helpers.iac import package_template, stack_outputs
from helpers.learn import ____, chapter10
from helpers.steps import invoke_url
from tests.support import verdict


@pytest.fixture
def notes(sandbox):
    template = package_template((chapter10.LAMBDA_SRC / "notes_template.yaml").read_text(), chapter10.LAMBDA_SRC, "artifacts")
    boto3.client("cloudformation").create_stack(StackName="notes", TemplateBody=template, Capabilities=chapter10.CAPABILITIES)
    outputs = stack_outputs("notes")
    return {"notes_url": invoke_url(outputs["NotesApi"], "Prod", "/notes"), "notes_function": outputs["FunctionName"]}


def learner_function(code: str):
    """A function defined from source, as a notebook cell defines it (inspect can read it back)."""
    import linecache

    filename = f"<learner-{abs(hash(code))}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    namespace: dict = {}
    exec(compile(code, filename, "exec"), namespace)
    return next(v for v in namespace.values() if callable(v))


REFERENCE = learner_function(chapter10.q1.solution_code)
# The body arrives as a string, not a dict.
RAISES = learner_function('''def update_note(event):
    note_id = event["pathParameters"]["id"]
    return respond(200, {"id": note_id, "text": event["body"].get("text")})
''')
NO_VALIDATION = learner_function('''def update_note(event):
    note_id = event["pathParameters"]["id"]
    body = json.loads(event["body"] or "{}") if event["body"] and event["body"].startswith("{") else {}
    table.put_item(Item={"id": note_id, "text": body.get("text", "")})
    return respond(200, {"id": note_id, "text": body.get("text", "")})
''')
CREATES_MISSING = learner_function('''def update_note(event):
    note_id = event["pathParameters"]["id"]
    text, problem = read_text(event)
    if problem:
        return respond(400, {"message": problem})
    table.put_item(Item={"id": note_id, "text": text})
    return respond(200, {"id": note_id, "text": text})
''')
FORGETS_TO_SAVE = learner_function('''def update_note(event):
    text, problem = read_text(event)
    if problem:
        return respond(400, {"message": problem})
    return respond(200, {"id": event["pathParameters"]["id"], "text": text})
''')
OTHER_NAME = learner_function(chapter10.q1.solution_code.replace("def update_note", "def put_note"))


def test_put_reference_solution(notes, capsys):
    assert verdict(chapter10.q1, {"update_note": REFERENCE, **notes}, capsys).startswith("Correct: PUT /notes/{id} answers 200")


def test_put_under_another_name_is_still_routed(notes, capsys):
    assert verdict(chapter10.q1, {"update_note": OTHER_NAME, **notes}, capsys).startswith("Correct")


@pytest.mark.parametrize(("answer", "expected"), [
    (____, "Not attempted: fill in `update_note`"),
    ("update_note", "Incorrect: define a function update_note(event)"),
    (RAISES, "Incorrect: PUT /notes/"),
    (NO_VALIDATION, "Incorrect: PUT with a body that is not JSON answered 200"),
    (CREATES_MISSING, "Incorrect: PUT on a note that does not exist answered 200 and it created the note"),
    (FORGETS_TO_SAVE, "Incorrect: PUT answered 200 but GET"),
])
def test_put_wrong_answers(notes, answer, expected, capsys):
    said = verdict(chapter10.q1, {"update_note": answer, **notes}, capsys)
    assert said.startswith(expected), said


def test_put_that_raises_quotes_the_functions_log(notes, capsys):
    said = verdict(chapter10.q1, {"update_note": RAISES, **notes}, capsys)
    assert "answered 502 Internal server error" in said
    assert "AttributeError" in said and "'str' object has no attribute 'get'" in said, said


def test_template_reference_solution_deploys_and_answers(sandbox, capsys):
    namespace = {"broken_template": chapter10.BROKEN_TEMPLATE}
    exec(chapter10.q2.solution_code, namespace)
    assert verdict(chapter10.q2, namespace, capsys).startswith("Correct: cfn-lint finds nothing, and the stack deployed")
    # The check leaves nothing behind.
    assert boto3.client("cloudformation").list_stacks()["StackSummaries"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert boto3.client("s3").list_buckets()["Buckets"] == []


@pytest.mark.parametrize(("answer", "expected"), [
    (chapter10.BROKEN_TEMPLATE, "Incorrect: cfn-lint still finds 6 problem(s)"),
    (chapter10.BROKEN_TEMPLATE.replace("python3.8", "python3.12").replace("MemorySize: 64", "MemorySize: 128"),
     "Incorrect: cfn-lint still finds 4 problem(s):\n  E6101"),
    (chapter10.HELLO_TEMPLATE.split("      Events:")[0] + "\nOutputs:\n  Name:\n    Value: !Ref HelloWorldFunction\n",
     "Incorrect: cfn-lint is happy, but the API is gone"),
    (42, "Incorrect: fixed_template is the template's text"),
])
def test_template_wrong_answers(sandbox, answer, expected, capsys):
    said = verdict(chapter10.q2, {"fixed_template": answer}, capsys)
    assert said.startswith(expected), said
