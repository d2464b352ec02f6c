"""Accounts: a stopped sandbox's account forgotten by every moto backend."""

from __future__ import annotations


def forget_account(account_id: str) -> None:
    """Drop every resource of a stopped sandbox's account, S3's global bucket names included."""
    from moto.core.base_backend import BackendDict, backend_lock
    from moto.s3.models import s3_backends

    # A learner who stops a sandbox and starts another in the same kernel
    # expects a fresh account, and bucket names to be free again.
    with backend_lock:
        services = list(BackendDict._instances)
    for backends in services:
        accounts = backends.pop(account_id, None)
        # reset() releases what some backends hold (S3's temporary files, Batch's job threads); IAM
        # holds nothing, and its reset() would load every AWS managed policy again (~0.3 s a stop).
        if accounts is not None and backends.service_name != "iam":
            accounts.reset()
    for name, (_, owner) in list(s3_backends.bucket_accounts.items()):
        if owner == account_id:
            s3_backends.bucket_accounts.pop(name, None)
