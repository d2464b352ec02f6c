"""S3: what the sandbox reads of moto's buckets."""

from __future__ import annotations


def s3_object_exists(account_id: str, region: str, bucket: str, key: str) -> bool | None:
    """Whether the account's bucket holds the key (None if there is no such bucket of the account's)."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    backend = s3_backends[account_id][get_partition(region)]
    if bucket not in backend.buckets:
        return None
    return backend.get_object(bucket, key) is not None
