"""Point unmodified boto3 in this process at a sandbox, and give the environment back exactly."""

from __future__ import annotations

import os
import threading
from typing import Mapping

# Variables that could send a boto3 call elsewhere or pick up real
# credentials; hidden while a sandbox owns the environment.
_HIDDEN = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT",
)


def sandbox_variables(endpoint_url: str, region: str, access_key_id: str, secret_access_key: str) -> dict[str, str]:
    """The variables that make boto3 talk to a sandbox with its own credentials."""
    no_proxy = os.environ.get("NO_PROXY", os.environ.get("no_proxy", ""))
    loopback = "127.0.0.1,localhost"
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        # ~/.aws may hold real profiles and per-service endpoint_url settings.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        # A corporate proxy must never see sandbox traffic.
        "NO_PROXY": f"{no_proxy},{loopback}" if no_proxy else loopback,
        "no_proxy": f"{no_proxy},{loopback}" if no_proxy else loopback,
    }


class EnvironmentOwners:
    """The stack of running sandboxes; the newest one owns os.environ, the first saw the original."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: list[tuple[object, dict[str, str]]] = []
        self._original: dict[str, str] | None = None

    def push(self, owner: object, variables: Mapping[str, str]) -> None:
        """Make `owner`'s variables the process environment."""
        with self._lock:
            if not self._owners:
                self._original = dict(os.environ)
            self._owners.append((owner, dict(variables)))
            self._apply(variables)

    def pop(self, owner: object) -> None:
        """Remove `owner`; the environment goes to the newest remaining owner, or back to the original."""
        with self._lock:
            self._owners = [(o, v) for o, v in self._owners if o is not owner]
            if self._owners:
                self._apply(self._owners[-1][1])
            elif self._original is not None:
                _replace_environ(self._original)
                self._original = None
                _reset_boto3()

    def _apply(self, variables: Mapping[str, str]) -> None:
        assert self._original is not None
        env = {k: v for k, v in self._original.items() if k not in _HIDDEN and not k.startswith("AWS_ENDPOINT_URL_")}
        env.update(variables)
        _replace_environ(env)
        _reset_boto3()


def _replace_environ(target: Mapping[str, str]) -> None:
    for key in [k for k in os.environ if k not in target]:
        del os.environ[key]
    for key, value in target.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _reset_boto3() -> None:
    # boto3's default session caches the credentials it resolved first; drop
    # it so the next boto3.client() reads the environment again.
    import boto3

    boto3.DEFAULT_SESSION = None


owners = EnvironmentOwners()
