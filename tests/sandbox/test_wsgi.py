"""What the WSGI pieces share: reading who signed a request, its headers and body; writing replies."""

from __future__ import annotations

import io
import json

import pytest

from helpers.wsgi import (RAW_HEADERS_KEY, Signature, header_values, json_reply, parse_authorization, read_body,
                          reason, signature_of)

BOTO_AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=SBOXKEY/20261124/eu-west-1/lambda/aws4_request, "
                      "SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32)


def test_a_sigv4_header_is_read_into_its_fields():
    signature = parse_authorization(BOTO_AUTHORIZATION)
    assert signature == Signature("SBOXKEY", "20261124/eu-west-1/lambda/aws4_request", "AWS4-HMAC-SHA256",
                                  "host;x-amz-date", "ab" * 32)
    assert (signature.date, signature.region, signature.service) == ("20261124", "eu-west-1", "lambda")


@pytest.mark.parametrize("value", ["", "Bearer token", "AWS4-HMAC-SHA256 Credential=KEYONLY, Signature=x",
                                   "AWS SBOXKEY:c2lnbmF0dXJl"])
def test_what_is_not_a_sigv4_header_gives_no_signature(value):
    assert parse_authorization(value) is None


@pytest.mark.parametrize("environ, expected", [
    ({"HTTP_AUTHORIZATION": BOTO_AUTHORIZATION}, ("SBOXKEY", "lambda")),
    ({"HTTP_AUTHORIZATION": "AWS SBOXKEY:c2lnbmF0dXJl"}, ("SBOXKEY", "")),  # SigV2 (old S3 clients)
    ({"QUERY_STRING": "X-Amz-Credential=SBOXKEY%2F20261124%2Fus-east-1%2Fs3%2Faws4_request"}, ("SBOXKEY", "s3")),
    ({"QUERY_STRING": "AWSAccessKeyId=SBOXKEY&Signature=x"}, ("SBOXKEY", "")),
])
def test_who_signed_is_read_from_the_header_or_a_presigned_url(environ, expected):
    signature = signature_of(environ)
    assert (signature.access_key_id, signature.service) == expected


def test_an_unsigned_request_has_no_signature():
    assert signature_of({"QUERY_STRING": "a=1"}) is None


def test_header_values_keep_repeats_when_the_server_kept_them():
    environ = {RAW_HEADERS_KEY: [("X-Tag", "a"), ("x-tag", "b")], "HTTP_X_TAG": "a,b"}
    assert header_values(environ, "x-tag") == ["a", "b"]
    del environ[RAW_HEADERS_KEY]
    assert header_values(environ, "x-tag") == ["a,b"]


def test_the_body_is_left_for_the_next_reader():
    environ = {"CONTENT_LENGTH": "5", "wsgi.input": io.BytesIO(b"hello and more")}
    assert read_body(environ) == b"hello"
    assert read_body(environ) == b"hello"
    assert environ["wsgi.input"].read() == b"hello"


def test_a_chunked_body_is_read_to_the_end_of_the_stream():
    environ = {"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(b"chunks")}
    assert read_body(environ) == b"chunks"


def test_reason_phrases_are_aws_s():
    assert (reason(200), reason(413), reason(429), reason(599)) == (
        "OK", "Request Entity Too Large", "Too Many Requests", "Unknown")


def test_a_json_reply_carries_its_type_headers_and_length():
    started = []
    body = json_reply(lambda status, headers: started.append((status, headers)), 404, {"message": "no"},
                      [("x-amzn-ErrorType", "NotFoundException")])
    assert json.loads(b"".join(body)) == {"message": "no"}
    assert started == [("404 Not Found", [("Content-Type", "application/json"),
                                          ("x-amzn-ErrorType", "NotFoundException"),
                                          ("Content-Length", str(len(b"".join(body))))])]
