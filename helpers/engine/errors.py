"""Errors the Invoke API returns instead of running a function, and the error payloads the platform writes."""

import json


class EngineError(Exception):
    """An Invoke API error: HTTP status, AWS error type, message and any extra fields (like Reason)."""

    status_code = 500
    error_type = "ServiceException"

    def __init__(self, message: str, **fields: str):
        super().__init__(message)
        self.message = message
        self.fields = fields

    def body(self) -> dict:
        """The JSON body AWS sends with this error (the type goes in the x-amzn-ErrorType header)."""
        return {"Type": "User" if self.status_code < 500 else "Service", "message": self.message, **self.fields}


class ServiceException(EngineError):
    """The engine itself cannot run the request (stopped, or a worker could not be started)."""


class TooManyRequestsException(EngineError):
    """Reserved concurrency exhausted."""

    status_code = 429
    error_type = "TooManyRequestsException"

    def __init__(self):
        super().__init__("Rate Exceeded.", Reason="ReservedFunctionConcurrentInvocationLimitExceeded")


class RequestEntityTooLargeException(EngineError):
    """Request payload over the invocation type's limit."""

    status_code = 413
    error_type = "RequestEntityTooLargeException"

    def __init__(self, limit: int, size: int, invocation_type: str = "RequestResponse"):
        if invocation_type == "Event":  # AWS words the asynchronous limit differently
            super().__init__(f"{size} byte payload is too large for the Event invocation type (limit {limit} bytes)")
        else:
            super().__init__(f"Request must be smaller than {limit} bytes for the InvokeFunction operation")


class InvalidRequestContentException(EngineError):
    """The payload or client context is not valid JSON."""

    status_code = 400
    error_type = "InvalidRequestContentException"


class InvalidParameterValueException(EngineError):
    """A request parameter has a value the API does not accept."""

    status_code = 400
    error_type = "InvalidParameterValueException"


class InvalidRuntimeException(EngineError):
    """The function's runtime cannot run here.

    AWS raises this (502) at invoke time when a function's runtime is not available; a nodejs function
    is a valid function, so a 400 InvalidParameterValueException (a bad request) would blame the caller.
    """

    status_code = 502
    error_type = "InvalidRuntimeException"


class InvalidZipFileException(EngineError):
    """The deployment package cannot be unzipped."""

    status_code = 502
    error_type = "InvalidZipFileException"


def platform_error(error_type: str, message: str) -> bytes:
    """The payload Lambda itself returns when a function fails outside the runtime (timeout, crash, size)."""
    return json.dumps({"errorType": error_type, "errorMessage": message}, separators=(",", ":")).encode()
