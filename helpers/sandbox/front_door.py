"""The WSGI layer in front of moto: the data plane's routes first, the control plane behind a key check."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from . import config_refusals
from .credentials import Credentials, signature_of
from .execution_roles import ExecutionRoles
from .refusals import error_answer, internal_failure, refuse

log = logging.getLogger(__name__)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Route:
    """A data-plane route: requests whose method and path match go to `app`."""

    methods: frozenset[str]
    path: re.Pattern[str]
    app: WSGIApp
    signed: bool

    def matches(self, environ: dict[str, Any]) -> bool:
        """Does this request belong to the route?"""
        return environ["REQUEST_METHOD"] in self.methods and bool(self.path.match(environ.get("PATH_INFO", "")))


_READS = frozenset({"GET", "HEAD"})
# The services whose requests can change a role's policies (CloudFormation through a stack's resources).
_CHANGE_POLICIES = frozenset({"iam", "cloudformation"})


class FrontDoor:
    """Routes each request: public data plane, refusals (signature, then configuration), signed data plane, then moto."""

    def __init__(self, credentials: Credentials, moto_app: WSGIApp, roles: ExecutionRoles | None = None) -> None:
        self.credentials = credentials
        self.moto_app = moto_app
        self.roles = roles  # requests signed by a function's role are judged by its policies
        self.routes: list[Route] = []
        # Bumped after every signed request that may write (anything but GET and HEAD), so the data
        # plane can cache what it reads from moto and know exactly when a cached answer may be stale.
        # Any service counts: CloudFormation, for one, creates and updates functions and APIs.
        self.changes = 0
        self._changes_lock = threading.Lock()  # two writes ending together must bump it twice
        self._before: dict[str, Callable[[], None]] = {}

    def before_requests_to(self, service: str, callback: Callable[[], None]) -> None:
        """Call `callback` before any signed request to `service` (its signing name) is served."""
        self._before[service] = callback

    def mount(self, methods: Iterable[str], path: str, app: WSGIApp, *, signed: bool = True) -> None:
        """Serve `path` (a regex on the decoded path) with `app`; unsigned routes do their own auth."""
        self.routes.append(Route(frozenset(methods), re.compile(path), app, signed))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return self._dispatch(environ, start_response)
        except Exception:  # noqa: BLE001 - the sandbox must keep serving whatever a request does
            log.exception("sandbox failed on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            # In the client's protocol: botocore reading XML (IAM, STS, CloudFormation) can't parse JSON.
            return internal_failure(environ, start_response, signature_of(environ))

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for route in self.routes:
            if not route.signed and route.matches(environ):
                return route.app(environ, start_response)
        signature = signature_of(environ)
        if signature is None:
            return refuse(environ, start_response, signature)
        if signature.access_key_id != self.credentials.access_key_id:
            # Not the learner's own key (always allowed, as an administrator's): a function's role, or nobody's.
            session = self.roles.session_of(signature) if self.roles is not None else None
            if session is None:
                return refuse(environ, start_response, signature)
            refusal = self.roles.refusal(environ, start_response, signature, session)
            if refusal is not None:
                return refusal
        # moto keeps every account's state apart; this header selects ours,
        # so two sandboxes in one process never see each other's resources.
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.credentials.account_id
        service = signature.service
        before = self._before.get(service)
        if before is not None:
            before()
        try:
            scope = signature.scope.split("/")
            found = config_refusals.refusal_for(service, environ, self.credentials.account_id,
                                                scope[1] if len(scope) > 1 else "")
            if found is not None:
                protocol, refusal = found
                return error_answer(start_response, protocol, refusal.code, refusal.message, refusal.status,
                                    fields=refusal.fields)
            for route in self.routes:
                if route.signed and route.matches(environ):
                    return route.app(environ, start_response)
            return self.moto_app(environ, start_response)
        finally:
            # After the write, never before: a cache filled while it ran is then already stale.
            if environ["REQUEST_METHOD"] not in _READS:
                with self._changes_lock:
                    self.changes += 1
                if self.roles is not None and service in _CHANGE_POLICIES:
                    self.roles.policies_changed()
