"""The gateway's reads from moto are cached exactly until the control plane writes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from helpers.sandbox.read_cache import MAX_ENTRIES, ReadCache
from tests.support import HELLO_BODY, code_zip, walkthrough


def test_an_answer_is_kept_while_nothing_changes():
    generation, reads = [0], []
    cache = ReadCache(lambda: generation[0])

    def read():
        reads.append(1)
        return {"n": len(reads)}

    assert cache.get("k", read) == {"n": 1}
    assert cache.get("k", read) == {"n": 1}
    generation[0] += 1
    assert cache.get("k", read) == {"n": 2}
    assert len(reads) == 2


def test_a_write_during_the_read_makes_that_answer_stale():
    generation = [0]
    cache = ReadCache(lambda: generation[0])

    def read_while_a_write_lands():
        generation[0] += 1  # the front door counts the write while the read is under way
        return "old"

    assert cache.get("k", read_while_a_write_lands) == "old"
    assert cache.get("k", lambda: "new") == "new"


def test_keys_from_requests_cannot_pile_up():
    cache = ReadCache(lambda: 0)
    for n in range(MAX_ENTRIES * 3):
        cache.get(("key", str(n)), lambda: None)
    assert len(cache._entries) <= MAX_ENTRIES


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_writes_are_served_at_once_and_gets_do_not_count(sandbox):
    api = walkthrough(sandbox)
    url = api.url("/hello")
    assert _get(url) == (200, HELLO_BODY)
    changes = sandbox.front_door.changes
    sandbox.client("lambda").get_function(FunctionName="hello-world-api")
    sandbox.client("apigateway").get_stage(restApiId=api.id, stageName="dev")
    assert sandbox.front_door.changes == changes
    # Any other signed request may write (a CloudFormation stack can update the function).
    sandbox.client("cloudformation").list_stacks()
    assert sandbox.front_door.changes == changes + 1
    changes = sandbox.front_door.changes
    # New code: the very next request runs it (Lambda retires the old environments).
    sandbox.client("lambda").update_function_code(FunctionName="hello-world-api",
                                                  ZipFile=code_zip("echo.py"))
    assert sandbox.front_door.changes > changes
    status, body = _get(url + "?name=Ada")
    assert status == 200 and json.loads(body)["queryStringParameters"] == {"name": "Ada"}
    # The permission removed: the next request is refused, as on AWS.
    sandbox.client("lambda").remove_permission(FunctionName="hello-world-api", StatementId="apigateway-invoke")
    assert _get(url) == (500, b'{"message": "Internal server error"}')
    # A stage pointed at no deployment's API: 403 at once.
    sandbox.client("apigateway").delete_stage(restApiId=api.id, stageName="dev")
    assert _get(url)[0] == 403
