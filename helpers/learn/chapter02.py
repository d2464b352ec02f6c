"""Chapter 02 exercises: the handler setting, and the function's timeout and memory."""

from __future__ import annotations

from pathlib import Path

import boto3

from .exercise import Exercise, Incorrect

_HELLO_WORLD = Path(__file__).resolve().parent.parent.parent / "lambda_src" / "hello_world"


def _check_handler(handler: object) -> str:
    if not isinstance(handler, str):
        raise Incorrect("the handler is a string, like 'module.function'.")
    module, _, function = handler.rpartition(".")
    if not module:
        raise Incorrect(f"{handler!r} names a function but no module: write '<file name without .py>.{handler}'.")
    if module.endswith(".py") or handler.endswith(".py"):
        raise Incorrect("leave out '.py': the module of app.py is called 'app'.")
    if module == "hello_world.app":
        raise Incorrect("the zip holds the folder's contents, not the folder, so the module is 'app', not 'hello_world.app'.")
    if not (_HELLO_WORLD / f"{module.replace('.', '/')}.py").exists():
        raise Incorrect(f"there is no {module}.py in lambda_src/hello_world, so Lambda would fail with Runtime.ImportModuleError.")
    if function != "lambda_handler":
        raise Incorrect(f"app.py has no function '{function}'; Lambda would fail with Runtime.HandlerNotFound.")
    return "Lambda imports app.py and calls lambda_handler(event, context)."


def _check_configuration(config: object) -> str:
    if not isinstance(config, dict) or "FunctionName" not in config:
        raise Incorrect("store the response of lambda_client.update_function_configuration(...) in `config`.")
    if config["FunctionName"] != "hello-world-api":
        raise Incorrect(f"that changed {config['FunctionName']!r}; change 'hello-world-api'.")
    live = boto3.client("lambda").get_function_configuration(FunctionName="hello-world-api")
    if live["Timeout"] != 10:
        raise Incorrect(f"the function's Timeout is {live['Timeout']} s; the exercise asks for 10 s.")
    if live["MemorySize"] != 256:
        raise Incorrect(f"the function has {live['MemorySize']} MB; the exercise asks for 256 MB (MemorySize is in MB).")
    return "10 s and 256 MB. More memory also means proportionally more CPU."


q1 = Exercise(
    "q1",
    ("handler",),
    _check_handler,
    "the file is app.py and the function is lambda_handler: '<module>.<function>'.",
    'handler = "app.lambda_handler"',
)

q2 = Exercise(
    "q2",
    ("config",),
    _check_configuration,
    "one call, lambda_client.update_function_configuration, with FunctionName, Timeout (seconds) and MemorySize (MB).",
    'config = lambda_client.update_function_configuration(FunctionName="hello-world-api", Timeout=10, MemorySize=256)',
)
