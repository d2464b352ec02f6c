"""Errors API Gateway answers itself: each carries its status, x-amzn-ErrorType, body and gateway response type."""

from __future__ import annotations

import json


class GatewayError(Exception):
    """An error response produced by the gateway instead of the integration's answer."""

    status = 500
    error_type = "InternalServerErrorException"
    response_type = "DEFAULT_5XX"
    message: str | None = "Internal server error"
    message_key = "message"
    # AWS writes the errors that come from behind the integration as `{"message": "..."}`
    # (with a space) and its own front-door errors compactly; §1 of aws-behaviour.md.
    spaced = True
    # Refused at the front door (authorization, API key, throttling): the method never started executing.
    before_execution = False

    def __init__(self, detail: str | None = None, *, message: str | None = None):
        # `detail` is what AWS would write in the execution log; it never reaches the body.
        super().__init__(detail or self.message)
        self.detail = detail
        if message is not None:
            self.message = message

    def execution_log_line(self, request_id: str) -> str | None:
        """The line AWS writes in the method's execution log for this error (None: it writes none)."""
        return None

    @property
    def body(self) -> bytes:
        """The default response body, byte for byte as AWS sends it."""
        separators = (", ", ": ") if self.spaced else (",", ":")
        return json.dumps({self.message_key: self.message}, separators=separators).encode()


class _FrontDoorError(GatewayError):
    spaced = False
    before_execution = True


class MissingAuthenticationToken(_FrontDoorError):
    """No route for the request (or an unsigned request to an AWS_IAM method)."""

    status = 403
    error_type = "MissingAuthenticationTokenException"
    response_type = "MISSING_AUTHENTICATION_TOKEN"
    message = "Missing Authentication Token"


class InvalidSecurityToken(_FrontDoorError):
    """An AWS_IAM method was called with a signature from credentials the sandbox does not know."""

    status = 403
    error_type = "UnrecognizedClientException"
    response_type = "INVALID_SIGNATURE"
    message = "The security token included in the request is invalid."


class Forbidden(_FrontDoorError):
    """The method requires an API key and the request's key is missing, unknown or not in a plan."""

    status = 403
    error_type = "ForbiddenException"
    response_type = "INVALID_API_KEY"
    message = "Forbidden"


class Unauthorized(_FrontDoorError):
    """The authorizer's identity source is missing or the authorizer said "Unauthorized"."""

    status = 401
    error_type = "UnauthorizedException"
    response_type = "UNAUTHORIZED"
    message = "Unauthorized"

    def execution_log_line(self, request_id: str) -> str | None:
        """AWS's line for a request its authorizer turned away."""
        return f"Unauthorized request: {request_id}"


class AccessDenied(_FrontDoorError):
    """The authorizer's policy denies the method (explicitly, or by not allowing it)."""

    status = 403
    error_type = "AccessDeniedException"
    response_type = "ACCESS_DENIED"
    # The wording of captures of real APIs in 2024-2026; AWS articles up to 2022 show it without
    # "in an identity-based policy".
    message = "User is not authorized to access this resource with an explicit deny in an identity-based policy"
    implicit_message = "User is not authorized to access this resource"  # no statement allows the method
    message_key = "Message"


class AuthorizerConfigurationError(_FrontDoorError):
    """The authorizer could not be run or returned something that is not a valid policy."""

    status = 500
    error_type = "AuthorizerConfigurationException"
    response_type = "AUTHORIZER_CONFIGURATION_ERROR"
    message = None

    def execution_log_line(self, request_id: str) -> str | None:
        """AWS's line for an authorizer that could not be used."""
        return "Execution failed due to configuration error: Authorizer error"


class TooManyRequests(_FrontDoorError):
    """A stage, method or usage-plan rate limit was exceeded."""

    status = 429
    error_type = "TooManyRequestsException"
    response_type = "THROTTLED"
    message = "Too Many Requests"


class LimitExceeded(_FrontDoorError):
    """The API key's usage-plan quota for the period is used up."""

    status = 429
    error_type = "LimitExceededException"
    response_type = "QUOTA_EXCEEDED"
    message = "Limit Exceeded"


class RequestTooLong(_FrontDoorError):
    """The request payload is over API Gateway's 10 MB limit."""

    status = 413
    error_type = "RequestTooLargeException"
    response_type = "REQUEST_TOO_LARGE"
    message = "Request Too Long"


class BadRequest(_FrontDoorError):
    """The request itself could not be read (for example a broken Content-Length)."""

    status = 400
    error_type = "BadRequestException"
    response_type = "DEFAULT_4XX"
    message = "Bad Request"


class LambdaFailure(GatewayError):
    """The function raised, timed out or crashed; `detail` is the execution log's line, word for word."""

    status = 502
    response_type = "INTEGRATION_FAILURE"

    def execution_log_line(self, request_id: str) -> str | None:
        """AWS's "Lambda execution failed with status 200 due to customer function error: ..." line."""
        return self.detail


class MalformedProxyResponse(LambdaFailure):
    """The function's return value is not a proxy response API Gateway can map; `detail` says why."""

    def execution_log_line(self, request_id: str) -> str | None:
        """AWS names the failure, never the reason."""
        return "Execution failed due to configuration error: Malformed Lambda proxy response"


class ApiConfigurationError(GatewayError):
    """The API is set up in a way that cannot work, e.g. API Gateway may not invoke the function."""

    response_type = "API_CONFIGURATION_ERROR"

    def execution_log_line(self, request_id: str) -> str | None:
        """"Execution failed due to configuration error: <detail>"."""
        return f"Execution failed due to configuration error: {self.detail or self.message}"


class IntegrationTimeout(GatewayError):
    """The integration did not answer within its timeout (29 s by default)."""

    status = 504
    error_type = "IntegrationTimeoutException"
    response_type = "INTEGRATION_TIMEOUT"
    message = "Endpoint request timed out"

    def execution_log_line(self, request_id: str) -> str | None:
        """AWS's line for an integration that outlived its timeout."""
        return "Execution failed due to a timeout error"


class InternalFailure(GatewayError):
    """A bug in the gateway itself; answered like AWS's own internal errors."""
