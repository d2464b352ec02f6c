"""The two IAM policy questions the gateway asks: may the caller invoke the method, and may
API Gateway invoke the function."""

from __future__ import annotations

from typing import Any

from .wildcards import arn_like, wildcard_match


class MalformedPolicy(ValueError):
    """A policy document that IAM would refuse to evaluate."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(policy: Any) -> list[dict[str, Any]]:
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise MalformedPolicy("policy has no Statement")
    statements = _as_list(policy["Statement"])
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise MalformedPolicy(f"bad statement {statement!r}")
    return statements


def _decide(matches: list[dict[str, Any]]) -> bool:
    """IAM's rule: an explicit Deny wins, otherwise at least one Allow is needed."""
    effects = {statement["Effect"] for statement in matches}
    return "Allow" in effects and "Deny" not in effects


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    # IAM action names are case-insensitive.
    return any(
        isinstance(pattern, str) and wildcard_match(pattern, action, ignore_case=True)
        for pattern in _as_list(statement.get("Action", []))
    )


def authorizer_policy_effects(policy: Any, method_arn: str) -> set[str]:
    """The effects ("Allow", "Deny") of a Lambda authorizer's statements on execute-api:Invoke of method_arn."""
    matches = []
    for statement in _statements(policy):
        if "Action" not in statement or "Resource" not in statement:
            raise MalformedPolicy("statement needs Action and Resource")
        resources = _as_list(statement["Resource"])
        if not all(isinstance(r, str) for r in resources):
            raise MalformedPolicy("Resource must be strings")
        if _action_matches(statement, "execute-api:Invoke") and any(arn_like(r, method_arn) for r in resources):
            matches.append(statement["Effect"])
    return set(matches)


def lambda_policy_allows(policy: dict[str, Any] | None, *, source_arn: str, account_id: str) -> bool:
    """Whether a function's resource policy lets apigateway.amazonaws.com invoke it for source_arn."""
    if policy is None:
        return False
    try:
        statements = _statements(policy)
    except MalformedPolicy:
        return False
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": account_id}
    matches = [
        s
        for s in statements
        if _principal_is_apigateway(s.get("Principal"))
        and _action_matches(s, "lambda:InvokeFunction")
        and _conditions_hold(s.get("Condition") or {}, context)
    ]
    return _decide(matches)


def _principal_is_apigateway(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return "apigateway.amazonaws.com" in _as_list(principal.get("Service", [])) or principal.get("AWS") == "*"


_OPERATORS = {
    "ArnLike": arn_like,
    "ArnEquals": arn_like,  # IAM documents ArnEquals and ArnLike as behaving identically
    "StringLike": wildcard_match,
    "StringEquals": str.__eq__,
}


def _conditions_hold(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    """Every condition must hold; an operator or key the sandbox does not know fails closed."""
    for operator, tests in conditions.items():
        compare = _OPERATORS.get(operator)
        if compare is None or not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            actual = context.get(key.lower())
            if actual is None or not any(compare(str(e), actual) for e in _as_list(expected)):
                return False
    return True
