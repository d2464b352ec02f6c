"""Chapter 03 exercises: the SourceArn of an invoke permission, and a second stage."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

import boto3
from .diagnosis import call, explain
from .exercise import Exercise, Incorrect

_EXECUTE_API = re.compile(r"^arn:aws:execute-api:(?P<region>[^:]+):(?P<account>\d{12}):(?P<api>[^/]+)/(?P<rest>.*)$")


def _check_source_arn(source_arn: object, api_id: str) -> str:
    if not isinstance(source_arn, str):
        raise Incorrect("the SourceArn is a string.")
    if source_arn.startswith("arn:aws:apigateway:"):
        raise Incorrect("arn:aws:apigateway:... names API Gateway's configuration; calls to an API are arn:aws:execute-api:... ARNs.")
    match = _EXECUTE_API.match(source_arn)
    if not match:
        raise Incorrect("the form is arn:aws:execute-api:<region>:<account id>:<api id>/<stage>/<method>/<path>.")
    sts = boto3.client("sts")
    region, account = boto3.client("apigateway").meta.region_name, sts.get_caller_identity()["Account"]
    if match["region"] != region:
        raise Incorrect(f"the Region is {match['region']!r}; the API lives in {region!r}.")
    if match["account"] != account:
        raise Incorrect(f"the account id is {match['account']}; yours is {account}.")
    if match["api"] != api_id:
        raise Incorrect(f"that ARN names API {match['api']!r}; yours is api_id = {api_id!r}.")
    parts = match["rest"].split("/", 2)
    if len(parts) < 3:
        raise Incorrect("after the API id come three parts: <stage>/<method>/<path>, e.g. */POST/orders.")
    stage, method, path = parts
    if method != "POST":
        raise Incorrect(f"the method part is {method!r}; the exercise is about POST.")
    if path.startswith("/"):
        raise Incorrect(f"the path part is {path!r}; it is the resource path without its leading slash: 'orders'.")
    if path != "orders" and fnmatchcase("orders", path):
        raise Incorrect(f"the path part {path!r} also covers other paths than /orders; least privilege: name just 'orders'.")
    if path.startswith("orders/") and "*" in path:
        raise Incorrect(f"{path!r} covers the paths below /orders (such as /orders/42) but not /orders itself: "
                        "POST /orders would get 500. Name the resource path itself: 'orders'.")
    if path != "orders":
        raise Incorrect(f"the path part is {path!r}; the method is on the resource /orders, written without its leading slash: 'orders'.")
    if stage != "*":
        raise Incorrect(f"that only allows stage {stage!r}; use * so every stage you deploy to may call the function.")
    return "API Gateway may invoke the function for POST /orders, on any stage of this API."


def _check_test_stage(test_url: object, api_id: str) -> str:
    if not isinstance(test_url, str) or not test_url.startswith("http"):
        raise Incorrect("test_url is the full URL, starting with http.")
    stages = {s["stageName"] for s in boto3.client("apigateway").get_stages(restApiId=api_id)["item"]}
    if "test" not in stages:
        raise Incorrect("there is no stage 'test' yet: create a deployment with stageName='test'.")
    if "/test/" not in test_url:
        wrong = "/dev/" in test_url and "the dev stage" or "another stage"
        raise Incorrect(f"that URL is for {wrong}: the test stage's URLs have /test/ in their path.")
    if not test_url.rstrip("/").endswith("/hello"):
        raise Incorrect("you forgot to append the resource path /hello to the stage URL.")
    answer = call(test_url)
    if answer.status_code != 200:
        raise Incorrect(explain(answer))
    return f"the test stage answers {answer.text}."


q1 = Exercise(
    "q1", ("source_arn", "api_id"), _check_source_arn,
    "arn:aws:execute-api:<region>:<account id>:<api id>/<stage or *>/<method>/<path without the leading slash>",
    'source_arn = f"arn:aws:execute-api:{region}:{account_id}:{api_id}/*/POST/orders"',
)
q2 = Exercise(
    "q2", ("test_url", "api_id"), _check_test_stage,
    "apigateway.create_deployment(restApiId=api_id, stageName='test'), then invoke_url(api_id, 'test', '/hello').",
    'apigateway.create_deployment(restApiId=api_id, stageName="test", stageDescription="Test stage")\n'
    'test_url = invoke_url(api_id, "test", "/hello")',
)
