"""Execution roles, enforced: each function's temporary credentials, and IAM's answer to every request signed with them.

As on AWS, an execution environment gets credentials of its function's role (an ASIA… key, a secret
and a session token; the session is named after the function). A request signed with them is checked
against the role's identity policies as they are at that moment, and refused in the service's own
protocol and words. Lambda delivers the function's logs with the same credentials: a role that may
not write them loses them.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qs

from ..engine import FunctionSpec
from ..gateway.policies import ALLOW, EXPLICIT_DENY, evaluate, service_may_assume
from ..wsgi import Signature, WSGIApp, json_reply, read_body
from . import moto_link
from .iam_actions import Request, read_request
from .read_cache import ReadCache
from .refusals import error_answer, refuse

_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."
# Operations AWS serves whatever the caller's policies say.
_ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})


@dataclass(frozen=True)
class RoleSession:
    """One function's session of its execution role."""

    role_arn: str
    function_arn: str
    account_id: str
    access_key_id: str
    secret_access_key: str
    session_token: str

    @property
    def session_name(self) -> str:
        """Lambda names the session after the function."""
        return self.function_arn.rpartition(":")[2]

    @property
    def arn(self) -> str:
        """The assumed-role ARN, as GetCallerIdentity and AWS's error messages show it."""
        role_name = self.role_arn.rpartition("/")[2]
        return f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{self.session_name}"


class ExecutionRoles:
    """Issues role sessions to the engine's environments and judges the requests signed with them."""

    def __init__(self, account_id: str, region: str, generation: Callable[[], int]) -> None:
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str], RoleSession] = {}  # by role and function ARN
        self._by_key: dict[str, RoleSession] = {}
        self._streams: set[tuple[str, str]] = set()  # log streams Lambda has created
        self._groups: set[str] = set()
        # Kept until the control plane next writes (`generation` counts the writes): Lambda checks the
        # role at every invocation's log delivery, and reading it from moto costs a tenth of a warm invocation.
        self._policies = ReadCache(generation)

    # What the engine asks.

    def credentials(self, spec: FunctionSpec) -> Mapping[str, str]:
        """The variables that give an execution environment its role's credentials."""
        session = self._session(spec)
        return {"AWS_ACCESS_KEY_ID": session.access_key_id, "AWS_SECRET_ACCESS_KEY": session.secret_access_key,
                "AWS_SESSION_TOKEN": session.session_token}

    def may_write_logs(self, spec: FunctionSpec, group: str, stream: str) -> bool:
        """Whether the role lets Lambda create the group and stream (if they are new) and put events now."""
        session = self._session(spec)
        stream_arn = f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{group}:log-stream:{stream}"
        needed = [("logs:PutLogEvents", stream_arn)]
        with self._lock:
            new_stream = (group, stream) not in self._streams
            new_group = group not in self._groups
        if new_stream:
            needed.insert(0, ("logs:CreateLogStream", stream_arn))
            if new_group and not moto_link.log_group_exists(self.account_id, self.region, group):
                group_arn = f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{group}:log-stream:"
                needed.insert(0, ("logs:CreateLogGroup", group_arn))
        policies, context = self._policies_and_context(session, "")
        if any(evaluate(policies, action, resource, context) != ALLOW for action, resource in needed):
            return False
        with self._lock:
            self._streams.add((group, stream))
            self._groups.add(group)
        return True

    # What the front door asks.

    def session_of(self, signature: Signature) -> RoleSession | None:
        """The role session a request was signed with, or None if the key is no session's."""
        with self._lock:
            return self._by_key.get(signature.access_key_id)

    def refusal(self, environ: dict[str, Any], start_response: Callable[..., Any], signature: Signature,
                session: RoleSession) -> Iterable[bytes] | None:
        """AWS's answer to a request the role may not make, or None when every action it needs is allowed."""
        if _session_token(environ) != session.session_token:
            return refuse(environ, start_response, signature)
        body = read_body(environ)
        region = signature.region if signature.scope.count("/") >= 2 else self.region
        request = read_request(environ, body, signature.service, region, self.account_id)
        needed = request.actions()
        if request.prefix == "s3" and request.operation in ("GetObject", "HeadObject") and needed:
            bucket = request.params["Bucket"]
            if moto_link.s3_object_exists(self.account_id, region, bucket, request.params["Key"]) is False:
                # S3 tells a missing key (404) only to a caller who may list the bucket; others get a 403.
                needed.append(("s3:ListBucket", f"arn:aws:s3:::{bucket}"))
        policies, context = None, None
        for action, resource in needed:
            if action in _ALWAYS_ALLOWED:
                continue
            if policies is None:
                policies, context = self._policies_and_context(session, environ.get("REMOTE_ADDR", ""))
            decision = evaluate(policies, action, resource, {**context, "aws:requestedregion": region})
            if decision != ALLOW:
                return _access_denied(start_response, request, session.arn, action, resource,
                                      explicit=decision == EXPLICIT_DENY)
        return None

    def assumable_role_check(self, pass_through: WSGIApp) -> WSGIApp:
        """A WSGI app that refuses, as Lambda does, a function role whose trust policy does not let Lambda
        assume it, and passes every other request on (moto itself refuses a role that does not exist)."""

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            try:
                role_arn = json.loads(read_body(environ) or b"{}").get("Role")
            except (ValueError, AttributeError):
                role_arn = None
            role = moto_link.role(self.account_id, self.region, role_arn) if isinstance(role_arn, str) else None
            if role is not None and not service_may_assume(_parsed(role.assume_role_policy_document),
                                                           "lambda.amazonaws.com",
                                                           {"aws:sourceaccount": self.account_id}):
                return _json_error(start_response, 400, "application/json",
                                   {"Type": "User", "message": _NOT_ASSUMABLE},
                                   [("x-amzn-ErrorType", "InvalidParameterValueException")])
            return pass_through(environ, start_response)

        return app

    def _session(self, spec: FunctionSpec) -> RoleSession:
        key = (spec.role, spec.function_arn)
        with self._lock:
            session = self._sessions.get(key)
        if session is None:
            access_key, secret, token = moto_link.assume_role(self.account_id, self.region, spec.role,
                                                              spec.function_name)
            session = RoleSession(spec.role, spec.function_arn, self.account_id, access_key, secret, token)
            with self._lock:
                session = self._sessions.setdefault(key, session)
                self._by_key[session.access_key_id] = session
        return session

    def _policies_and_context(self, session: RoleSession, source_ip: str) -> tuple[list[Any], dict[str, str]]:
        """The role's policies as they are now, and the global condition keys (lower-cased) IAM fills in."""
        # A policy change applies to the next request, as on AWS once it has propagated.
        role, policies = self._policies.get(session.role_arn, lambda: self._read_role(session.role_arn))
        now = datetime.now(timezone.utc)
        context = {
            "aws:principalarn": session.role_arn,
            "aws:principalaccount": self.account_id,
            "aws:principaltype": "AssumedRole",
            "aws:currenttime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:epochtime": str(int(now.timestamp())),
            # The function's SDK calls AWS over HTTPS; here the loopback hop is plain HTTP.
            "aws:securetransport": "true",
            "aws:viaawsservice": "false",
            "lambda:sourcefunctionarn": session.function_arn,
        }
        if role is not None:
            context["aws:userid"] = f"{role.id}:{session.session_name}"
        if source_ip:
            context["aws:sourceip"] = source_ip
        return policies, context


    def _read_role(self, role_arn: str) -> tuple[Any, list[Any]]:
        role = moto_link.role(self.account_id, self.region, role_arn)
        return role, [] if role is None else [_parsed(text) for text in moto_link.role_policy_documents(role)]


def _parsed(text: str) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return {"Statement": []}


def _session_token(environ: dict[str, Any]) -> str | None:
    token = environ.get("HTTP_X_AMZ_SECURITY_TOKEN")
    if token is None:
        token = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Security-Token", [None])[0]
    return token


def _access_denied(start_response: Callable[..., Any], request: Request, identity: str, action: str,
                   resource: str, *, explicit: bool) -> Iterable[bytes]:
    """The refusal in the service's protocol, worded as that service words it."""
    shown = action
    if request.prefix == "sqs":
        shown = action.lower()  # SQS names the action in lower case: sqs:sendmessage
    elif request.prefix == "sns":
        shown = "SNS:" + action.partition(":")[2]
    on = f'"{resource}"' if request.prefix == "s3" else resource
    reason = ("with an explicit deny in an identity-based policy" if explicit
              else f"because no identity-based policy allows the {shown} action")
    message = f"User: {identity} is not authorized to perform: {shown} on resource: {on} {reason}"
    if request.protocol == "rest-xml":
        return error_answer(start_response, "s3", "AccessDenied", message, 403)
    if request.protocol in ("query", "cbor"):
        code = "AuthorizationError" if request.prefix == "sns" else "AccessDenied"
        return error_answer(start_response, request.protocol, code, message, 403)
    if request.protocol == "rest-json":
        return _json_error(start_response, 403, "application/json", {"Message": message},
                           [("x-amzn-ErrorType", "AccessDeniedException")])
    if request.prefix == "dynamodb":
        return _json_error(start_response, 400, "application/x-amz-json-1.0",
                           {"__type": "com.amazon.coral.service#AccessDeniedException", "Message": message})
    if request.prefix == "sqs":  # JSON, but compatible with its older query protocol's error codes
        return _json_error(start_response, 403, "application/x-amz-json-1.0",
                           {"__type": "com.amazon.coral.service#AccessDeniedException", "message": message},
                           [("x-amzn-query-error", "AccessDenied;Sender")])
    return _json_error(start_response, 400, "application/x-amz-json-1.1",
                       {"__type": "AccessDeniedException", "message": message})


def _json_error(start_response: Callable[..., Any], status: int, content_type: str, body: dict[str, str],
                headers: list[tuple[str, str]] = []) -> list[bytes]:
    return json_reply(start_response, status, body, [("x-amzn-RequestId", str(uuid.uuid4())), *headers],
                      content_type=content_type)
