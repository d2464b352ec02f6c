"""Every path the front door serves itself, in one table; moto serves all the others."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from ..wsgi import WSGIApp

if TYPE_CHECKING:
    from .apigateway_backend import SandboxGateway
    from .lambda_service import LambdaService

ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class Route:
    """Requests whose method and path (a regex on the decoded path) match go to `app`.

    An unsigned route is served before any signature check (it does its own authorization); a
    signed one only after the front door has accepted the signature.
    """

    methods: frozenset[str]
    path: re.Pattern[str]
    app: WSGIApp
    signed: bool = True

    @classmethod
    def of(cls, methods: Iterable[str], path: str, app: WSGIApp, *, signed: bool = True) -> "Route":
        """A route from a list of methods and a path regex."""
        return cls(frozenset(methods), re.compile(path), app, signed)

    def matches(self, environ: dict[str, Any]) -> bool:
        """Does this request belong to the route? If so, its path's named groups go into the environ."""
        if environ["REQUEST_METHOD"] not in self.methods:
            return False
        match = self.path.match(environ.get("PATH_INFO", ""))
        if match is None:
            return False
        environ["wsgiorg.routing_args"] = ((), match.groupdict())
        return True


def sandbox_routes(gateway: "SandboxGateway", lambda_service: "LambdaService", role_check: WSGIApp) -> list[Route]:
    """The data plane, and the control-plane requests the sandbox joins to moto itself."""
    backend = gateway.backend
    return [
        # API Gateway invoke URLs (execute-api) are public: each method decides its own authorization
        # (NONE, AWS_IAM, API key, Lambda authorizer).
        Route.of(ANY_METHOD, r"^/restapis/[^/]+/[^/]+/_user_request_(/.*)?$", gateway.app, signed=False),
        # API Gateway: CreateRestApi keeps binaryMediaTypes; CreateDeployment freezes the API it deploys.
        Route.of(["POST"], r"^/restapis/?$", backend.create_rest_api_app),
        Route.of(["POST"], r"^/restapis/(?P<api>[^/]+)/deployments/?$", backend.create_deployment_app),
        # TestInvokeMethod and TestInvokeAuthorizer (the only POSTs to these paths), run by the gateway.
        Route.of(["POST"], r"^/restapis/(?P<api>[^/]+)/resources/(?P<resource>[^/]+)/methods/(?P<method>[^/]+)/?$",
                 gateway.test_invoke_app),
        Route.of(["POST"], r"^/restapis/(?P<api>[^/]+)/authorizers/(?P<authorizer>[^/]+)/?$",
                 gateway.test_invoke_app),
        # Lambda: Invoke, provisioned concurrency and GetAccountSettings, served through the engine.
        Route.of(["POST"], r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$", lambda_service.invoke_app),
        Route.of(["PUT", "GET", "DELETE"], r"^/2019-09-30/functions/(?P<name>[^/]+)/provisioned-concurrency/?$",
                 lambda_service.provisioned_app),
        Route.of(["GET"], r"^/2016-08-19/account-settings/?$", lambda_service.account_settings_app),
        # CreateFunction and UpdateFunctionConfiguration name the function's role: Lambda must be able to assume it.
        Route.of(["POST"], r"^/2015-03-31/functions/?$", role_check),
        Route.of(["PUT"], r"^/2015-03-31/functions/[^/]+/configuration/?$", role_check),
    ]
