"""Method authorization: AWS_IAM, and Lambda authorizers (TOKEN and REQUEST) with policies and caching."""

import pytest

from tests.support import ACCOUNT, REGION, lambda_arn, send

METHOD_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/dev/GET/pets/7"


def policy(*statements, principal="user-1", **extra):
    return {"principalId": principal, "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)}, **extra}


def statement(effect="Allow", resource="*", action="execute-api:Invoke"):
    return {"Action": action, "Effect": effect, "Resource": resource}


class Authorizer:
    """A fake authorizer function that records its events and answers `answer`."""

    def __init__(self, answer):
        self.answer = answer
        self.events = []

    def __call__(self, event):
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def protect(api, app):
    """Put GET/POST /pets/{id} behind an authorizer answering `answer`; returns the fake authorizer."""

    def setup(answer, **authorizer_settings):
        authorizer = Authorizer(answer)
        authorizer_id = api.authorizer(authorizer, **authorizer_settings)
        for method in ("GET", "POST"):
            api.lambda_method("/pets/{id}", method, authorizationType="CUSTOM", authorizerId=authorizer_id)
        api.deploy()
        return authorizer

    return setup


def get(app, token="allow-me", path="/pets/7", method="GET", **kwargs):
    headers = [("Authorization", token)] if token is not None else []
    return send(app, method, path, headers=headers, **kwargs)


def test_token_authorizer_event_and_context(protect, app, last_event):
    authorizer = protect(policy(statement(resource=METHOD_ARN), context={"n": 1, "ok": True, "s": "x", "none": None}))
    reply = get(app)
    assert reply.status == 200
    assert authorizer.events == [{"type": "TOKEN", "methodArn": METHOD_ARN, "authorizationToken": "allow-me"}]
    context = last_event()["requestContext"]["authorizer"]
    assert context["principalId"] == "user-1"
    assert (context["n"], context["ok"], context["s"]) == ("1", "true", "x")
    assert "none" not in context


def test_request_authorizer_event(protect, app):
    authorizer = protect(policy(statement()), type="REQUEST",
                         identity_source="method.request.header.X-User, method.request.querystring.tenant")
    reply = send(app, "GET", "/pets/7", query="tenant=t1", headers=[("X-User", "ann")])
    assert reply.status == 200
    event = authorizer.events[0]
    assert list(event) == ["type", "methodArn", "resource", "path", "httpMethod", "headers", "multiValueHeaders",
                           "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                           "stageVariables", "requestContext"]
    assert (event["type"], event["methodArn"], event["resource"]) == ("REQUEST", METHOD_ARN, "/pets/{id}")
    assert event["pathParameters"] == {"id": "7"} and event["queryStringParameters"] == {"tenant": "t1"}


@pytest.mark.parametrize("query, headers", [("", [("X-User", "ann")]), ("tenant=t1", []), ("tenant=", [("X-User", "a")])])
def test_request_authorizer_missing_source_is_401_without_calling(protect, app, query, headers):
    authorizer = protect(policy(statement()), type="REQUEST",
                         identity_source="method.request.header.X-User,method.request.querystring.tenant")
    assert send(app, "GET", "/pets/7", query=query, headers=headers).status == 401
    assert authorizer.events == []


@pytest.mark.parametrize("token, status", [("Bearer abc", 200), ("Basic abc", 401), ("", 401), (None, 401)])
def test_token_validation_expression(protect, app, token, status):
    authorizer = protect(policy(statement()), identityValidationExpression=r"Bearer \w+")
    assert get(app, token=token).status == status
    assert len(authorizer.events) == (status == 200)


@pytest.mark.parametrize("statements, status", [
    ([statement("Allow")], 200),
    ([statement("Allow"), statement("Deny", METHOD_ARN)], 403),  # explicit Deny wins
    ([statement("Deny", "arn:aws:execute-api:*:*:abc123/*/POST/*"), statement("Allow")], 200),
    ([], 403),
    ([statement("Allow", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/dev/GET/pets/*")], 200),
    ([statement("Allow", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/*/GET/pets/?")], 200),
    ([statement("Allow", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/prod/*")], 403),
    ([statement("Allow", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/dev/get/pets/7")], 403),  # case matters
    ([statement("Allow", ["arn:nope", METHOD_ARN])], 200),
    ([statement("Allow", action="execute-api:*")], 200),
    ([statement("Allow", action="s3:GetObject")], 403),
])
def test_policy_evaluation(protect, app, statements, status):
    protect(policy(*statements))
    assert get(app).status == status


@pytest.mark.parametrize("answer", [
    {"principalId": "x"},
    policy({"Effect": "Maybe", "Action": "execute-api:Invoke", "Resource": "*"}),
    policy({"Effect": "Allow", "Resource": "*"}),
    {"principalId": "x", "policyDocument": "Allow"},
    policy(statement(), context={"nested": {"a": 1}}),
    ["not", "an", "object"],
    KeyError("crash"),
])
def test_bad_authorizer_output_is_500_null(protect, app, answer):
    protect(answer)
    reply = get(app)
    assert (reply.status, reply.body) == (500, b'{"message":null}')


def test_authorizer_without_invoke_permission_is_500(protect, app, backend):
    protect(policy(statement()))
    del backend.policies[lambda_arn("auth")]
    assert get(app).status == 500


def test_result_cached_per_identity_for_ttl(protect, app, clock):
    authorizer = protect(policy(statement()), ttl=60)
    assert [get(app, "t1").status, get(app, "t1").status, get(app, "t2").status] == [200, 200, 200]
    assert [e["authorizationToken"] for e in authorizer.events] == ["t1", "t2"]
    clock.advance(61)
    get(app, "t1")
    assert len(authorizer.events) == 3


def test_ttl_zero_disables_cache(protect, app):
    authorizer = protect(policy(statement()), ttl=0)
    get(app)
    get(app)
    assert len(authorizer.events) == 2


def test_cached_policy_is_reevaluated_for_each_method(protect, app):
    # The authorizer allowed only the ARN of the first call; the cached policy then denies POST.
    protect(policy(statement(resource=METHOD_ARN)))
    assert get(app).status == 200
    assert get(app, method="POST").status == 403


def test_unauthorized_is_not_cached(protect, app):
    authorizer = protect(Exception("Unauthorized"))
    assert get(app).status == 401
    assert get(app).status == 401
    assert len(authorizer.events) == 2


def test_usage_identifier_key_from_authorizer(api, app, backend, last_event):
    api.api_key_source = "AUTHORIZER"
    authorizer_id = api.authorizer(Authorizer(policy(statement(), usageIdentifierKey="secret-key-value-123")))
    api.lambda_method("/k", "GET", authorizationType="CUSTOM", authorizerId=authorizer_id, apiKeyRequired=True)
    api.deploy()
    backend.api_keys["secret-key-value-123"] = {"id": "kid", "value": "secret-key-value-123", "enabled": True}
    backend.usage_plans.append({"id": "p", "keyIds": ["kid"], "apiStages": [{"apiId": "abc123", "stage": "dev"}]})
    assert send(app, "GET", "/k", headers=[("Authorization", "t")]).status == 200
    assert last_event()["requestContext"]["identity"]["apiKeyId"] == "kid"


@pytest.mark.parametrize("signature, status, body, error_type", [
    (None, 403, b'{"message":"Missing Authentication Token"}', "MissingAuthenticationTokenException"),
    (False, 403, b'{"message":"The security token included in the request is invalid."}', "UnrecognizedClientException"),
    (True, 200, None, None),
])
def test_aws_iam(api, app, backend, last_event, signature, status, body, error_type):
    api.lambda_method("/iam", "GET", authorizationType="AWS_IAM")
    api.deploy()
    backend.signature = signature
    auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=x"
    reply = send(app, "GET", "/iam", headers=[("Authorization", auth)])
    assert (reply.status, reply.header("x-amzn-ErrorType")) == (status, error_type)
    if body is not None:
        assert reply.body == body
    else:
        identity = last_event()["requestContext"]["identity"]
        assert (identity["accessKey"], identity["accountId"]) == ("AKIDEXAMPLE", ACCOUNT)
        assert identity["userArn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_cognito_authorizer_is_a_configuration_error(api, app):
    api.lambda_method("/c", "GET", authorizationType="COGNITO_USER_POOLS", authorizerId="x")
    api.deploy()
    assert send(app, "GET", "/c").status == 500
