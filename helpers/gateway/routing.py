"""Resource-tree routing: which resource and method of a deployment answer a path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import MissingAuthenticationToken

# The methods `ANY` stands for.
ANY_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})


@dataclass(frozen=True)
class RouteMatch:
    """The resource and method definition a request was routed to."""

    resource: dict[str, Any]  # a GetResources item: id, path, resourceMethods
    method: dict[str, Any]  # the resourceMethods entry: authorizationType, methodIntegration, ...
    path_parameters: dict[str, str] | None  # raw (undecoded) values, None when the template has none


@dataclass
class _Node:
    resource: dict[str, Any] | None = None
    literals: dict[str, _Node] = field(default_factory=dict)
    param: tuple[str, _Node] | None = None  # {name}
    greedy: tuple[str, _Node] | None = None  # {name+}


class Router:
    """Matches raw request paths against a deployment's resources, the way API Gateway does."""

    def __init__(self, resources: list[dict[str, Any]]):
        self._root = _Node()
        for resource in resources:
            node = self._root
            for part in _parts(resource.get("path") or "/"):
                node = self._child(node, part)
            node.resource = resource

    @staticmethod
    def _child(node: _Node, part: str) -> _Node:
        if part.startswith("{") and part.endswith("+}"):
            node.greedy = node.greedy or (part[1:-2], _Node())
            return node.greedy[1]
        if part.startswith("{") and part.endswith("}"):
            node.param = node.param or (part[1:-1], _Node())
            return node.param[1]
        return node.literals.setdefault(part, _Node())

    def match(self, method: str, path: str) -> RouteMatch:
        """Route a request; raise MissingAuthenticationToken when no resource or method fits.

        The most specific resource that defines the method wins (literal, then {param}, then
        {proxy+}, segment by segment): a literal resource without the method gives way to a
        {proxy+} sibling that has it (recorded on AWS: OPTIONS /test reaches /{proxy+} when
        /test defines only POST). With no resource defining it, the answer is a 403.
        """
        segments = _parts(path)
        found = self._walk(self._root, segments, 0, {}, method)
        if found is None:
            any_method = self._walk(self._root, segments, 0, {}, None)
            detail = f"{method} is not defined on {any_method[0].get('path')}" if any_method else f"no resource for {path}"
            raise MissingAuthenticationToken(detail)
        resource, params = found
        return RouteMatch(resource, _definition(resource, method), params or None)

    def _walk(
        self, node: _Node, segments: list[str], index: int, params: dict[str, str], method: str | None
    ) -> tuple[dict[str, Any], dict[str, str]] | None:
        """The resource for the rest of the path that defines `method` (any method when None)."""
        if index == len(segments):
            return (node.resource, params) if _serves(node.resource, method) else None
        segment = segments[index]
        literal = node.literals.get(segment)
        if literal is not None and (found := self._walk(literal, segments, index + 1, params, method)):
            return found
        if node.param is not None and segment:
            name, child = node.param
            if found := self._walk(child, segments, index + 1, {**params, name: segment}, method):
                return found
        if node.greedy is not None:
            name, child = node.greedy
            remainder = "/".join(segments[index:])
            if _serves(child.resource, method) and remainder:
                return child.resource, {**params, name: remainder}
        return None


def _definition(resource: dict[str, Any], method: str) -> dict[str, Any] | None:
    """The resource's definition of `method`, or of ANY when it stands for the method."""
    methods = resource.get("resourceMethods") or {}
    definition = methods.get(method)
    if definition is None and method in ANY_METHODS:
        definition = methods.get("ANY")
    return definition


def _serves(resource: dict[str, Any] | None, method: str | None) -> bool:
    return resource is not None and (method is None or _definition(resource, method) is not None)


def _parts(path: str) -> list[str]:
    """Path segments; the leading slash and one trailing slash do not make segments."""
    stripped = path[1:] if path.startswith("/") else path
    if stripped.endswith("/"):
        stripped = stripped[:-1]
    return stripped.split("/") if stripped else []
