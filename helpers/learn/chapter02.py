"""Chapter 02 exercises: the role's log policy, the handler setting, and the function's timeout and memory."""

from __future__ import annotations

from fnmatch import fnmatchcase
import boto3

from .exercise import Exercise, Incorrect

FUNCTION = "hello-world-api"
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _allows(policy: dict, action: str, resource: str) -> bool:
    """Whether the policy allows `action` on `resource` (actions match case-insensitively, ARNs exactly, * and ? as wildcards)."""
    def matches(statement: dict) -> bool:
        actions = [a.lower() for a in _as_list(statement.get("Action", []))]
        return any(fnmatchcase(action.lower(), a) for a in actions) and any(
            fnmatchcase(resource, r) for r in _as_list(statement.get("Resource", [])))
    statements = _as_list(policy["Statement"])
    if any(s.get("Effect") == "Deny" and matches(s) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and matches(s) for s in statements)


def _check_policy(log_policy: object) -> str:
    if log_policy == BASIC_EXECUTION or (isinstance(log_policy, str) and log_policy.startswith("arn:")):
        raise Incorrect("that is a policy's ARN; write the policy document itself, a dict with Version and Statement.")
    if not isinstance(log_policy, dict) or "Statement" not in log_policy:
        raise Incorrect('a policy is a dict: {"Version": "2012-10-17", "Statement": [...]}.')
    if log_policy.get("Version") != "2012-10-17":
        raise Incorrect('add "Version": "2012-10-17", the current policy language (without it IAM reads the policy as 2008-10-17).')
    statements = _as_list(log_policy["Statement"])
    for statement in statements:
        if not isinstance(statement, dict) or not {"Effect", "Action", "Resource"} <= set(statement):
            raise Incorrect("each statement is a dict with Effect, Action and Resource.")
    region = boto3.client("logs").meta.region_name
    account = boto3.client("sts").get_caller_identity()["Account"]
    group = f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{FUNCTION}"
    stream = f"{group}:log-stream:2026/12/01/[$LATEST]0123456789abcdef0123456789abcdef"
    if _allows(log_policy, "s3:GetObject", "arn:aws:s3:::any-bucket/any-key"):
        raise Incorrect("that allows every action (even s3:GetObject on any bucket): list only the three logs: actions.")
    if _allows(log_policy, "logs:DeleteLogGroup", f"{group}:*"):
        raise Incorrect("that also lets the function delete log groups (logs:DeleteLogGroup): list only the three actions it needs.")
    if _allows(log_policy, "logs:PutLogEvents", f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/other-function:log-stream:x"):
        raise Incorrect("that lets the function write into other functions' log groups too (such as /aws/lambda/other-function): "
                        f"give CreateLogStream and PutLogEvents the resource {group}:*")
    if not _allows(log_policy, "logs:CreateLogGroup", f"{group}:*"):
        raise Incorrect(f"allow logs:CreateLogGroup (on arn:aws:logs:{region}:{account}:*): Lambda creates the log group on the first run.")
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        if not _allows(log_policy, action, stream):
            if any(group in _as_list(s["Resource"]) for s in statements):
                raise Incorrect(f"{action} acts on the log streams inside the group: end the ARN with :* ({group}:*).")
            raise Incorrect(f"allow {action} on {group}:*, or the function runs but its logs never arrive.")
    return "the function may write its own logs and nothing else — the console's policy, in the next cell."


def _check_handler(handler: object) -> str:
    """The teammate's zip holds handlers/greet.py, which defines handle(event, context)."""
    if not isinstance(handler, str):
        raise Incorrect("the handler is a string, like 'module.function'.")
    if ".py" in handler:
        raise Incorrect("leave out '.py': the module of greet.py is called 'greet'.")
    if ":" in handler:
        raise Incorrect("a Python handler joins module and function with a dot, not ':': 'module.function'.")
    if "." not in handler:
        separator = next((s for s in ("/", "\\") if s in handler), None)
        if separator:
            raise Incorrect(f"a Python handler joins module and function with a dot, not {separator!r}: 'module.function'.")
        raise Incorrect(f"{handler!r} names no module: write '<module>.<function name>'.")
    module, _, function = handler.rpartition(".")
    if "/" in module or "\\" in module:
        raise Incorrect(f"{module!r} is a path; a module inside a folder is written with dots: 'handlers.greet'.")
    if module == "greet":
        raise Incorrect("greet.py is in the folder handlers/, not at the zip's root: Lambda would fail with Runtime.ImportModuleError "
                        "(\"No module named 'greet'\"). Name the folder too, with a dot.")
    if module != "handlers.greet":
        raise Incorrect(f"the zip has no module {module!r} (its file is handlers/greet.py), so Lambda would fail with Runtime.ImportModuleError.")
    if function != "handle":
        raise Incorrect(f"greet.py has no function {function!r} (it defines handle); Lambda would fail with Runtime.HandlerNotFound.")
    return "Lambda imports handlers/greet.py as the module handlers.greet and calls handle(event, context)."


def _check_configuration(config: object) -> str:
    if not isinstance(config, dict) or "FunctionName" not in config:
        raise Incorrect("store the response of lambda_client.update_function_configuration(...) in `config`.")
    if config["FunctionName"] != FUNCTION:
        raise Incorrect(f"that changed {config['FunctionName']!r}; change 'hello-world-api'.")
    live = boto3.client("lambda").get_function_configuration(FunctionName=FUNCTION)
    if live["Timeout"] != 10:
        raise Incorrect(f"the function's Timeout is {live['Timeout']} s; the exercise asks for 10 s.")
    if live["MemorySize"] != 256:
        raise Incorrect(f"the function has {live['MemorySize']} MB; the exercise asks for 256 MB (MemorySize is in MB).")
    return "10 s and 256 MB. More memory also means proportionally more CPU."


q1 = Exercise(
    "q1",
    ("log_policy",),
    _check_policy,
    "two statements: logs:CreateLogGroup on arn:aws:logs:<region>:<account>:*, and logs:CreateLogStream + logs:PutLogEvents "
    "on arn:aws:logs:<region>:<account>:log-group:/aws/lambda/hello-world-api:*",
    '''log_policy = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": f"arn:aws:logs:{region}:{account_id}:*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"arn:aws:logs:{region}:{account_id}:log-group:/aws/lambda/hello-world-api:*"]},
    ],
}''',
)

q2 = Exercise(
    "q2",
    ("handler",),
    _check_handler,
    "<module>.<function>, where the module is the file's path from the zip's root, with dots for folders and without .py.",
    'handler = "handlers.greet.handle"',
)

q3 = Exercise(
    "q3",
    ("config",),
    _check_configuration,
    "one call, lambda_client.update_function_configuration, with FunctionName, Timeout (seconds) and MemorySize (MB).",
    'config = lambda_client.update_function_configuration(FunctionName="hello-world-api", Timeout=10, MemorySize=256)',
)
