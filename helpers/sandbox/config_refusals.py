"""AWS's refusals of configuration moto accepts: the service models' constraints, then one table of service rules.

A request on its way to moto is read with the service's model (moto's router and parser over botocore's
model). Its parameters are checked against the model's constraints (min, max, length, pattern, enum,
required), answered as AWS answers them ("1 validation error detected: Value '10000' at 'timeout'
failed to satisfy constraint: Member must have value less than or equal to 900"). Then each row of
RULES for its operation may refuse it with the service's own code and words. The next rule is one row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from ..wsgi import read_body
from . import moto_link

# The services the tutorial uses, by signing name -> model name. S3 (rest-xml, bodies that are
# objects) and CloudWatch's rpc-v2-cbor are left to moto.
SERVICES = {"lambda": "lambda", "apigateway": "apigateway", "iam": "iam", "logs": "logs", "sts": "sts",
            "dynamodb": "dynamodb", "sqs": "sqs", "sns": "sns", "cloudformation": "cloudformation",
            "monitoring": "cloudwatch", "events": "events"}

# Where a service's rule is stricter than its model. botocore's 2026 Lambda model allows 5,400 s and
# 32,768 MB for the newer kinds of function (Lambda Managed Instances); the sandbox runs on-demand
# functions, for which AWS keeps 900 s and 10,240 MB.
CONSTRAINTS: dict[tuple[str, str], dict[str, int]] = {
    ("lambda", "Timeout"): {"max": 900},
    ("lambda", "MemorySize"): {"max": 10240},
}

# API Gateway names a body member after the operation's input ('createRestApiInput.endpointConfiguration.types');
# members read from the URI keep their own name ('statusCode').
_INPUT_PREFIXED = {"apigateway"}


@dataclass(frozen=True)
class Refusal:
    """AWS's answer to a request it refuses: status, error code, message (and more JSON body members)."""

    status: int
    code: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ControlRequest:
    """What a rule sees: the operation, its parameters, and whose account and Region it is for."""

    service: str
    operation: str
    params: Mapping[str, Any]
    account_id: str
    region: str


@dataclass(frozen=True)
class Rule:
    """A row: the operations of a service it applies to and the check that may refuse them."""

    service: str
    operations: frozenset[str]
    check: Callable[[ControlRequest], Refusal | None]


def refusal_for(service: str, environ: dict[str, Any], account_id: str, region: str) -> tuple[str, Refusal] | None:
    """(protocol, AWS's refusal) for a control-plane request AWS would refuse, else None; keeps the body readable."""
    model_name = SERVICES.get(service)
    if model_name is None:
        return None
    body = read_body(environ)
    parsed = moto_link.parse_request(model_name, environ, body)
    if parsed is None:
        return None
    refusal = model_refusal(model_name, parsed.operation, parsed.params, parsed.protocol)
    if refusal is None:
        request = ControlRequest(model_name, parsed.operation.name, parsed.params, account_id, region)
        refusal = next((found for rule in RULES
                        if rule.service == model_name and request.operation in rule.operations
                        and (found := rule.check(request)) is not None), None)
    return None if refusal is None else (parsed.protocol, refusal)


# The model's constraints.


def model_refusal(service: str, operation: Any, params: Mapping[str, Any], protocol: str) -> Refusal | None:
    """A ValidationException (query services: ValidationError) listing every constraint the parameters break."""
    shape = operation.input_shape
    if shape is None:
        return None
    prefix = operation.name[0].lower() + operation.name[1:] + "Input." if service in _INPUT_PREFIXED else ""
    errors: list[str] = []
    for name, member in shape.members.items():
        in_body = member.serialization.get("location") is None
        _check_member(service, shape, name, member, params, (prefix if in_body else "") + _lower_camel(name), errors)
    if not errors:
        return None
    count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: "
    return Refusal(400, "ValidationError" if protocol == "query" else "ValidationException", count + "; ".join(errors))


def _check_member(service: str, parent: Any, name: str, shape: Any, values: Mapping[str, Any], at: str,
                  errors: list[str]) -> None:
    value = values.get(name)
    if value is None:
        if name in parent.required_members:
            errors.append(f"Value null at '{at}' failed to satisfy constraint: Member must not be null")
        return
    _check_value(service, shape, value, at, errors)


def _check_value(service: str, shape: Any, value: Any, at: str, errors: list[str]) -> None:
    if shape.type_name == "structure":
        if isinstance(value, Mapping):
            for name, member in shape.members.items():
                _check_member(service, shape, name, member, value, f"{at}.{_lower_camel(name)}", errors)
        return
    broken = _broken_constraint(service, shape, value)
    if broken is not None:
        errors.append(f"Value {_shown(value)} at '{at}' failed to satisfy constraint: {broken}")
        return
    if shape.type_name == "list" and isinstance(value, list):
        member = shape.member
        if member.type_name == "structure":
            for index, item in enumerate(value, 1):
                _check_value(service, member, item, f"{at}.{index}.member", errors)
        elif any(item is None or _broken_constraint(service, member, item) for item in value):
            # AWS names the whole list and every constraint on its members.
            rules = ", ".join([*_constraints(service, member), "Member must not be null"])
            errors.append(f"Value {_shown(value)} at '{at}' failed to satisfy constraint: "
                          f"Member must satisfy constraint: [{rules}]")


def _limits(service: str, shape: Any) -> dict[str, Any]:
    return {**shape.metadata, **CONSTRAINTS.get((service, shape.name), {})}


def _broken_constraint(service: str, shape: Any, value: Any) -> str | None:
    """The first constraint of `shape` that `value` breaks, in AWS's words, or None."""
    limits = _limits(service, shape)
    if shape.type_name in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        if "max" in limits and value > limits["max"]:
            return f"Member must have value less than or equal to {limits['max']}"
        if "min" in limits and value < limits["min"]:
            return f"Member must have value greater than or equal to {limits['min']}"
        return None
    if shape.type_name not in ("string", "list", "map") or not isinstance(value, (str, list, dict, Mapping)):
        return None
    if "max" in limits and len(value) > limits["max"]:
        return f"Member must have length less than or equal to {limits['max']}"
    if "min" in limits and len(value) < limits["min"]:
        return f"Member must have length greater than or equal to {limits['min']}"
    if not isinstance(value, str):
        return None
    if "enum" in limits and value not in limits["enum"]:
        return f"Member must satisfy enum value set: [{', '.join(limits['enum'])}]"
    pattern = _pattern(limits.get("pattern"))
    if pattern is not None and not pattern.fullmatch(value):
        return f"Member must satisfy regular expression pattern: {limits['pattern']}"
    return None


def _constraints(service: str, shape: Any) -> list[str]:
    limits = _limits(service, shape)
    words = []
    if "max" in limits:
        words.append(f"Member must have length less than or equal to {limits['max']}")
    if "min" in limits:
        words.append(f"Member must have length greater than or equal to {limits['min']}")
    if "pattern" in limits:
        words.append(f"Member must satisfy regular expression pattern: {limits['pattern']}")
    if "enum" in limits:
        words.append(f"Member must satisfy enum value set: [{', '.join(limits['enum'])}]")
    return words


_patterns: dict[str, re.Pattern[str] | None] = {}


def _pattern(text: str | None) -> re.Pattern[str] | None:
    if text is None:
        return None
    if text not in _patterns:
        try:
            _patterns[text] = re.compile(text)
        except re.error:  # a Java-only construct: the constraint can't be checked here, so it isn't
            _patterns[text] = None
    return _patterns[text]


def _shown(value: Any) -> str:
    """A value as AWS's (Java) messages print it: 'text', '10000', '[a, b]', '{k=v}'."""
    def text(item: Any) -> str:
        if isinstance(item, bool):
            return str(item).lower()
        if isinstance(item, list):
            return "[" + ", ".join(text(v) for v in item) + "]"
        if isinstance(item, Mapping):
            return "{" + ", ".join(f"{k}={text(v)}" for k, v in item.items()) + "}"
        return str(item)

    return f"'{text(value)}'"


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


# The service rules.

# Lambda's deprecated runtimes: (block function create, block function update), from the runtime
# table of the Lambda Developer Guide ("Deprecated runtimes"; AWS moved most 2025-2026 dates to 2027).
BLOCKED_RUNTIMES: dict[str, tuple[date, date]] = {
    runtime: (date.fromisoformat(create), date.fromisoformat(update)) for runtime, create, update in (
        ("python2.7", "2021-07-15", "2022-05-30"),
        ("python3.6", "2022-07-18", "2022-08-29"),
        ("python3.7", "2024-01-09", "2027-03-03"),
        ("python3.8", "2027-02-01", "2027-03-03"),
        ("python3.9", "2027-02-01", "2027-03-03"),
        ("python3.10", "2027-02-01", "2027-03-03"),
        ("python3.11", "2027-07-31", "2027-08-31"),
        ("nodejs", "2016-09-30", "2016-10-31"),
        ("nodejs4.3", "2020-02-03", "2020-03-05"),
        ("nodejs4.3-edge", "2019-03-31", "2019-04-30"),
        ("nodejs6.10", "2019-07-12", "2019-08-12"),
        ("nodejs8.10", "2020-02-04", "2020-03-06"),
        ("nodejs10.x", "2021-07-30", "2022-02-14"),
        ("nodejs12.x", "2023-03-31", "2023-04-30"),
        ("nodejs14.x", "2024-01-09", "2027-03-03"),
        ("nodejs16.x", "2027-02-01", "2027-03-03"),
        ("nodejs18.x", "2027-02-01", "2027-03-03"),
        ("dotnetcore1.0", "2019-06-30", "2019-07-30"),
        ("dotnetcore2.0", "2019-04-30", "2019-05-30"),
        ("dotnetcore2.1", "2022-01-05", "2022-04-13"),
        ("dotnetcore3.1", "2023-04-03", "2023-05-03"),
        ("dotnet6", "2027-02-01", "2027-03-03"),
        ("ruby2.5", "2021-07-30", "2022-03-31"),
        ("ruby2.7", "2024-01-09", "2027-03-03"),
        ("go1.x", "2024-02-08", "2027-03-03"),
        ("java8", "2024-02-08", "2027-03-03"),
        ("provided", "2024-02-08", "2027-03-03"),
    )
}
ACCOUNT_CONCURRENCY = 1000  # the default concurrent executions of an account in a Region
MINIMUM_UNRESERVED = 100  # what reserved concurrency must leave to the account's other functions
# A resource path part: letters, digits, . _ - : (AWS accepts a colon), or one {variable} / {greedy+}.
_PATH_PART = re.compile(r"[a-zA-Z0-9._:-]+|\{[a-zA-Z0-9._-]+\+?\}")
_LOGGING_SETTINGS = re.compile(r"/[^/]+/[^/]+/logging/(loglevel|dataTrace)")


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _invalid_parameter(message: str, *, user: bool = True) -> Refusal:
    return Refusal(400, "InvalidParameterValueException", message, {"Type": "User"} if user else {})


def blocked_runtime(request: ControlRequest) -> Refusal | None:
    """A deprecated runtime after its block date (create, or update), as Lambda refuses it."""
    runtime = request.params.get("Runtime")
    blocked = BLOCKED_RUNTIMES.get(runtime) if isinstance(runtime, str) else None
    if blocked is None or _today() < blocked[0 if request.operation == "CreateFunction" else 1]:
        return None
    return _invalid_parameter(
        f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use a supported runtime while creating or updating functions.")


def unreserved_minimum(request: ControlRequest) -> Refusal | None:
    """Reserved concurrency that would leave the account's other functions fewer than 100."""
    requested = request.params.get("ReservedConcurrentExecutions")
    if not isinstance(requested, int):
        return None
    others = moto_link.other_reserved_concurrency(request.account_id, request.region, request.params["FunctionName"])
    if ACCOUNT_CONCURRENCY - others - requested >= MINIMUM_UNRESERVED:
        return None
    return _invalid_parameter("Specified ReservedConcurrentExecutions for function decreases account's "
                              f"UnreservedConcurrentExecution below its minimum value of [{MINIMUM_UNRESERVED}].",
                              user=False)


def resource_path_part(request: ControlRequest) -> Refusal | None:
    """A path part API Gateway rejects, a name a sibling already has, a second variable, a child of {x+}."""
    part = request.params.get("pathPart")
    if not isinstance(part, str):
        return None
    if not _PATH_PART.fullmatch(part):
        return Refusal(400, "BadRequestException",
                       "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
                       "and an optional plus sign before the closing brace.")
    api_id, parent_id = request.params.get("restApiId"), request.params.get("parentId")
    siblings = moto_link.child_path_parts(request.account_id, request.region, api_id, parent_id)
    if siblings is None:
        return None  # moto answers an unknown API or parent
    parent = moto_link.path_part(request.account_id, request.region, api_id, parent_id) or ""
    if parent.endswith("+}"):
        return Refusal(400, "BadRequestException", f"Cannot create a child of a resource with a greedy path variable: {parent}")
    if part in siblings:
        return Refusal(409, "ConflictException", f"Another resource with the same parent already has this name: {part}")
    variable = next((s for s in siblings if s.startswith("{")), None)
    if part.startswith("{") and variable is not None:
        return Refusal(400, "BadRequestException",
                       f"A sibling ({variable}) of this resource already has a variable path part -- only one is allowed")
    return None


def proxy_integration_target(request: ControlRequest) -> Refusal | None:
    """An AWS_PROXY integration whose URI is not a Lambda function's (or a Firehose stream's) invocation path."""
    uri = request.params.get("uri")
    if request.params.get("type") != "AWS_PROXY" or not isinstance(uri, str):
        return None
    parts = uri.split(":", 5)
    if len(parts) < 6 or parts[2] != "apigateway" or not parts[5].startswith(("path/", "action/")):
        return None  # moto refuses these itself, in AWS's words
    if parts[4] == "firehose" or (parts[4] == "lambda" and parts[5].startswith("path/2015-03-31/functions/")):
        return None
    return Refusal(400, "BadRequestException",
                   "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.")


def logging_without_account_role(request: ControlRequest) -> Refusal | None:
    """Stage execution logging turned on before the account has a CloudWatch Logs role."""
    turns_on = any(_LOGGING_SETTINGS.fullmatch(op.get("path") or "") and str(op.get("value")).lower() not in ("off", "false")
                   for op in request.params.get("patchOperations") or [] if op.get("op") in ("replace", "add"))
    if not turns_on or moto_link.cloudwatch_role_arn(request.account_id, request.region):
        return None
    return Refusal(400, "BadRequestException", "CloudWatch Logs role ARN must be set in account settings to enable logging")


def binary_media_types_path(request: ControlRequest) -> Refusal | None:
    """A patch of /binaryMediaTypes itself: AWS takes only /binaryMediaTypes/<type, '/' escaped as ~1>."""
    for op in request.params.get("patchOperations") or []:
        if op.get("path") == "/binaryMediaTypes":
            return Refusal(400, "BadRequestException", "Invalid patch path /binaryMediaTypes")
    return None


def trust_policy(request: ControlRequest) -> Refusal | None:
    """A role's trust policy that is not JSON, or names a Resource (moto checks only permission policies)."""
    text = request.params.get("AssumeRolePolicyDocument", request.params.get("PolicyDocument"))
    if not isinstance(text, str):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return Refusal(400, "MalformedPolicyDocument", "This policy contains invalid Json")
    statements = document.get("Statement") if isinstance(document, dict) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, dict) and "Resource" in statement:
            return Refusal(400, "MalformedPolicyDocument", "Has prohibited field Resource")
    return None


def _rule(service: str, operations: Iterable[str], check: Callable[[ControlRequest], Refusal | None]) -> Rule:
    return Rule(service, frozenset(operations), check)


RULES: tuple[Rule, ...] = (
    _rule("lambda", ["CreateFunction", "UpdateFunctionConfiguration"], blocked_runtime),
    _rule("lambda", ["PutFunctionConcurrency"], unreserved_minimum),
    _rule("apigateway", ["CreateResource"], resource_path_part),
    _rule("apigateway", ["PutIntegration"], proxy_integration_target),
    _rule("apigateway", ["UpdateStage"], logging_without_account_role),
    _rule("apigateway", ["UpdateRestApi"], binary_media_types_path),
    _rule("iam", ["CreateRole", "UpdateAssumeRolePolicy"], trust_policy),
)
