"""IAM policy evaluation against the cases the IAM User Guide documents (policy evaluation logic, the
Action/NotAction, Resource/NotResource and Condition elements, condition operators)."""

from __future__ import annotations

import pytest

from helpers.gateway.policies import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, MalformedPolicy, evaluate

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/notes"


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action="dynamodb:GetItem", resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="dynamodb:GetItem", resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(*statements: dict, action="dynamodb:GetItem", resource=TABLE, context=None) -> str:
    return evaluate([policy(*statements)], action, resource, context or {})


def test_nothing_allows_by_default():
    assert evaluate([], "dynamodb:GetItem", TABLE, {}) == IMPLICIT_DENY
    assert decide(allow("dynamodb:PutItem")) == IMPLICIT_DENY


def test_an_explicit_deny_wins_whatever_allows():
    assert decide(allow("dynamodb:*"), deny()) == EXPLICIT_DENY
    # Across policies too: one policy's Deny overrides another's Allow.
    assert evaluate([policy(allow("*")), policy(deny("dynamodb:Get*"))], "dynamodb:GetItem", TABLE, {}) == EXPLICIT_DENY


@pytest.mark.parametrize("pattern, expected", [
    ("dynamodb:GetItem", ALLOW), ("DynamoDB:getitem", ALLOW),  # action names ignore case
    ("dynamodb:Get*", ALLOW), ("dynamodb:*", ALLOW), ("*", ALLOW), ("dynamodb:?etItem", ALLOW),
    ("dynamodb:Get", IMPLICIT_DENY), ("dynamodb:??tItem", ALLOW), ("dynamodb:?Item", IMPLICIT_DENY),
    (["s3:GetObject", "dynamodb:GetItem"], ALLOW), ("s3:*", IMPLICIT_DENY),
])
def test_action_wildcards(pattern, expected):
    assert decide(allow(pattern)) == expected


@pytest.mark.parametrize("pattern, expected", [
    (TABLE, ALLOW), ("arn:aws:dynamodb:*:*:table/notes", ALLOW), ("arn:aws:dynamodb:us-east-1:123456789012:table/*", ALLOW),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/note?", ALLOW), ("arn:aws:dynamodb:us-east-1:123456789012:table/Notes", IMPLICIT_DENY),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/notes/index/*", IMPLICIT_DENY), ("arn:aws:dynamodb:us-west-2:*:table/notes", IMPLICIT_DENY),
    ("*", ALLOW),
])
def test_resource_wildcards_and_case(pattern, expected):
    assert decide(allow(resource=pattern)) == expected


def test_not_action_allows_everything_else():
    everything_but_iam = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert decide(everything_but_iam) == ALLOW
    assert decide(everything_but_iam, action="iam:CreateUser", resource="arn:aws:iam::123456789012:user/x") == IMPLICIT_DENY
    # A NotAction Deny denies every other action, and does not itself allow the listed ones.
    no_writes = {"Effect": "Deny", "NotAction": ["dynamodb:Get*", "dynamodb:Query"], "Resource": "*"}
    assert decide(allow("dynamodb:*"), no_writes) == ALLOW
    assert decide(allow("dynamodb:*"), no_writes, action="dynamodb:PutItem") == EXPLICIT_DENY
    assert decide(no_writes) == IMPLICIT_DENY


def test_not_resource():
    all_but_secrets = {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::bucket/secret/*"}
    assert decide(all_but_secrets, action="s3:GetObject", resource="arn:aws:s3:::bucket/public/a") == ALLOW
    assert decide(all_but_secrets, action="s3:GetObject", resource="arn:aws:s3:::bucket/secret/a") == IMPLICIT_DENY


SOURCE = {"aws:sourcearn": "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/hello",
          "aws:securetransport": "true", "aws:principalarn": "arn:aws:iam::123456789012:role/reader-role",
          "aws:sourceip": "10.1.2.3", "aws:epochtime": "1800000000", "aws:currenttime": "2027-01-15T08:00:00Z",
          "aws:principaltag/team": ["blue", "green"]}


@pytest.mark.parametrize("condition, expected", [
    ({"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/*"}}, ALLOW),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:*:123456789012:other/*"}}, IMPLICIT_DENY),
    ({"ArnEquals": {"aws:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/hello"}}, ALLOW),
    ({"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/reader-role"}}, ALLOW),
    ({"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/READER-role"}}, IMPLICIT_DENY),
    ({"StringEqualsIgnoreCase": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/READER-role"}}, ALLOW),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/read*"}}, ALLOW),
    ({"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/read*"}}, IMPLICIT_DENY),
    ({"StringEquals": {"aws:PrincipalArn": ["arn:aws:iam::1:role/a", "arn:aws:iam::123456789012:role/reader-role"]}}, ALLOW),
    ({"Bool": {"aws:SecureTransport": "true"}}, ALLOW), ({"Bool": {"aws:SecureTransport": "false"}}, IMPLICIT_DENY),
    ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, IMPLICIT_DENY),  # absent key: no match
    ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, ALLOW),  # absent key: IfExists holds
    ({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}, ALLOW),  # negated operator, absent key: holds
    ({"Null": {"aws:SourceVpc": "true"}}, ALLOW), ({"Null": {"aws:SourceArn": "true"}}, IMPLICIT_DENY),
    ({"NumericLessThan": {"aws:EpochTime": "1900000000"}}, ALLOW), ({"NumericGreaterThan": {"aws:EpochTime": "1900000000"}}, IMPLICIT_DENY),
    ({"DateLessThan": {"aws:CurrentTime": "2027-02-01T00:00:00Z"}}, ALLOW), ({"DateGreaterThan": {"aws:CurrentTime": "2027-02-01"}}, IMPLICIT_DENY),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, ALLOW), ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, IMPLICIT_DENY),
    ({"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": ["green", "red"]}}, ALLOW),
    ({"ForAllValues:StringEquals": {"aws:PrincipalTag/team": ["green", "red"]}}, IMPLICIT_DENY),
    ({"ForAllValues:StringEquals": {"aws:PrincipalTag/team": ["green", "blue", "red"]}}, ALLOW),
    # Every operator and every key must hold (AND); the values of one key are alternatives (OR).
    ({"Bool": {"aws:SecureTransport": "true"}, "IpAddress": {"aws:SourceIp": "192.168.0.0/16"}}, IMPLICIT_DENY),
    ({"StringLike": {"aws:PrincipalArn": "*reader*", "aws:SourceIp": "10.*"}}, ALLOW),
    ({"NoSuchOperator": {"aws:SourceIp": "10.1.2.3"}}, IMPLICIT_DENY),  # unknown operators fail closed
])
def test_condition_operators(condition, expected):
    assert decide(allow(Condition=condition), context=SOURCE) == expected


def test_a_deny_whose_condition_fails_does_not_apply():
    only_over_https = deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    assert decide(allow(), only_over_https, context=SOURCE) == ALLOW
    assert decide(allow(), only_over_https, context={**SOURCE, "aws:securetransport": "false"}) == EXPLICIT_DENY


def test_a_malformed_policy_is_refused():
    with pytest.raises(MalformedPolicy):
        evaluate([{"Statement": [{"Effect": "Maybe", "Action": "*"}]}], "s3:GetObject", "*", {})
    with pytest.raises(MalformedPolicy):
        evaluate([{"Version": "2012-10-17"}], "s3:GetObject", "*", {})
