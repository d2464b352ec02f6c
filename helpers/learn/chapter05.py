"""Chapter 05 exercises: "what went wrong?" — a hello world deployed broken at random, diagnosed and fixed with boto3."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import boto3
import requests

from ..deployment_package import zip_files
from ..steps import add_get_route, clean_up, create_basic_execution_role, invoke_url, wait_until_active
from .diagnosis import explain
from .exercise import Exercise, Incorrect

HELLO_WORLD = Path(__file__).resolve().parents[2] / "lambda_src" / "hello_world"

# What a learner may name as the cause: the chapter's mistakes and the pool's, so none wins by elimination.
CAUSES = {
    "invoke-permission": "API Gateway may not invoke the function (its resource-based policy)",
    "execution-role": "the function's role lacks a permission its code needs",
    "malformed-response": "the handler returns something that is not a proxy response",
    "wrong-route": "the URL's path, method or case matches no route",
    "not-deployed": "the change was made but never deployed to the stage",
    "unhandled-exception": "the handler raised an exception",
    "timeout": "the function ran past its timeout",
    "import-error": "Lambda could not import the handler's module",
    "handler-not-found": "the handler string names a function the module lacks",
    "syntax-error": "the code does not compile",
    "missing-setting": "a setting the code reads is missing (an environment variable)",
    "not-serializable": "the return value cannot be turned into JSON",
    "throttled": "Lambda refused to run the function (its concurrency)",
    "cors": "the browser's preflight is refused",
}

GREETING = "Hello, World! from Lambda!"
_READS_SETTING = '''import json
import os

GREETING = os.environ["GREETING"]


def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps(GREETING)}
'''
_SYNTAX_ERROR = '''import json


def lambda_handler(event, context)
    return {"statusCode": 200, "body": json.dumps("Hello, World! from Lambda!")}
'''
_DATETIME_HEADER = '''import datetime
import json


def lambda_handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Last-Modified": datetime.datetime.now(datetime.timezone.utc)},
        "body": json.dumps("Hello, World! from Lambda!"),
    }
'''


@dataclass
class Kind:
    """One way to break hello world: how to deploy it broken, the cause, and the boto3 fix."""

    key: str
    cause: str
    look: str
    files: Callable[[], dict[str, str | bytes]]
    fix_code: str
    after: Callable[["Breakage"], None] = lambda broken: None
    near: dict[str, str] = field(default_factory=dict)


def _hello_files() -> dict[str, str | bytes]:
    return {"app.py": (HELLO_WORLD / "app.py").read_text()}


def _in_a_folder() -> dict[str, str | bytes]:
    return {"hello_world/app.py": (HELLO_WORLD / "app.py").read_text()}


def _no_concurrency(broken: "Breakage") -> None:
    boto3.client("lambda").put_function_concurrency(FunctionName=broken.function_name, ReservedConcurrentExecutions=0)


def _permission_for_another_api(broken: "Breakage") -> None:
    # The statement a copied snippet leaves behind: right path and method, an older API's id.
    lam = boto3.client("lambda")
    lam.remove_permission(FunctionName=broken.function_name, StatementId="apigateway-get-hello")
    region, account = lam.meta.region_name, boto3.client("sts").get_caller_identity()["Account"]
    lam.add_permission(FunctionName=broken.function_name, StatementId="apigateway-get-hello",
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{region}:{account}:0ld4p1id00/*/GET/hello")


POOL = [
    Kind("missing-setting", "missing-setting", "the function's logs: which line of app.py failed, and what did it read?",
         lambda: {"app.py": _READS_SETTING},
         'lambda_client.update_function_configuration(\n    FunctionName=broken.function_name,\n'
         '    Environment={"Variables": {"GREETING": "Hello, World! from Lambda!"}},\n)',
         near={"unhandled-exception": "close: the code raised KeyError, but at import time, reading a setting — "
                                      "which cause is that?",
               "import-error": "close: the module failed while importing, but not because a module is missing — "
                               "read the [ERROR] line: which key?"}),
    Kind("syntax-error", "syntax-error", "the function's logs: the [ERROR] line names the file and the line.",
         lambda: {"app.py": _SYNTAX_ERROR},
         'lambda_client.update_function_code(\n    FunctionName=broken.function_name,\n'
         '    ZipFile=zip_files({"app.py": broken.source.replace("context)\\n", "context):\\n")}),\n)',
         near={"import-error": "close: the import failed, but the [ERROR] line names a more precise Runtime error."}),
    Kind("not-serializable", "not-serializable", "the function's logs: the handler returned, then what failed?",
         lambda: {"app.py": _DATETIME_HEADER},
         'lambda_client.update_function_code(\n    FunctionName=broken.function_name,\n'
         '    ZipFile=zip_files({"app.py": broken.source.replace("timezone.utc)}", "timezone.utc).isoformat()}")}),\n)',
         near={"malformed-response": "close: the response never reached API Gateway — Lambda could not serialize it "
                                     "(Runtime.MarshalError).",
               "unhandled-exception": "close: the handler returned normally; what failed came after it "
                                      "(Runtime.MarshalError)."}),
    Kind("code-in-a-folder", "import-error", "the function's logs, then the zip's layout (broken.zip_names): "
         "where must app.py sit for the handler app.lambda_handler?", _in_a_folder,
         'lambda_client.update_function_code(\n    FunctionName=broken.function_name,\n'
         '    ZipFile=zip_files({"app.py": broken.source}),  # app.py at the top of the zip, not in a folder\n)',
         near={"handler-not-found": "close: Lambda did not get as far as looking for the function — "
                                    "it could not import the module."}),
    Kind("no-concurrency", "throttled", "the function's logs are empty: the Test button's log, then "
         "lambda_client.get_function_concurrency.", _hello_files,
         "lambda_client.delete_function_concurrency(FunctionName=broken.function_name)",
         after=_no_concurrency,
         near={"invoke-permission": "close: the status is 500 and API Gateway could not run the function, but the "
                                    "Test button's log names another refusal."}),
    Kind("permission-for-another-api", "invoke-permission", "the Test button's log, then the function's "
         "resource-based policy (lambda_client.get_policy): does its SourceArn name this API?", _hello_files,
         'lambda_client.remove_permission(FunctionName=broken.function_name, StatementId="apigateway-get-hello")\n'
         'lambda_client.add_permission(\n    FunctionName=broken.function_name, StatementId="apigateway-get-hello",\n'
         '    Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",\n'
         '    SourceArn=f"arn:aws:execute-api:{region}:{account_id}:{broken.api_id}/*/GET/hello",\n)',
         after=_permission_for_another_api,
         near={"throttled": "close: the status is 500, but read the Test button's log: which refusal?"}),
]


@dataclass
class Breakage:
    """A hello world API deployed broken, with where to look and (when asked) how to fix it."""

    seed: int
    kind: Kind
    function_name: str
    api_id: str
    url: str
    source: str
    zip_names: list[str]

    @property
    def cause(self) -> str:
        """The key in CAUSES of what is wrong (look before you read this)."""
        return self.kind.cause

    def __repr__(self) -> str:
        return (f"Breakage(seed={self.seed}): GET {self.url}\n"
                f"  function {self.function_name!r}, REST API {self.api_id!r} (stage dev); its app.py is in .source")

    def hint(self) -> None:
        """Print where to look for this breakage."""
        print(f"Hint: look at {self.kind.look}")

    def solution(self) -> None:
        """Print the cause and the boto3 fix."""
        print(f"Cause: {self.cause} — {CAUSES[self.cause]}.\nFix:\n{self.kind.fix_code}")

    def repair(self) -> None:
        """Run the boto3 fix (the instructors' solutions run it)."""
        lam, apigw = boto3.client("lambda"), boto3.client("apigateway")
        namespace = {"lambda_client": lam, "apigateway": apigw, "broken": self, "zip_files": zip_files,
                     "region": lam.meta.region_name,
                     "account_id": boto3.client("sts").get_caller_identity()["Account"]}
        exec(self.kind.fix_code, namespace)  # noqa: S102 - the fix printed by solution(), run as printed
        wait_until_active(self.function_name)


def new_breakage(seed: int | None = None) -> Breakage:
    """Deploy hello world broken in a way chosen by `seed` (random when None); re-running a seed starts it afresh."""
    seed = random.SystemRandom().randrange(1000) if seed is None else seed
    kind = random.Random(seed).choice(POOL)
    name = f"mystery-{seed}"
    clean_up(function_names=[name], rest_api_names=[name], role_names=[f"{name}-role"])
    files = kind.files()
    lam, apigw = boto3.client("lambda"), boto3.client("apigateway")
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.lambda_handler", Timeout=3,
                        Role=create_basic_execution_role(f"{name}-role"), Code={"ZipFile": zip_files(files)})
    wait_until_active(name)
    api_id = apigw.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})["id"]
    add_get_route(api_id, "hello", name)
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    broken = Breakage(seed, kind, name, api_id, invoke_url(api_id, "dev", "/hello"),
                       next(iter(files.values())), sorted(files))
    kind.after(broken)
    return broken


def remove_breakages(*breakages: Breakage) -> list[str]:
    """Delete what new_breakage created (lambda, logs, apigateway, iam); returns what went."""
    names = [b.function_name for b in breakages]
    return clean_up(function_names=names, rest_api_names=names, role_names=[f"{n}-role" for n in names])


def _check_diagnosis(cause: object, broken: object) -> str:
    if not isinstance(broken, Breakage):
        raise Incorrect("run the cell that makes the broken deployment first (chapter05.new_breakage).")
    if not isinstance(cause, str) or cause not in CAUSES:
        raise Incorrect(f"{cause!r} is not one of the causes: pick a key of CAUSES, e.g. 'timeout'.")
    if cause != broken.cause:
        raise Incorrect(broken.kind.near.get(cause) or f"the evidence does not point to {CAUSES[cause]}: "
                                                         "read the status, the Test button's log and the function's logs again.")
    answer = requests.get(broken.url, timeout=10)
    if answer.status_code != 200:
        raise Incorrect(f"right cause, but the URL still fails. {explain(answer)}")
    return f"{CAUSES[cause]} — fixed: GET answers {answer.status_code} {answer.text}."


def _exercise(name: str, number: int) -> Exercise:
    cause, broken = f"cause{number}", f"broken{number}"
    return Exercise(
        name, (cause, broken), lambda **answer: _check_diagnosis(answer[cause], answer[broken]),
        f"status first (403 no route, 500 API Gateway could not call the function, 502 the function failed or "
        f"answered badly), then apigateway.test_invoke_method(...)['log'] and latest_log_lines(broken{number}.function_name); "
        f"broken{number}.hint() says where to look.",
        f"broken{number}.solution()\nbroken{number}.repair()\ncause{number} = broken{number}.cause",
    )


q1, q2, q3 = (_exercise(f"q{n}", n) for n in (1, 2, 3))
