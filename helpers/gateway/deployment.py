"""A deployment: the frozen API a stage serves, compiled once for routing and lookups."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable

from .routing import Router


class Deployment:
    """What CreateDeployment froze: resources, authorizers, gateway responses, binary media types."""

    def __init__(self, deployment_id: str, snapshot: dict[str, Any]):
        self.id = deployment_id
        self.router = Router(snapshot.get("resources") or [])
        self.authorizers = {a["id"]: a for a in snapshot.get("authorizers") or []}
        # Items with defaultResponse=true are AWS's built-in ones, not a learner's customisation.
        self.gateway_responses = {
            r["responseType"]: r
            for r in snapshot.get("gatewayResponses") or []
            if not r.get("defaultResponse")
        }
        # The control plane escapes "/" as "~1" in patch paths; accept either spelling.
        self.binary_media_types = [t.replace("~1", "/") for t in snapshot.get("binaryMediaTypes") or []]
        self.api_key_source = snapshot.get("apiKeySource") or "HEADER"


class DeploymentCache:
    """Compiled deployments by (api id, deployment id); safe because deployments never change."""

    def __init__(self, load: Callable[[str, str], dict[str, Any] | None], size: int = 64):
        self._load = load
        self._size = size
        self._items: OrderedDict[tuple[str, str], Deployment] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, api_id: str, deployment_id: str) -> Deployment | None:
        """The compiled deployment, loading and compiling it on first use."""
        key = (api_id, deployment_id)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        snapshot = self._load(api_id, deployment_id)
        if snapshot is None:
            return None
        deployment = Deployment(deployment_id, snapshot)
        with self._lock:
            self._items[key] = deployment
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return deployment
