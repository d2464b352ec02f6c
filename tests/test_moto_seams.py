"""Where the sandbox joins moto's internals; each test fails loudly if a moto upgrade moves a seam."""

from __future__ import annotations

import inspect

import moto
from packaging.version import Version


def test_moto_is_in_the_tested_range():
    assert Version("5.2.5") <= Version(moto.__version__) < Version("5.3"), (
        f"moto {moto.__version__} is outside the tested range; check every seam below, then widen the pin"
    )


def test_server_application_seam():
    # The front door wraps moto's server app the way `moto_server` builds it.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    assert list(inspect.signature(DomainDispatcherApplication).parameters) == ["create_app"]
    assert callable(create_backend_app)
    assert callable(DomainDispatcherApplication.__call__)


def test_account_selection_header_seam():
    # The front door selects the sandbox's account with x-moto-account-id.
    from moto.core.responses import BaseResponse

    assert "x-moto-account-id" in inspect.getsource(BaseResponse.get_current_account)


def test_managed_policies_switch_seam():
    from moto.settings import default_user_config, load_iam_aws_managed_policies

    assert "load_aws_managed_policies" in default_user_config["iam"]
    assert "default_user_config" in inspect.getsource(load_iam_aws_managed_policies)


def test_lambda_invocation_hook_seam():
    # The engine replaces this method so every caller (Invoke, S3 notifications…) runs real code.
    from moto.awslambda.models import LambdaFunction

    assert list(inspect.signature(LambdaFunction._invoke_lambda).parameters) == ["self", "event"]


def test_function_record_seam():
    # moto_link.function_spec reads these attributes of a moto function version.
    from moto.awslambda.models import LambdaFunction

    init = inspect.getsource(LambdaFunction)
    for attribute in ("code_bytes", "code_sha_256", "run_time", "handler", "environment_vars", "architectures",
                      "reserved_concurrency", "memory_size", "timeout", "function_arn", "version", "role",
                      "last_modified"):
        assert f"self.{attribute}" in init, attribute


def test_backend_lookup_seams():
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.models import LambdaBackend, lambda_backends
    from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends
    from moto.logs.models import LogsBackend, logs_backends

    assert issubclass(UnknownFunctionException, Exception)
    assert list(inspect.signature(LambdaBackend.get_function).parameters) == ["self", "function_name_or_arn", "qualifier"]
    assert list(inspect.signature(LogsBackend.ensure_log_group).parameters) == ["self", "log_group_name"]
    assert list(inspect.signature(LogsBackend.ensure_log_stream).parameters) == ["self", "log_group_name", "log_stream_name"]
    assert list(inspect.signature(LogsBackend.put_log_events).parameters)[:4] == ["self", "log_group_name", "log_stream_name", "log_events"]
    assert list(inspect.signature(CloudWatchBackend.put_metric_data).parameters) == ["self", "namespace", "metric_data"]
    for backends in (lambda_backends, logs_backends, cloudwatch_backends):
        assert backends["123456789012"]["us-east-1"] is not None


def test_account_reset_seams():
    # moto_link.forget_account drops a stopped sandbox's account.
    from moto.core.base_backend import AccountSpecificBackend, BackendDict, backend_lock
    from moto.s3.models import s3_backends

    assert isinstance(BackendDict._instances, list)
    from moto.iam.models import iam_backends

    assert iam_backends.service_name == "iam"  # forget_account skips IAM's costly re-initialisation by this name
    assert callable(AccountSpecificBackend.reset)
    assert backend_lock is not None
    assert isinstance(s3_backends.bucket_accounts, dict)


def test_apigateway_model_seams():
    # moto_link's API Gateway reads (rest_api, stage, api_snapshot, api keys, usage plans) and the
    # deployment id apigateway_backend.create_deployment_app parses from CreateDeployment's answer.
    from moto.apigateway.models import (APIGatewayBackend, Authorizer, Deployment, GatewayResponse, Stage,
                                        UsagePlan, apigateway_backends)
    from moto.apigateway.responses import APIGatewayResponse

    assert list(inspect.signature(APIGatewayBackend.get_usage_plans).parameters) == ["self", "api_key_id"]
    assert list(inspect.signature(APIGatewayBackend.create_deployment).parameters)[:3] == ["self", "function_id", "name"]
    assert '"id"' in inspect.getsource(Deployment.to_json)
    assert '"deploymentId"' in inspect.getsource(Stage.to_json) and '"apiStages"' in inspect.getsource(UsagePlan.to_json)
    assert callable(Authorizer.to_json) and callable(GatewayResponse.to_json)
    assert "create_deployment" in inspect.getsource(APIGatewayResponse)
    backend = apigateway_backends["123456789012"]["eu-west-3"]
    try:
        api = backend.create_rest_api("seams", "")
        for attribute in ("resources", "authorizers", "gateway_responses", "stages", "deployments",
                          "binaryMediaTypes", "api_key_source"):
            assert hasattr(api, attribute), attribute
        assert {"id", "name", "apiKeySource"} <= set(api.to_dict())
        root = next(iter(api.resources.values()))
        assert {"id", "path"} <= set(root.to_dict())
        key = backend.create_api_key({"name": "k", "enabled": True})
        assert key.value and {"id", "value", "enabled"} <= set(key.to_json())
        assert isinstance(backend.apis, dict) and isinstance(backend.keys, dict)
    finally:
        apigateway_backends["123456789012"].pop("eu-west-3", None)


def test_lambda_policy_seam():
    # moto_link.function_policy reads the statements lambda:AddPermission stored on a version.
    from moto.awslambda.policy import Policy

    assert "self.statements" in inspect.getsource(Policy.__init__)
    assert "policy.statements" in inspect.getsource(Policy.add_statement)


def test_stage_description_seam():
    # apigateway_backend's CreateDeployment route fills in the stage description moto leaves empty.
    from moto.apigateway.models import APIGatewayBackend, Stage

    assert list(inspect.signature(APIGatewayBackend.get_stage).parameters) == ["self", "function_id", "stage_name"]
    assert "self.description" in inspect.getsource(Stage.__init__)


def test_stage_method_settings_defaults_seam():
    # moto_link.use_account_throttle_defaults replaces the defaults a new methodSettings entry starts from.
    from moto.apigateway.models import Stage

    assert list(inspect.signature(Stage._get_default_method_settings).parameters) == ["self"]
    assert "_get_default_method_settings()" in inspect.getsource(Stage._patch_method_setting)


def test_execution_role_seams():
    # ExecutionRoles issues sessions through moto's STS (so GetCallerIdentity names the assumed role)
    # and reads a role's policies and the log groups from moto's records: each is called and checked here.
    import json

    from moto.iam.models import iam_backends
    from moto.logs.models import logs_backends
    from moto.sts.models import sts_backends

    from helpers.sandbox import moto_link

    account, region = "210987654321", "us-east-1"
    iam = iam_backends[account]["aws"]
    try:
        role = iam.create_role("seam-role", json.dumps({"Statement": []}), "/", None, "", [], None)
        document = '{"Version": "2012-10-17", "Statement": [{"Effect": "%s", "Action": "s3:*", "Resource": "*"}]}'
        iam.put_role_policy("seam-role", "inline", document % "Allow")
        managed = iam.create_policy("", "/", document % "Deny", "managed", [])
        iam.attach_role_policy(managed.arn, "seam-role")
        key, secret, token = moto_link.assume_role(account, region, role.arn, "seam-function")
        assert key.startswith("ASIA") and secret and token
        _, arn, owner = sts_backends[account]["aws"].get_caller_identity(key, region)
        assert (arn, owner) == (f"arn:aws:sts::{account}:assumed-role/seam-role/seam-function", account)
        found = moto_link.role(account, region, role.arn)
        assert found is role and moto_link.role(account, region, role.arn + "-gone") is None
        assert json.loads(found.assume_role_policy_document) == {"Statement": []}  # the trust policy, as sent
        assert [json.loads(d)["Statement"][0]["Effect"] for d in moto_link.role_policy_documents(found)] == ["Allow", "Deny"]
        assert not moto_link.log_group_exists(account, region, "/aws/lambda/seam")
        logs_backends[account][region].ensure_log_group("/aws/lambda/seam")
        assert moto_link.log_group_exists(account, region, "/aws/lambda/seam")
        from moto.s3.models import s3_backends

        assert moto_link.s3_object_exists(account, region, "seam-bucket", "k") is None
        s3_backends[account]["aws"].create_bucket("seam-bucket", region)
        assert moto_link.s3_object_exists(account, region, "seam-bucket", "k") is False
        s3_backends[account]["aws"].put_object("seam-bucket", "k", b"v")
        assert moto_link.s3_object_exists(account, region, "seam-bucket", "k") is True
    finally:
        moto_link.forget_account(account)


def _environ(method: str, path: str, body: bytes, **headers: str) -> dict:
    from werkzeug.test import EnvironBuilder

    return EnvironBuilder(method=method, path=path, data=body, headers=headers).get_environ()


def test_request_parsing_seam():
    # config_refusals reads control-plane requests with moto's model-driven router and parser.
    from helpers.sandbox import moto_link

    create = b'{"FunctionName": "f", "Timeout": 10000}'
    parsed = moto_link.parse_request("lambda", _environ("POST", "/2015-03-31/functions", create,
                                                        **{"Content-Type": "application/json"}), create)
    assert (parsed.operation.name, parsed.protocol) == ("CreateFunction", "rest-json")
    assert parsed.params == {"FunctionName": "f", "Timeout": 10000}
    assert parsed.operation.input_shape.members["Timeout"].metadata["min"] == 1
    labels = moto_link.parse_request("apigateway", _environ("POST", "/restapis/abc/resources/root", b'{"pathPart": "x"}',
                                                            **{"Content-Type": "application/json"}), b'{"pathPart": "x"}')
    assert labels.params == {"restApiId": "abc", "parentId": "root", "pathPart": "x"}
    assert labels.operation.input_shape.members["restApiId"].serialization["location"] == "uri"
    form = b"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key=k"
    query = moto_link.parse_request("iam", _environ("POST", "/", form, **{
        "Content-Type": "application/x-www-form-urlencoded"}), form)
    assert (query.operation.name, query.protocol, query.params["RoleName"]) == ("CreateRole", "query", "r")
    assert query.params["Tags"][0]["Key"] == "k"
    # What the model can't read is left to moto: a list for a body, a path no operation has.
    assert moto_link.parse_request("lambda", _environ("POST", "/2015-03-31/functions", b"[]", **{
        "Content-Type": "application/json"}), b"[]") is None
    assert moto_link.parse_request("lambda", _environ("GET", "/no/such/path", b""), b"") is None


def test_refusal_state_seams():
    # config_refusals' rules read reserved concurrency, resource path parts and the account's CloudWatch role.
    from moto.apigateway.models import Account, Resource
    from moto.awslambda.models import LambdaBackend

    assert "self.cloudwatch_role_arn" in inspect.getsource(Account)
    assert "self.path_part" in inspect.getsource(Resource.__init__) and "self.parent_id" in inspect.getsource(Resource.__init__)
    from moto.awslambda.models import LambdaFunction, LambdaStorage

    # moto_link.account_usage and other_reserved_concurrency read the storage (moto's listing deep-copies).
    assert "self._lambdas = LambdaStorage(" in inspect.getsource(LambdaBackend.__init__)
    assert "self._functions" in inspect.getsource(LambdaStorage.__init__)
    assert '"versions"' in inspect.getsource(LambdaStorage) and '"latest"' in inspect.getsource(LambdaStorage)
    assert "self.code_size" in inspect.getsource(LambdaFunction)


def test_binary_media_types_patch_seam():
    # moto_link.use_aws_rest_api_patches wraps RestAPI.apply_patch_operations.
    from helpers.sandbox import moto_link
    from moto.apigateway.models import RestAPI, apigateway_backends

    moto_link.use_aws_rest_api_patches()
    assert list(inspect.signature(moto_link._original_patch_rest_api).parameters) == ["self", "patch_operations"]
    backend = apigateway_backends["123456789012"]["eu-west-3"]
    try:
        api = backend.create_rest_api("seams", "")
        assert isinstance(api, RestAPI) and api.binaryMediaTypes == []
        api.apply_patch_operations([{"op": "add", "path": "/binaryMediaTypes/image~1png"},
                                    {"op": "replace", "path": "/description", "value": "d"}])
        assert (api.binaryMediaTypes, api.description) == (["image/png"], "d")
    finally:
        apigateway_backends["123456789012"].pop("eu-west-3", None)


def test_account_cloudwatch_role_seam():
    # moto_link.cloudwatch_role_arn reads the role UpdateAccount /cloudwatchRoleArn stored.
    from moto.apigateway.models import apigateway_backends

    from helpers.sandbox import moto_link

    backend = apigateway_backends["123456789012"]["eu-west-3"]
    try:
        assert moto_link.cloudwatch_role_arn("123456789012", "eu-west-3") is None
        role = "arn:aws:iam::123456789012:role/apigateway-logs"
        backend.update_account([{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
        assert moto_link.cloudwatch_role_arn("123456789012", "eu-west-3") == role
    finally:
        apigateway_backends["123456789012"].pop("eu-west-3", None)


def test_test_invoke_is_not_moto_s():
    # The sandbox serves TestInvokeMethod/TestInvokeAuthorizer itself; moto 5.2 has neither (a crash, not a 404).
    from moto.apigateway.responses import APIGatewayResponse

    assert not hasattr(APIGatewayResponse, "test_invoke_method")
    assert not hasattr(APIGatewayResponse, "test_invoke_authorizer")
