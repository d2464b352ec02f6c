"""The AWS_IAM authorization step: only requests signed with the sandbox's own credentials pass."""

from __future__ import annotations

from ..wsgi import parse_authorization
from .backend import GatewayBackend
from .context import InvocationContext
from .errors import InvalidSecurityToken, MissingAuthenticationToken
from .lambda_calls import partition

class IamAuthorization:
    """Check the SigV4 signature of requests to AWS_IAM methods and record who signed."""

    def __init__(self, backend: GatewayBackend):
        self._backend = backend

    def __call__(self, ctx: InvocationContext) -> None:
        if ctx.route.method.get("authorizationType") != "AWS_IAM":
            return
        signed = self._backend.verify_sigv4(ctx.environ, ctx.request.body)
        if signed is None:
            raise MissingAuthenticationToken("AWS_IAM method called without a signature")
        if not signed:
            raise InvalidSecurityToken("signed with credentials the sandbox does not know")
        signature = parse_authorization(ctx.request.header("Authorization") or "")
        if signature is not None:
            access_key: str | None = signature.access_key_id
        else:  # a presigned URL
            access_key = dict(ctx.request.query_values()).get("X-Amz-Credential", "").split("/", 1)[0] or None
        ctx.iam_identity = account_identity(ctx, access_key)


def account_identity(ctx: InvocationContext, access_key: str | None) -> dict[str, str | None]:
    """`requestContext.identity` of a caller signing with the sandbox's own credentials."""
    # The sandbox's credentials stand for the account itself, as root credentials would.
    return {
        "accessKey": access_key,
        "accountId": ctx.account_id,
        "caller": ctx.account_id,
        "user": ctx.account_id,
        "userArn": f"arn:{partition(ctx.region)}:iam::{ctx.account_id}:root",
    }
