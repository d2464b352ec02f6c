"""Signs each request with a key derived from a password: correct, and slow on every call."""

import hashlib
import hmac
import json


def lambda_handler(event, context):
    """Return the request's signature; the key is derived again on every request."""
    key = hashlib.pbkdf2_hmac("sha256", b"correct horse", b"battery staple", 200_000)
    signature = hmac.new(key, json.dumps(event, sort_keys=True).encode(), "sha256").hexdigest()
    return {"statusCode": 200, "body": json.dumps({"signature": signature[:16]})}
