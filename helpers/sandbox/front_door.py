"""The WSGI layer in front of moto: the data plane's routes first, the control plane behind a key check."""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterable

from ..wsgi import WSGIApp, signature_of
from . import config_refusals
from .credentials import Credentials
from .execution_roles import ExecutionRoles
from .read_cache import ControlPlaneWrites, changes_cached_reads
from .refusals import error_answer, internal_failure, refuse
from .routes import Route

log = logging.getLogger(__name__)


class FrontDoor:
    """Routes each request: public data plane, refusals (signature, then configuration), signed data plane, then moto."""

    def __init__(self, credentials: Credentials, moto_app: WSGIApp, roles: ExecutionRoles | None = None,
                 writes: ControlPlaneWrites | None = None) -> None:
        self.credentials = credentials
        self.moto_app = moto_app
        self.roles = roles  # requests signed by a function's role are judged by its policies
        self.routes: list[Route] = []  # see routes.sandbox_routes
        # Counted after every write to what the data plane reads, so it can cache those reads.
        self.writes = writes if writes is not None else ControlPlaneWrites()
        self._before: dict[str, Callable[[], None]] = {}

    def before_requests_to(self, service: str, callback: Callable[[], None]) -> None:
        """Call `callback` before any signed request to `service` (its signing name) is served."""
        self._before[service] = callback

    def mount(self, methods: Iterable[str], path: str, app: WSGIApp, *, signed: bool = True) -> None:
        """Serve `path` (a regex on the decoded path) with `app`; unsigned routes do their own auth."""
        self.routes.append(Route.of(methods, path, app, signed=signed))

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
        changes_reads = changes_cached_reads(service, environ)
        try:
            found = config_refusals.refusal_for(service, environ, self.credentials.account_id, signature.region)
            if found is not None:
                protocol, refusal = found
                return error_answer(start_response, protocol, refusal.code, refusal.message, refusal.status,
                                    fields=refusal.fields)
            for route in self.routes:
                if route.signed and route.matches(environ):
                    return route.app(environ, start_response)
            return self.moto_app(environ, start_response)
        finally:
            # After the write, never before: a read cached while it ran is then already stale.
            if changes_reads:
                self.writes.written()
