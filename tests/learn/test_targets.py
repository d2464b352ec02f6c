"""helpers.connect(): sandbox by default, an endpoint on request, real AWS only with an explicit opt-in."""

from __future__ import annotations

import os

import boto3
import pytest

import helpers
from helpers.targets import REAL_AWS_OPT_IN


def test_the_default_target_is_a_sandbox(no_leaks):
    with helpers.connect() as target:
        assert target.kind == "sandbox"
        assert target.client("sts").get_caller_identity()["Account"] == target.sandbox.account_id
    assert not target.sandbox.running


@pytest.mark.parametrize("opt_in", [None, "", "yes", True])
def test_real_aws_needs_the_exact_opt_in(opt_in):
    with pytest.raises(PermissionError, match="explicit opt-in"):
        helpers.connect("aws", real_aws=opt_in)


def test_real_aws_is_refused_while_a_sandbox_runs(sandbox):
    with pytest.raises(RuntimeError, match="sandbox is running"):
        helpers.connect("aws", real_aws=REAL_AWS_OPT_IN)


def test_an_endpoint_target_points_boto3_there_and_gives_the_environment_back(no_leaks):
    before = dict(os.environ)
    with helpers.connect() as box:
        # Any AWS-compatible endpoint will do; the sandbox is one, on loopback.
        target = helpers.connect("endpoint", endpoint_url=box.endpoint_url)
        try:
            assert os.environ["AWS_ENDPOINT_URL"] == box.endpoint_url
            assert boto3.client("lambda").meta.endpoint_url == box.endpoint_url
            assert target.client("lambda").meta.endpoint_url == box.endpoint_url
        finally:
            target.close()
    assert dict(os.environ) == before


def test_an_endpoint_target_needs_a_url():
    with pytest.raises(ValueError, match="endpoint_url"):
        helpers.connect("endpoint")


def test_an_unknown_target_is_a_clear_error():
    with pytest.raises(ValueError, match="'sandbox', 'endpoint' or 'aws'"):
        helpers.connect("azure")
