"""The sandbox's joins with moto's internals, one module per service joined.

Every name here is exercised by tests/sandbox/test_moto_seams.py, so a moto
upgrade that moves one fails loudly there rather than quietly here.
"""

from .accounts import forget_account
from .apigateway import (
    api_key_by_value,
    api_snapshot,
    apigateway_backend,
    child_path_parts,
    cloudwatch_role_arn,
    deployment_exists,
    describe_stage,
    path_part,
    rest_api,
    set_binary_media_types,
    stage,
    usage_plans_for_key,
    use_account_throttle_defaults,
    use_aws_rest_api_patches,
)
from .cloudwatch import (
    change_alarm_state,
    log_group_exists,
    log_sink,
    metric_alarms,
    metric_sink,
    serve_alarm_history,
    start_alarm_in,
    statistic,
)
from .iam import assume_role, role, role_policy_documents
from .lambda_functions import (
    account_usage,
    find_function,
    function_policy,
    function_spec,
    keep_logging_config,
    lambda_backend,
    other_reserved_concurrency,
    reserved_concurrency,
    route_invocations,
)
from .request_parsing import ParsedRequest, parse_request
from .s3 import s3_object_exists

__all__ = [
    "ParsedRequest", "account_usage", "api_key_by_value", "api_snapshot", "apigateway_backend", "assume_role",
    "change_alarm_state", "child_path_parts", "cloudwatch_role_arn", "deployment_exists", "describe_stage",
    "find_function", "forget_account", "function_policy", "function_spec", "keep_logging_config", "lambda_backend",
    "log_group_exists", "log_sink", "metric_alarms", "metric_sink", "other_reserved_concurrency", "parse_request",
    "path_part", "reserved_concurrency", "rest_api", "role", "role_policy_documents", "route_invocations",
    "s3_object_exists", "serve_alarm_history", "set_binary_media_types", "stage", "start_alarm_in", "statistic",
    "usage_plans_for_key", "use_account_throttle_defaults", "use_aws_rest_api_patches",
]
