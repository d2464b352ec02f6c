"""The table of paths the front door serves itself: each data-plane request reaches its handler."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from helpers.sandbox.routes import sandbox_routes
from helpers.wsgi import path_arguments


def _handler(name):
    def app(environ, start_response):
        return [name, path_arguments(environ)]

    return app


@pytest.fixture
def table():
    backend = SimpleNamespace(create_rest_api_app=_handler("create rest api"),
                              create_deployment_app=_handler("create deployment"))
    gateway = SimpleNamespace(app=_handler("invoke url"), backend=backend, test_invoke_app=_handler("test invoke"))
    lambda_service = SimpleNamespace(invoke_app=_handler("invoke"), provisioned_app=_handler("provisioned"),
                                     account_settings_app=_handler("account settings"))
    return sandbox_routes(gateway, lambda_service, _handler("role check"))


def _served_by(table, method, path):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path}
    routes = [route for route in table if route.matches(environ)]
    assert len(routes) <= 1, "two routes claim one request"
    return (routes[0].app(environ, None), routes[0].signed) if routes else None


@pytest.mark.parametrize("method, path, handler, arguments, signed", [
    ("GET", "/restapis/a1/dev/_user_request_/hello", "invoke url", {}, False),
    ("DELETE", "/restapis/a1/dev/_user_request_", "invoke url", {}, False),
    ("POST", "/restapis", "create rest api", {}, True),
    ("POST", "/restapis/a1/deployments", "create deployment", {"api": "a1"}, True),
    ("POST", "/restapis/a1/resources/r1/methods/GET", "test invoke", {"api": "a1", "resource": "r1", "method": "GET"},
     True),
    ("POST", "/restapis/a1/authorizers/z9", "test invoke", {"api": "a1", "authorizer": "z9"}, True),
    ("POST", "/2015-03-31/functions/hello/invocations", "invoke", {"name": "hello"}, True),
    ("GET", "/2019-09-30/functions/hello/provisioned-concurrency", "provisioned", {"name": "hello"}, True),
    ("GET", "/2016-08-19/account-settings/", "account settings", {}, True),
    ("POST", "/2015-03-31/functions", "role check", {}, True),
    ("PUT", "/2015-03-31/functions/hello/configuration", "role check", {}, True),
])
def test_each_data_plane_path_reaches_its_handler(table, method, path, handler, arguments, signed):
    assert _served_by(table, method, path) == ([handler, arguments], signed)


@pytest.mark.parametrize("method, path", [
    ("GET", "/restapis/a1/resources/r1/methods/GET"),  # GetMethod: moto's
    ("GET", "/2015-03-31/functions/hello"),  # GetFunction: moto's
    ("POST", "/2015-03-31/functions/hello/policy"),  # AddPermission: moto's
])
def test_control_plane_paths_are_left_to_moto(table, method, path):
    assert _served_by(table, method, path) is None
