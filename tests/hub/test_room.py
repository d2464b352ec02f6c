"""A room on JupyterHub: two learners run a chapter at the same time, each in their own sandbox.

The hub, its proxy and both learners' servers run on loopback; the learners'
kernels are reached through the proxy, as their browsers would reach them.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests
from tests.hub.hub_support import ROOT, Hub, missing_tools
from tests.hub.remote_kernel import RemoteKernel, code_cells

pytestmark = pytest.mark.skipif(missing_tools() is not None, reason=str(missing_tools()))

USERS = ["ada", "grace"]
CHAPTER = "notebooks/03_create_rest_api.ipynb"

# After the chapter (before its clean-up cell): what this learner's sandbox is.
WHO_AM_I = """
import json
print(json.dumps({
    "account": lab.account_id,
    "endpoint": lab.endpoint_url,
    "invoke_url": url,
    "answer": requests.get(url).text,
    "functions": [f["FunctionArn"] for f in lambda_client.list_functions()["Functions"]],
}))
"""
# The learner's own keys, pointed at someone else's sandbox.
DRIVE_OTHER = """
import botocore
other = boto3.client(
    "lambda", endpoint_url={endpoint!r}, region_name="us-east-1",
    aws_access_key_id=lab.credentials.access_key_id, aws_secret_access_key=lab.credentials.secret_access_key,
)
refusals = []
for call in (other.list_functions, lambda: other.invoke(FunctionName="hello-world-api")):
    try:
        call()
        refusals.append(None)
    except botocore.exceptions.ClientError as error:
        answer = error.response
        refusals.append([answer["ResponseMetadata"]["HTTPStatusCode"], answer["Error"]["Code"], answer["Error"]["Message"]])
print(json.dumps(refusals))
"""
REFUSED = [403, "UnrecognizedClientException", "The security token included in the request is invalid."]


def test_two_learners_each_have_their_own_sandbox(tmp_path, no_leaks):
    started = time.monotonic()
    cells = code_cells(ROOT / CHAPTER)
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = time.monotonic() - started - sum(phases.values())

    hub = Hub(tmp_path, USERS)
    phase("hub up")
    kernels: dict[str, RemoteKernel] = {}
    try:
        assert hub.login("ada", hub.password) == 302
        assert hub.login("ada", "not-the-password") == 403
        hub.start_servers()
        phase("servers up")
        tokens = {user: hub.user_token(user) for user in USERS}
        # The hub itself keeps learners apart: Ada's token does not open Grace's server.
        as_ada = {"Authorization": f"token {tokens['ada']}"}
        peek = requests.get(f"{hub.server_url('grace')}/api/sessions", headers=as_ada, timeout=30)
        assert peek.status_code == 403

        def run_chapter(user: str) -> RemoteKernel:
            kernel = RemoteKernel(hub.server_url(user), tokens[user], CHAPTER)
            kernels[user] = kernel
            kernel.run_cells(cells[:-1])  # all but the clean-up cell
            return kernel

        with ThreadPoolExecutor(len(USERS)) as pool:
            list(pool.map(run_chapter, USERS))  # both at once
        phase("chapter in both")

        seen = {user: json.loads(kernels[user].stdout(WHO_AM_I)) for user in USERS}
        ada, grace = seen["ada"], seen["grace"]
        assert ada["account"] != grace["account"]
        assert ada["endpoint"] != grace["endpoint"]
        assert ada["invoke_url"] != grace["invoke_url"]
        for user, sandbox in seen.items():
            assert sandbox["answer"] == '"Hello, World! from Lambda!"', user
            assert sandbox["functions"] == [f"arn:aws:lambda:us-east-1:{sandbox['account']}:function:hello-world-api"], user

        for me, other in (("ada", "grace"), ("grace", "ada")):
            refusals = json.loads(kernels[me].stdout(DRIVE_OTHER.format(endpoint=seen[other]["endpoint"])))
            assert refusals == [REFUSED, REFUSED], f"{me}'s keys on {other}'s sandbox"

        running = hub.processes()  # proxy, servers, kernels and Lambda workers, to be gone at the end
        assert len(running) >= 1 + 2 * len(USERS)
        for kernel in kernels.values():
            kernel.run_cells(cells[-1:])  # the chapter's own clean-up
    finally:
        try:
            for kernel in kernels.values():
                kernel.close()
            hub.stop_servers()
        finally:
            hub.stop()
    phase("stopped")
    still_running = [p for p in running if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not still_running, f"left running: {still_running}"
    assert list(hub.tmpdir.iterdir()) == [], "temporary files left behind"
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
    print(f"room of {len(USERS)}: {time.monotonic() - started:.1f} s ({steps})")
