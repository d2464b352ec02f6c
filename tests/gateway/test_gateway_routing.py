"""aws-behaviour.md §2 routing: literal beats {param} beats {proxy+}, ANY, case, trailing slash, the deployed snapshot."""

import pytest

from tests.support import send


def _named(name):
    def function(event):
        return {"statusCode": 200, "body": name}
    return function


@pytest.fixture
def routed(api, app):
    for path in ["/items", "/items/special", "/items/{id}", "/items/{id}/parts", "/{proxy+}", "/files/{path+}"]:
        api.lambda_method(path, "GET", _named(path), name=path.replace("/", "_") or "root")
    api.deploy()
    return app


@pytest.mark.parametrize("path, resource, params", [
    ("/items", "/items", None),
    ("/items/", "/items", None),
    ("/items/special", "/items/special", None),
    ("/items/42", "/items/{id}", {"id": "42"}),
    ("/items/a%2Fb", "/items/{id}", {"id": "a%2Fb"}),
    ("/items/42/parts", "/items/{id}/parts", {"id": "42"}),
    ("/items/special/parts", "/items/{id}/parts", {"id": "special"}),
    ("/items/42/other", "/{proxy+}", {"proxy": "items/42/other"}),
    ("/Items", "/{proxy+}", {"proxy": "Items"}),
    ("/a/b/c/", "/{proxy+}", {"proxy": "a/b/c"}),
    ("/files/x/y.txt", "/files/{path+}", {"path": "x/y.txt"}),
    ("/caf%C3%A9", "/{proxy+}", {"proxy": "caf%C3%A9"}),
])
def test_most_specific_resource_wins(routed, last_event, path, resource, params):
    reply = send(routed, "GET", path)
    assert reply.status == 200
    assert reply.body.decode() == resource
    event = last_event()
    assert (event["resource"], event["pathParameters"], event["path"]) == (resource, params, path)


def test_root_without_method_is_not_caught_by_proxy(routed):
    assert send(routed, "GET", "/").status == 403


def test_a_resource_without_the_method_is_a_403_when_no_sibling_has_it(routed):
    assert send(routed, "POST", "/items").status == 403


def test_a_resource_without_the_method_gives_way_to_a_proxy_that_has_it(api, app, last_event):
    # Recorded on AWS: OPTIONS /test reaches /{proxy+} (OPTIONS) when /test defines only POST.
    api.lambda_method("/test", "POST", _named("/test"), name="test")
    api.lambda_method("/{proxy+}", "OPTIONS", _named("/{proxy+}"), name="proxy")
    api.deploy()
    assert send(app, "OPTIONS", "/test").body == b"/{proxy+}"
    assert last_event()["pathParameters"] == {"proxy": "test"}
    assert send(app, "POST", "/test").body == b"/test"
    assert send(app, "GET", "/test").status == 403


def test_repeated_leading_slashes_route_as_one(routed, last_event):
    # Recorded on AWS: /dev//items routes to /items; requestContext.path keeps what was sent.
    assert send(routed, "GET", "//items").body == b"/items"
    event = last_event()
    assert (event["path"], event["requestContext"]["path"]) == ("/items", "/dev//items")


@pytest.mark.parametrize("method", ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"])
def test_any_matches_the_seven_methods(api, app, last_event, method):
    api.lambda_method("/any", "ANY")
    api.deploy()
    assert send(app, method, "/any").status == 200
    assert last_event()["httpMethod"] == method


@pytest.mark.parametrize("method", ["FOO", "get", "CONNECT", "TRACE"])
def test_any_does_not_match_other_methods(api, app, method):
    api.lambda_method("/any", "ANY")
    api.deploy()
    assert send(app, method, "/any").status == 403


def test_specific_method_beats_any(api, app):
    api.lambda_method("/r", "ANY", _named("any"), name="any")
    api.lambda_method("/r", "GET", _named("get"), name="get")
    api.deploy()
    assert send(app, "GET", "/r").body == b"get"
    assert send(app, "POST", "/r").body == b"any"


def test_head_response_has_no_body(api, app):
    api.lambda_method("/r", "HEAD")
    api.deploy()
    reply = send(app, "HEAD", "/r")
    assert reply.status == 200 and reply.body == b""


def test_changes_are_invisible_until_redeployed(api, app):
    api.lambda_method("/hello", "GET")
    first = api.deploy()
    api.lambda_method("/new", "GET", name="new")
    assert send(app, "GET", "/new").status == 403
    api.deploy()
    assert send(app, "GET", "/new").status == 200
    # pointing the stage back at the first deployment serves the old API again
    api.backend.stages[("abc123", "dev")]["deploymentId"] = first
    assert send(app, "GET", "/new").status == 403
    assert send(app, "GET", "/hello").status == 200


def test_stages_serve_their_own_deployment(api, app):
    api.lambda_method("/hello", "GET")
    api.deploy("prod")
    api.lambda_method("/beta", "GET", name="beta")
    api.deploy("dev")
    assert send(app, "GET", "/beta", stage="dev").status == 200
    assert send(app, "GET", "/beta", stage="prod").status == 403
