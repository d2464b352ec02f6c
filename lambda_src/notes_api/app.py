"""A JSON CRUD API for notes on a DynamoDB table: /notes and /notes/{id}; PUT is chapter 10's exercise."""

import json
import os
import uuid

import boto3

MAX_TEXT = 1000
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def list_notes(event):
    """GET /notes: 200 and every note."""
    return respond(200, sorted(table.scan()["Items"], key=lambda note: note["id"]))


def create_note(event):
    """POST /notes: 201 and the new note, or 400 saying what is wrong with the body."""
    text, problem = read_text(event)
    if problem:
        return respond(400, {"message": problem})
    note = {"id": uuid.uuid4().hex[:8], "text": text}
    table.put_item(Item=note)
    return respond(201, note)


def get_note(event):
    """GET /notes/{id}: 200 and the note, or 404."""
    note_id = event["pathParameters"]["id"]
    note = table.get_item(Key={"id": note_id}).get("Item")
    return respond(200, note) if note else not_found(note_id)


def delete_note(event):
    """DELETE /notes/{id}: 204, or 404 when there was no such note."""
    note_id = event["pathParameters"]["id"]
    gone = table.delete_item(Key={"id": note_id}, ReturnValues="ALL_OLD").get("Attributes")
    return respond(204, None) if gone else not_found(note_id)


ROUTES = {
    ("GET", "/notes"): list_notes,
    ("POST", "/notes"): create_note,
    ("GET", "/notes/{id}"): get_note,
    ("DELETE", "/notes/{id}"): delete_note,
}


def lambda_handler(event, context):
    """Route by method and resource (API Gateway's template, e.g. /notes/{id}); answer JSON."""
    route = ROUTES.get((event["httpMethod"], event["resource"]))
    if route is None:
        return respond(405, {"message": f"{event['httpMethod']} is not supported on {event['resource']}"})
    return route(event)


def read_text(event):
    """(text, None) from a body like {"text": "..."}, or (None, what is wrong with it)."""
    try:
        body = json.loads(event.get("body") or "")
    except ValueError:
        return None, 'the body must be JSON, like {"text": "buy milk"}'
    if not isinstance(body, dict) or set(body) != {"text"}:
        return None, 'the body must be a JSON object with one field, "text"'
    text = body["text"]
    if not isinstance(text, str) or not text.strip():
        return None, '"text" must be a non-empty string'
    if len(text) > MAX_TEXT:
        return None, f'"text" is {len(text)} characters long; the limit is {MAX_TEXT}'
    return text, None


def not_found(note_id):
    """404 with a message that names the note."""
    return respond(404, {"message": f"note {note_id} not found"})


def respond(status, body):
    """A Lambda proxy response with a JSON body (none for 204)."""
    headers = {"Content-Type": "application/json"}
    return {"statusCode": status, "headers": headers, "body": "" if body is None else json.dumps(body)}
