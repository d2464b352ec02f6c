"""binaryMediaTypes through the control plane, replayed against AWS's recorded answers.

From LocalStack's AWS-validated TestApiGatewayApiRestApi tests (test_apigateway_api.snapshot.json,
recorded 2025-07-02): test_create_rest_api_with_binary_media_types,
test_update_rest_api_operation_add_remove and test_update_rest_api_behaviour.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def test_create_rest_api_keeps_binary_media_types(sandbox):
    client = sandbox.client("apigateway")
    created = client.create_rest_api(name="binary", binaryMediaTypes=["image/png"])
    assert (created["ResponseMetadata"]["HTTPStatusCode"], created["binaryMediaTypes"]) == (201, ["image/png"])
    assert client.get_rest_api(restApiId=created["id"])["binaryMediaTypes"] == ["image/png"]


def test_add_replace_remove_with_escaped_paths(sandbox):
    client = sandbox.client("apigateway")
    api = client.create_rest_api(name="binary", description="this is my api")["id"]
    update = lambda *ops: client.update_rest_api(restApiId=api, patchOperations=list(ops))  # noqa: E731
    added = update({"op": "add", "path": "/binaryMediaTypes/image~1png"},
                   {"op": "add", "path": "/binaryMediaTypes/image~1jpeg"})
    assert (added["binaryMediaTypes"], added["description"]) == (["image/png", "image/jpeg"], "this is my api")
    # replace drops the named type and appends the new one: AWS puts it last.
    replaced = update({"op": "replace", "path": "/binaryMediaTypes/image~1png", "value": "image/gif"})
    assert replaced["binaryMediaTypes"] == ["image/jpeg", "image/gif"]
    removed = update({"op": "remove", "path": "/binaryMediaTypes/image~1gif"}, {"op": "remove", "path": "/description"})
    assert removed["binaryMediaTypes"] == ["image/jpeg"] and "description" not in removed
    assert client.get_rest_api(restApiId=api)["binaryMediaTypes"] == ["image/jpeg"]


def test_the_array_syntax_is_not_an_array(sandbox):
    client = sandbox.client("apigateway")
    api = client.create_rest_api(name="binary")["id"]
    # The last path segment is the media type, so "/-" (JSON Patch's "append") adds a type named "-".
    added = client.update_rest_api(restApiId=api, patchOperations=[
        {"op": "add", "path": "/binaryMediaTypes/-", "value": "image/png"}])
    assert added["binaryMediaTypes"] == ["-"]
    for op in ("add", "replace", "remove"):
        with pytest.raises(ClientError) as caught:
            client.update_rest_api(restApiId=api, patchOperations=[
                {"op": op, "path": "/binaryMediaTypes", "value": "image/gif"}])
        error = caught.value.response
        assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]) == (
            400, "BadRequestException", "Invalid patch path /binaryMediaTypes"), op
