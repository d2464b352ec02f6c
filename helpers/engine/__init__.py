"""The Lambda execution engine: runs Python handlers in worker processes the way AWS Lambda does."""

from .engine import Engine
from .errors import (EngineError, InvalidParameterValueException, InvalidRequestContentException,
                     InvalidRuntimeException, InvalidZipFileException, RequestEntityTooLargeException,
                     ServiceException, TooManyRequestsException)
from .results import EnvironmentInfo, InvokeResult
from .spec import FunctionSpec

__all__ = [
    "Engine", "EngineError", "EnvironmentInfo", "FunctionSpec", "InvalidParameterValueException",
    "InvalidRequestContentException", "InvalidRuntimeException", "InvalidZipFileException", "InvokeResult",
    "RequestEntityTooLargeException", "ServiceException", "TooManyRequestsException",
]
