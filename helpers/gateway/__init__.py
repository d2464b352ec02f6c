"""API Gateway (REST API) data plane: answers invoke-URL requests the way AWS does."""

from .app import GatewayApp
from .backend import FunctionNotFound, GatewayBackend, IntegrationTimedOut, LambdaResult
from .errors import GatewayError
from .gateway import Gateway
from .request import RAW_HEADERS_KEY

__all__ = [
    "FunctionNotFound",
    "Gateway",
    "GatewayApp",
    "GatewayBackend",
    "GatewayError",
    "IntegrationTimedOut",
    "LambdaResult",
    "RAW_HEADERS_KEY",
]
