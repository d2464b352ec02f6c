"""IAM and STS: roles, their policies, and the sessions a function runs with."""

from __future__ import annotations

from typing import Any


def assume_role(account_id: str, region: str, role_arn: str, session_name: str) -> tuple[str, str, str]:
    """Temporary credentials of a role (access key id, secret, session token), known to moto's STS.

    Through moto's own STS, so that GetCallerIdentity with them names the assumed role.
    """
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    session = sts_backends[account_id][get_partition(region)].assume_role(
        region_name=region, role_session_name=session_name, role_arn=role_arn, policy="",
        duration=_LAMBDA_SESSION_SECONDS, external_id="")
    return session.access_key_id, session.secret_access_key, session.session_token


_LAMBDA_SESSION_SECONDS = 12 * 3600  # the longest a role session lasts; an environment lives less


def role(account_id: str, region: str, role_arn: str) -> Any | None:
    """moto's record of a role, or None if the account has no role with this ARN."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    try:
        return iam_backends[account_id][get_partition(region)].get_role_by_arn(role_arn)
    except NotFoundException:
        return None


def role_policy_documents(found: Any) -> list[str]:
    """The JSON text of a role's identity policies: inline, then attached (customer and AWS managed)."""
    documents = list(found.policies.values())
    for policy in list(found.managed_policies.values()):
        documents += [version.document for version in policy.versions if version.is_default]
    return documents
