"""IAM policy evaluation (Allow/Deny, wildcards, NotAction/NotResource, condition operators), and the two
questions the gateway asks: may the caller invoke the method, and may API Gateway invoke the function."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from .wildcards import arn_like, wildcard_match

ALLOW = "allow"
EXPLICIT_DENY = "explicit deny"
IMPLICIT_DENY = "implicit deny"  # no statement allows it


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


def evaluate(policies: Iterable[Any], action: str, resource: str, context: Mapping[str, Any]) -> str:
    """IAM's decision over a principal's policies: an explicit Deny wins, then any Allow, else an implicit deny.

    `context` holds the request's condition keys, lower-cased (aws:sourcearn, aws:principalarn…); a
    value is a string or, for a multivalued key, a list of strings.
    """
    allowed = False
    for policy in policies:
        for statement in _statements(policy):
            if statement_applies(statement, action, resource, context):
                if statement["Effect"] == "Deny":
                    return EXPLICIT_DENY
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def statement_applies(statement: dict[str, Any], action: str, resource: str, context: Mapping[str, Any]) -> bool:
    """Whether a statement's Action (or NotAction), Resource (or NotResource) and Condition all match."""
    # IAM action names are case-insensitive; resources are not.
    return (_element_matches(statement, "Action", lambda p: wildcard_match(p, action, ignore_case=True))
            and _element_matches(statement, "Resource", lambda p: _resource_matches(p, resource))
            and _conditions_hold(statement.get("Condition") or {}, context))


def _element_matches(statement: dict[str, Any], element: str, matches: Callable[[str], bool]) -> bool:
    if element in statement:
        return any(isinstance(p, str) and matches(p) for p in _as_list(statement[element]))
    if "Not" + element in statement:
        return not any(isinstance(p, str) and matches(p) for p in _as_list(statement["Not" + element]))
    return True  # a trust or resource policy statement without the element


def _resource_matches(pattern: str, resource: str) -> bool:
    # An ARN is matched field by field; a few resources are not ARNs (SNS's phone numbers).
    return arn_like(pattern, resource) if resource.startswith("arn:") else wildcard_match(pattern, resource)


def authorizer_policy_decision(policy: Any, method_arn: str) -> str:
    """IAM's decision (ALLOW, EXPLICIT_DENY, IMPLICIT_DENY) of a Lambda authorizer's policy on execute-api:Invoke of method_arn."""
    for statement in _statements(policy):
        if "Action" not in statement or "Resource" not in statement:
            raise MalformedPolicy("statement needs Action and Resource")
        if not all(isinstance(r, str) for r in _as_list(statement["Resource"])):
            raise MalformedPolicy("Resource must be strings")
    return evaluate([policy], "execute-api:Invoke", method_arn, {})


def lambda_policy_allows(policy: dict[str, Any] | None, *, source_arn: str, account_id: str) -> bool:
    """Whether a function's resource policy lets apigateway.amazonaws.com invoke it for source_arn."""
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": account_id}
    return _service_allowed(policy, "apigateway.amazonaws.com", "lambda:InvokeFunction", context)


def service_may_assume(trust_policy: Any, service: str, context: Mapping[str, Any]) -> bool:
    """Whether a role's trust policy lets an AWS service (lambda.amazonaws.com…) assume the role."""
    return _service_allowed(trust_policy, service, "sts:AssumeRole", context)


def _service_allowed(policy: Any, service: str, action: str, context: Mapping[str, Any]) -> bool:
    """Whether a resource-based policy (a function's policy, a role's trust policy) allows a service an action."""
    if policy is None:
        return False
    try:
        statements = _statements(policy)
    except MalformedPolicy:
        return False
    # Such a policy is attached to its resource: only its principals, actions and conditions decide.
    theirs = [{k: v for k, v in s.items() if k not in ("Resource", "NotResource")}
              for s in statements if _principal_names(s.get("Principal"), service)]
    return evaluate([{"Statement": theirs}], action, "*", context) == ALLOW


def _principal_names(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return service in _as_list(principal.get("Service", [])) or principal.get("AWS") == "*"


# Condition operators: how one value in the request compares with one value in the policy.


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> float:
    text = str(text)
    try:
        return float(text)  # epoch seconds, as aws:EpochTime
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _ordered(convert: Callable[[str], float], compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def check(expected: str, actual: str) -> bool:
        try:
            return compare(convert(actual), convert(expected))
        except (TypeError, ValueError):
            return False  # a value that is not a number (or a date) matches nothing

    return check


def _in_network(expected: str, actual: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    except ValueError:
        return False


_POSITIVE: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda e, a: e == a,
    "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
    "StringLike": wildcard_match,
    "NumericEquals": _ordered(_number, lambda a, e: a == e),
    "NumericLessThan": _ordered(_number, lambda a, e: a < e),
    "NumericLessThanEquals": _ordered(_number, lambda a, e: a <= e),
    "NumericGreaterThan": _ordered(_number, lambda a, e: a > e),
    "NumericGreaterThanEquals": _ordered(_number, lambda a, e: a >= e),
    "DateEquals": _ordered(_date, lambda a, e: a == e),
    "DateLessThan": _ordered(_date, lambda a, e: a < e),
    "DateLessThanEquals": _ordered(_date, lambda a, e: a <= e),
    "DateGreaterThan": _ordered(_date, lambda a, e: a > e),
    "DateGreaterThanEquals": _ordered(_date, lambda a, e: a >= e),
    "Bool": lambda e, a: e.lower() == a.lower(),
    "BinaryEquals": lambda e, a: e == a,
    "IpAddress": _in_network,
    "ArnEquals": arn_like,  # IAM documents ArnEquals and ArnLike as behaving identically
    "ArnLike": arn_like,
}
# The negated operators: true when no policy value matches, and when the key is absent.
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _conditions_hold(conditions: dict[str, Any], context: Mapping[str, Any]) -> bool:
    """Every operator, and every key under it, must hold; an operator the sandbox does not know fails closed."""
    if not isinstance(conditions, dict):
        return False
    for operator, tests in conditions.items():
        if not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            if not _condition_holds(operator, [str(e) for e in _as_list(expected)], context.get(key.lower())):
                return False
    return True


def _condition_holds(operator: str, expected: list[str], actual: Any) -> bool:
    qualifier, _, name = operator.rpartition(":")  # ForAnyValue:StringLike, ForAllValues:…
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    if name == "Null":  # "true": the key must be absent; "false": present
        return any((actual is None) == (e.lower() == "true") for e in expected)
    negated = name in _NEGATED
    compare = _POSITIVE.get(_NEGATED.get(name, name))
    if compare is None or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        return False
    if actual is None:
        return if_exists or qualifier == "ForAllValues" or (negated and not qualifier)
    values = [str(v) for v in _as_list(actual)]

    def matches(value: str) -> bool:
        return any(compare(e, value) for e in expected) != negated

    if qualifier == "ForAnyValue":
        return any(matches(v) for v in values)
    return all(matches(v) for v in values)
