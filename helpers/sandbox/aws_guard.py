"""Once a sandbox has run in this process, boto3 calls stay on loopback until the learner opts in to real AWS.

The seam: botocore copies every entry of `botocore.handlers.BUILTIN_HANDLERS` into each Session it
creates, so a handler appended there reaches every client made afterwards -- `boto3.client`,
`boto3.Session().client`, `botocore.session.get_session().create_client`, and the clients botocore
makes itself to refresh credentials (STS, SSO). moto hooks botocore the same way. The handler
listens to `before-call`, emitted by every API call after the endpoint is resolved and before the
request is signed (signing may refresh credentials over the network) and before the retry loop, so
a refusal is immediate: no DNS lookup, no connection, no retry. tests/sandbox/test_aws_guard.py fails if a
botocore upgrade moves either piece.

Credentials: with none configured, botocore looks for them at client creation, before any call, at
the instance metadata service and the container credentials endpoint (HTTP to link-local addresses).
While the guard is armed those two providers find nothing, without a connection.

Not covered: clients made before this module was imported (the sandbox imports it before any cell
can make one); the calls those clients would make are refused all the same.
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any
from urllib.parse import urlsplit

EVENT = "before-call"

REAL_AWS_HINT = (
    "To keep working offline, start the sandbox again (lab = sandbox.start()) and create your client again; "
    "to use your real AWS account, where resources cost money, opt in first: "
    "helpers.connect('aws', real_aws=helpers.targets.REAL_AWS_OPT_IN)."
)


class RealAwsRefused(PermissionError):
    """A boto3 call that would have left this machine after a sandbox ran, without the real-AWS opt-in."""


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.armed = False  # a sandbox has run and no opt-in came after it
        self.allowed_hosts: set[str] = set()  # endpoints the learner chose with connect("endpoint", ...)
        self.stopped: set[str] = set()  # netlocs of sandboxes that have stopped


_state = _State()


def install() -> None:
    """Give every botocore session created from now on the guard's handler (idempotent)."""
    from botocore import credentials, handlers

    if (EVENT, refuse_off_loopback) not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append((EVENT, refuse_off_loopback))
    for provider in (credentials.InstanceMetadataProvider, credentials.ContainerProvider):
        if not getattr(provider.load, "_guarded", False):
            provider.load = _unless_armed(provider.load)


def _unless_armed(load: Any) -> Any:
    """A credential provider's load() that finds nothing, without the network, while the guard is armed."""

    def guarded_load(self: Any) -> Any:
        return None if _state.armed else load(self)

    guarded_load._guarded = True
    return guarded_load


def sandbox_started(endpoint_url: str) -> None:
    """A sandbox serves `endpoint_url`: arm the guard (again, if the learner had opted in)."""
    install()
    with _state.lock:
        _state.armed = True
        _state.stopped.discard(urlsplit(endpoint_url).netloc)


def sandbox_stopped(endpoint_url: str) -> None:
    """Calls to a stopped sandbox's endpoint are refused with a hint instead of retried against a closed port."""
    with _state.lock:
        _state.stopped.add(urlsplit(endpoint_url).netloc)


def allow_endpoint(endpoint_url: str) -> None:
    """The learner chose this endpoint explicitly (connect('endpoint', ...)): calls to it are allowed."""
    netloc = urlsplit(endpoint_url).netloc
    with _state.lock:
        _state.allowed_hosts.add(netloc)
        _state.stopped.discard(netloc)


def opt_in_to_real_aws() -> None:
    """The learner opted in: calls may go to AWS until a sandbox starts again."""
    with _state.lock:
        _state.armed = False


def refuse_off_loopback(params: dict[str, Any], **kwargs: Any) -> None:
    """botocore `before-call` handler: raise RealAwsRefused for a call that would leave loopback."""
    if not _state.armed:
        return
    url = params.get("url", "")
    parts = urlsplit(url)
    with _state.lock:
        stopped = parts.netloc in _state.stopped
        allowed = parts.netloc in _state.allowed_hosts
    if stopped:
        raise RealAwsRefused(f"The sandbox at {parts.scheme}://{parts.netloc} has stopped, so this call has "
                             f"nowhere to go. {REAL_AWS_HINT}")
    if allowed or _is_loopback(parts.hostname or ""):
        return
    raise RealAwsRefused(f"Refused a call to {parts.scheme}://{parts.netloc}: this kernel has run the offline sandbox, "
                         f"so boto3 calls never reach real AWS by accident. {REAL_AWS_HINT}")


def _is_loopback(host: str) -> bool:
    # Decided from the name alone: looking the name up would already be a request leaving the machine.
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
