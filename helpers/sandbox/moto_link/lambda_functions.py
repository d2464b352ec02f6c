"""Lambda: moto's function records as the engine sees them, the invocation hook, and LoggingConfig."""

from __future__ import annotations

import threading
from typing import Any, Callable

from ...engine import FunctionSpec


def lambda_backend(account_id: str, region: str) -> Any:
    """moto's Lambda backend for one account and Region."""
    from moto.awslambda.models import lambda_backends

    return lambda_backends[account_id][region]


def find_function(account_id: str, region: str, name_or_arn: str, qualifier: str | None) -> tuple[Any, Any] | None:
    """(the version or alias target, the $LATEST record) of a function, or None if there is none."""
    from moto.awslambda.exceptions import UnknownFunctionException

    backend = lambda_backend(account_id, region)
    try:
        target = backend.get_function(name_or_arn, qualifier)
        latest = backend.get_function(target.function_name, None)
    except UnknownFunctionException:
        return None
    return target, latest


def function_spec(fn: Any, latest: Any) -> FunctionSpec:
    """The engine's view of a moto function version."""
    unqualified = latest.function_arn.split(":function:")[0] + f":function:{fn.function_name}"
    return FunctionSpec(
        function_name=fn.function_name,
        function_arn=unqualified,
        version=str(fn.version),
        handler=fn.handler or "",
        runtime=fn.run_time or "",
        code_zip=fn.code_bytes or b"",
        code_sha256=fn.code_sha_256 or "",
        region=fn.region,
        account_id=fn.account_id,
        memory_size=int(fn.memory_size),
        timeout=int(fn.timeout),
        environment=dict(fn.environment_vars or {}),
        architecture=(fn.architectures or ["x86_64"])[0],
        # Reserved concurrency is a function-level setting, kept on $LATEST.
        reserved_concurrency=latest.reserved_concurrency,
        role=fn.role or "",
        **_logging_fields(getattr(fn, "logging_config", None) or {}),
        created=fn.last_modified,  # set when moto creates the function or publishes the version
    )


def _logging_fields(config: dict[str, str]) -> dict[str, Any]:
    return {"log_format": config.get("LogFormat", "Text"), "application_log_level": config.get("ApplicationLogLevel"),
            "system_log_level": config.get("SystemLogLevel"), "log_group": config.get("LogGroup")}


def function_policy(fn: Any) -> dict[str, Any] | None:
    """A function version's resource-based policy document (what add_permission wrote), or None."""
    statements = list(fn.policy.statements)
    if not statements:
        return None
    return {"Version": "2012-10-17", "Id": "default", "Statement": statements}


def _function_groups(account_id: str, region: str) -> list[dict[str, Any]]:
    # moto's own listing deep-copies every function, code included; its storage is read as it is.
    return list(lambda_backend(account_id, region)._lambdas._functions.values())


def other_reserved_concurrency(account_id: str, region: str, function_name: str) -> int:
    """The reserved concurrency of every function of the Region but `function_name` (a name or ARN), summed."""
    name = function_name.split(":function:")[-1].split(":")[0]
    return sum(int(group["latest"].reserved_concurrency or 0) for group in _function_groups(account_id, region)
               if group["latest"].function_name != name)


def account_usage(account_id: str, region: str) -> tuple[int, int]:
    """(function count, total code size in bytes of every function version) in a Region."""
    groups = _function_groups(account_id, region)
    code = sum(int(fn.code_size or 0) for group in groups for fn in [group["latest"], *group["versions"]])
    return len(groups), code


def reserved_concurrency(account_id: str, region: str, function_name: str) -> int | None:
    """A function's reserved concurrency, or None (none set, or no such function)."""
    found = find_function(account_id, region, function_name, None)
    return None if found is None or found[1].reserved_concurrency is None else int(found[1].reserved_concurrency)


# The invocation hook: moto calls LambdaFunction._invoke_lambda for every
# invocation it starts itself (S3 notifications, SNS, SQS event sources…).
_engines: dict[str, Callable[[Any, str | None], tuple[str, bool, str]]] = {}
_hook_lock = threading.Lock()
_original_invoke: Any = None


def route_invocations(account_id: str, run: Callable[[Any, str | None], tuple[str, bool, str]] | None) -> None:
    """Send moto's own invocations of `account_id`'s functions to `run` (None: stop sending)."""
    global _original_invoke
    from moto.awslambda.models import LambdaFunction

    with _hook_lock:
        if run is None:
            _engines.pop(account_id, None)
            return
        _engines[account_id] = run
        if _original_invoke is None:
            _original_invoke = LambdaFunction._invoke_lambda

            def _invoke_lambda(self: Any, event: str | None = None) -> tuple[str, bool, str]:
                target = _engines.get(self.account_id)
                if target is None:
                    return _original_invoke(self, event)
                return target(self, event)

            LambdaFunction._invoke_lambda = _invoke_lambda


# LoggingConfig: moto 5.2 drops it; the sandbox keeps it on moto's function and runs by it.

def _logging_config(current: dict[str, str] | None, change: dict[str, str] | None, function_name: str
                    ) -> dict[str, str]:
    config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}", **(current or {}), **(change or {})}
    if config["LogFormat"] != "JSON":  # the two levels filter JSON logs only
        return {"LogFormat": config["LogFormat"], "LogGroup": config["LogGroup"]}
    return {"LogFormat": "JSON", "ApplicationLogLevel": config.get("ApplicationLogLevel", "INFO"),
            "SystemLogLevel": config.get("SystemLogLevel", "INFO"), "LogGroup": config["LogGroup"]}


def keep_logging_config() -> None:
    """Teach moto's functions LoggingConfig: from CreateFunction and UpdateFunctionConfiguration, in every answer."""
    from moto.awslambda.models import LambdaFunction

    if hasattr(LambdaFunction, "logging_config"):
        return
    original_init, original_update = LambdaFunction.__init__, LambdaFunction.update_configuration
    original_get = LambdaFunction.get_configuration

    def __init__(self: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        original_init(self, account_id, spec, region, version)
        self.logging_config = _logging_config(None, spec.get("LoggingConfig"), self.function_name)

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in config_updates:
            self.logging_config = _logging_config(self.logging_config, config_updates["LoggingConfig"],
                                                  self.function_name)
        return original_update(self, config_updates)

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        return {**original_get(self, on_create), "LoggingConfig": self.logging_config}

    LambdaFunction.logging_config = None
    LambdaFunction.__init__ = __init__
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction.get_configuration = get_configuration
