"""After a sandbox has run, no boto3 call leaves loopback until the learner opts in to real AWS."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import boto3
import botocore.handlers
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

import helpers
from helpers.sandbox import aws_guard
from helpers.sandbox.aws_guard import RealAwsRefused
from tests.support import FIXTURES

SCRIPT = FIXTURES / "no_real_aws.py"
REAL_LOOKING = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
KEYS = {k.lower(): v for k, v in REAL_LOOKING.items()}
WHAT_TO_DO = ("sandbox.start()", "helpers.connect('aws', real_aws=helpers.targets.REAL_AWS_OPT_IN)")


@pytest.fixture(scope="module")
def script_report(tmp_path_factory):
    """Run the script in a fresh process with real-looking keys, a profile and a region in its environment."""
    home = tmp_path_factory.mktemp("home")
    (home / "credentials").write_text("[learner]\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\n"
                                      "aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n")
    (home / "config").write_text("[profile learner]\nregion = us-east-1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(REAL_LOOKING, AWS_PROFILE="learner", AWS_DEFAULT_REGION="us-east-1",
               AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"), AWS_CONFIG_FILE=str(home / "config"),
               # After the opt-in a call does go out; one attempt is enough to see where.
               AWS_MAX_ATTEMPTS="1")
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_sandbox_works_and_gives_the_environment_back_exactly(script_report):
    assert script_report["during"] == []
    assert script_report["environment_restored"] is True


def test_every_way_of_making_a_client_is_refused_after_stop(script_report):
    refused = script_report["refused"]
    assert len(refused) == 9
    for name, outcome in refused.items():
        assert outcome.startswith("RealAwsRefused: "), (name, outcome)
        for hint in WHAT_TO_DO:
            assert hint in outcome, (name, outcome)


def test_the_refusal_names_where_the_call_would_have_gone(script_report):
    refused = script_report["refused"]
    assert "https://sts.us-east-1.amazonaws.com" in refused["boto3.client"]
    assert "https://iam.amazonaws.com" in refused["profile session"]
    assert "has stopped" in refused["client made during the sandbox"]


def test_nothing_left_loopback_before_the_opt_in(script_report):
    assert script_report["left_loopback_before_opt_in"] == []


def test_after_the_opt_in_the_same_call_tries_aws(script_report):
    # The socket layer of the script refused it: that is the proof it was on its way out.
    assert script_report["opt_in"].startswith("EndpointConnectionError")
    assert script_report["after_opt_in"].startswith("EndpointConnectionError")
    assert script_report["left_loopback_after_opt_in"] == ["lookup sts.us-east-1.amazonaws.com"] * 2


# The seam with botocore, in this process.

@pytest.fixture
def armed(monkeypatch):
    """The guard as it is after a sandbox has run, restored after the test; sockets off loopback fail."""
    aws_guard.install()
    monkeypatch.setattr(aws_guard._state, "armed", True)
    monkeypatch.setattr(aws_guard._state, "allowed_hosts", set())
    monkeypatch.setattr(aws_guard._state, "stopped", set())
    lookups: list[str] = []

    def no_lookup(host, *args, **kwargs):
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    return lookups


def test_botocore_still_copies_builtin_handlers_into_every_session(armed):
    assert (aws_guard.EVENT, aws_guard.refuse_off_loopback) in botocore.handlers.BUILTIN_HANDLERS
    client = botocore.session.Session().create_client("lambda", region_name="us-east-1", **KEYS)
    with pytest.raises(RealAwsRefused):
        client.list_functions()
    assert armed == []


def test_botocore_still_emits_before_call_with_the_url_before_any_network(armed):
    client = boto3.client("sts", region_name="eu-west-1", **KEYS)
    with pytest.raises(RealAwsRefused, match=r"https://sts\.eu-west-1\.amazonaws\.com"):
        client.get_caller_identity()
    assert armed == []


def test_an_endpoint_the_learner_chose_is_allowed(armed):
    target = helpers.connect("endpoint", endpoint_url="http://localhost.localstack.cloud:4566")
    try:
        client = target.client("sts", config=Config(retries={"total_max_attempts": 1}))
        with pytest.raises(EndpointConnectionError):
            client.get_caller_identity()
    finally:
        target.close()
    assert armed == ["localhost.localstack.cloud"]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "localhost", "[::1]", "api.localhost"])
def test_loopback_endpoints_are_allowed(armed, host):
    client = boto3.client("sts", region_name="us-east-1", endpoint_url=f"http://{host}:9",
                          config=Config(retries={"total_max_attempts": 1}), **KEYS)
    with pytest.raises(EndpointConnectionError):  # nothing listens on port 9, but the call was let through
        client.get_caller_identity()


@pytest.mark.parametrize("host", ["sts.amazonaws.com", "10.0.0.1", "169.254.169.254", "localhost.example.com"])
def test_everything_else_is_refused_without_a_lookup(armed, host):
    client = boto3.client("sts", region_name="us-east-1", endpoint_url=f"http://{host}",
                          **KEYS)
    with pytest.raises(RealAwsRefused):
        client.get_caller_identity()
    assert armed == []


def test_credential_providers_that_would_call_link_local_addresses_find_nothing_while_armed(armed, monkeypatch):
    import botocore.credentials
    import botocore.utils

    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.2/creds")
    fetcher = botocore.utils.InstanceMetadataFetcher(num_attempts=1, timeout=0.1)
    assert botocore.credentials.InstanceMetadataProvider(iam_role_fetcher=fetcher).load() is None
    assert botocore.credentials.ContainerProvider().load() is None
    assert armed == []


def test_starting_a_sandbox_again_ends_the_opt_in(monkeypatch, sandbox):
    monkeypatch.setattr(aws_guard._state, "armed", True)
    aws_guard.opt_in_to_real_aws()
    assert not aws_guard._state.armed
    aws_guard.sandbox_started("http://127.0.0.1:1")
    assert aws_guard._state.armed
    assert sandbox.client("sts").get_caller_identity()["Account"] == sandbox.account_id
