"""Building Lambda functions and REST APIs in a sandbox with plain boto3, the way the walkthrough does."""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HANDLERS = Path(__file__).resolve().parent / "fixtures" / "gateway_lambdas"
HELLO_BODY = b'"Hello, World! from Lambda!"'
ASSUME_ROLE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _add_installed(archive: zipfile.ZipFile, module: str) -> None:
    # The worker sees only the standard library, boto3 and the zip, as on AWS: libraries
    # go into the zip, copied from this environment's site-packages.
    spec = importlib.util.find_spec(module)
    origin = Path(spec.origin)
    if origin.name != "__init__.py":
        archive.write(origin, origin.name)
        return
    for path in origin.parent.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            archive.write(path, str(path.relative_to(origin.parent.parent)))


@functools.lru_cache(maxsize=None)
def code_zip(handler_file: str, libraries: tuple[str, ...] = ()) -> bytes:
    """A deployment package: one handler file from the fixtures (as app.py) and the named installed libraries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.write(HANDLERS / handler_file, "app.py")
        for module in libraries:
            _add_installed(archive, module)
    return buffer.getvalue()


def create_function(sandbox: Any, name: str, handler_file: str = "hello.py", handler: str = "app.lambda_handler",
                    libraries: tuple[str, ...] = (), **config: Any) -> str:
    """Create a python3.12 function (role included) and return its ARN."""
    iam = sandbox.client("iam")
    try:
        role = iam.get_role(RoleName="hello-world-api-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="hello-world-api-role", AssumeRolePolicyDocument=ASSUME_ROLE)["Role"]["Arn"]
        iam.attach_role_policy(RoleName="hello-world-api-role",
                               PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    created = sandbox.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler=handler,
        Code={"ZipFile": code_zip(handler_file, libraries)}, **config)
    return created["FunctionArn"]


def lambda_uri(sandbox: Any, function_arn: str) -> str:
    """The integration URI the console writes for a Lambda proxy integration."""
    return f"arn:aws:apigateway:{sandbox.region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


@dataclass
class RestApi:
    """A REST API made through boto3, with helpers for the console's steps."""

    sandbox: Any
    id: str
    root_id: str

    @classmethod
    def create(cls, sandbox: Any, name: str = "hello-world-api") -> "RestApi":
        """CreateRestApi, REGIONAL, as in the walkthrough."""
        apigateway = sandbox.client("apigateway")
        api = apigateway.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})
        root = next(r["id"] for r in apigateway.get_resources(restApiId=api["id"])["items"] if r["path"] == "/")
        return cls(sandbox, api["id"], root)

    @property
    def client(self) -> Any:
        """The apigateway client."""
        return self.sandbox.client("apigateway")

    def resource(self, path: str) -> str:
        """The id of the resource at `path`, creating it and its parents."""
        items = {r["path"]: r["id"] for r in self.client.get_resources(restApiId=self.id)["items"]}
        if path in items:
            return items[path]
        parent, _, part = path.rpartition("/")
        return self.client.create_resource(restApiId=self.id, parentId=self.resource(parent or "/"),
                                           pathPart=part)["id"]

    def proxy_method(self, path: str, http_method: str, function_arn: str, **method: Any) -> str:
        """PutMethod + a Lambda proxy PutIntegration; returns the resource id."""
        resource_id = self.resource(path)
        method.setdefault("authorizationType", "NONE")
        self.client.put_method(restApiId=self.id, resourceId=resource_id, httpMethod=http_method, **method)
        self.client.put_integration(restApiId=self.id, resourceId=resource_id, httpMethod=http_method,
                                    type="AWS_PROXY", integrationHttpMethod="POST",
                                    uri=lambda_uri(self.sandbox, function_arn))
        return resource_id

    def allow(self, function_arn: str, source: str = "*/*/*", statement_id: str = "apigateway-invoke") -> None:
        """lambda:AddPermission for API Gateway, scoped to this API and `source` (stage/method/path)."""
        self.sandbox.client("lambda").add_permission(
            FunctionName=function_arn, StatementId=statement_id, Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{self.sandbox.region}:{self.sandbox.account_id}:{self.id}/{source}")

    def deploy(self, stage: str = "dev", **kwargs: Any) -> str:
        """CreateDeployment to `stage`; returns the deployment id."""
        return self.client.create_deployment(restApiId=self.id, stageName=stage, **kwargs)["id"]

    def url(self, path: str, stage: str = "dev") -> str:
        """The invoke URL of `path` on `stage`."""
        return self.sandbox.invoke_url(self.id, stage, path)


def walkthrough(sandbox: Any) -> RestApi:
    """The walkthrough's console steps with boto3: function, API, /hello GET, permission, deploy to dev."""
    arn = create_function(sandbox, "hello-world-api")
    api = RestApi.create(sandbox)
    api.proxy_method("/hello", "GET", arn)
    api.allow(arn, source="*/GET/hello")
    api.deploy("dev", stageDescription="Development stage")
    return api
