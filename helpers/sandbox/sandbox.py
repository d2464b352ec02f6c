"""The offline AWS sandbox: moto's control plane and the project's data plane on one loopback port."""

from __future__ import annotations

import atexit
import gc
import re
import threading
from typing import Any
from urllib.parse import quote

from ..engine import Engine
from . import aws_guard, deferred_imports, moto_link
from .alarms import AlarmEvaluator
from .apigateway_backend import sandbox_gateway
from .credentials import Credentials
from .execution_roles import ExecutionRoles
from .front_door import FrontDoor
from .lambda_service import LambdaService
from .process_env import owners, sandbox_variables
from .read_cache import ControlPlaneWrites
from .routes import sandbox_routes
from .server import LOOPBACK, LoopbackServer
from .telemetry import Telemetry

# AWS keeps an idle execution environment for several minutes (not documented).
DEFAULT_IDLE_TIMEOUT = 300.0
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
# Strong references: a running sandbox lives until stopped, even if a
# notebook drops its variable.
_running: "set[Sandbox]" = set()
_running_lock = threading.Lock()
_teaching = threading.Lock()  # two first CloudFormation requests at once must not patch moto twice
# Before any cell can make a boto3 client, so every client carries the guard.
aws_guard.install()


class Sandbox:
    """A running sandbox; stop it with stop() or use it as a context manager."""

    def __init__(self, region: str = "us-east-1", *, idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        if not _REGION.match(region):
            raise ValueError(f"{region!r} is not an AWS Region name (for example 'us-east-1')")
        self.region = region
        self.credentials = Credentials.generate()
        self._stopped = False
        self._stop_lock = threading.Lock()
        self._boto_session: Any = None
        deferred_imports.defer_unused_imports()  # before moto's imports pull them in
        # The writes to what the data plane reads (functions, APIs, roles), counted so it can cache those reads.
        writes = ControlPlaneWrites()
        self.roles = ExecutionRoles(self.credentials.account_id, region, generation=writes)
        self.front_door = FrontDoor(self.credentials, _moto_app(), self.roles, writes)
        self._server = LoopbackServer(self.front_door)
        self.endpoint_url = f"http://{LOOPBACK}:{self._server.port}"
        account = self.credentials.account_id
        self.telemetry = Telemetry.for_account(account, region)
        # A CloudWatch read must see every log line and metric the data plane has produced.
        self.front_door.before_requests_to("logs", self.telemetry.flush)
        self.alarms = AlarmEvaluator(account, region)
        self.front_door.before_requests_to("monitoring", self._before_cloudwatch)
        self.engine = Engine(
            worker_env=self._worker_variables(),
            log_sink=self.telemetry.put_log_events,
            metric_sink=self.telemetry.put_metric_data,
            idle_timeout=idle_timeout,
            roles=self.roles,
        )
        moto_app = self.front_door.moto_app
        self.lambda_service = LambdaService(self.engine, account, moto_app)
        self.gateway = sandbox_gateway(self.engine, self.credentials, region, moto_app, telemetry=self.telemetry,
                                       generation=writes)
        self.front_door.routes += sandbox_routes(self.gateway, self.lambda_service,
                                                 self.roles.assumable_role_check(moto_app))
        # CloudFormation builds functions and APIs too (SAM templates, RestApi Body, stages). moto's CloudFormation
        # takes most of a second to import, so it is taught on the first CloudFormation request, not at every start.
        self.front_door.before_requests_to("cloudformation", _teach_cloudformation)
        moto_link.route_invocations(account, self.lambda_service.run_for_moto)
        moto_link.serve_alarm_history()
        moto_link.keep_logging_config()
        _use_aws_managed_policies(True)
        self._server.start(name=f"sandbox-{self._server.port}")
        aws_guard.sandbox_started(self.endpoint_url)
        with _running_lock:
            _running.add(self)
            # What is loaded by now (moto, botocore: ~200k objects) lives as long as the process, yet
            # each full collection would scan it all with the GIL held, ~150-190 ms in which every
            # request in flight waits. Frozen, it is left out: collections scan what came after.
            gc.freeze()
        owners.push(self, self.environment_variables())

    def _before_cloudwatch(self) -> None:
        # Alarms judge the metrics as they stand: everything the data plane produced, then the evaluation.
        self.telemetry.flush()
        self.alarms.evaluate()

    @property
    def account_id(self) -> str:
        """This sandbox's (random) AWS account id."""
        return self.credentials.account_id

    def environment_variables(self) -> dict[str, str]:
        """The variables that point boto3 at this sandbox (set in the process while it runs)."""
        c = self.credentials
        return sandbox_variables(self.endpoint_url, self.region, c.access_key_id, c.secret_access_key)

    def _worker_variables(self) -> dict[str, str]:
        # A handler's own boto3 calls come back to this sandbox, signed with its role's
        # credentials (see ExecutionRoles), as a real function's calls are.
        return {"AWS_ENDPOINT_URL": self.endpoint_url}

    @property
    def idle_timeout(self) -> float:
        """Seconds an idle execution environment is kept before it is reclaimed (AWS: minutes)."""
        return self.engine.idle_timeout

    @idle_timeout.setter
    def idle_timeout(self, seconds: float) -> None:
        self.engine.idle_timeout = seconds

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for this sandbox, whatever the process environment says."""
        import boto3

        if self._boto_session is None:
            c = self.credentials
            self._boto_session = boto3.session.Session(
                aws_access_key_id=c.access_key_id,
                aws_secret_access_key=c.secret_access_key,
                region_name=self.region,
            )
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        return self._boto_session.client(service, **kwargs)

    def invoke_url(self, rest_api_id: str, stage: str, path: str = "/") -> str:
        """The URL that serves `path` of a deployed REST API stage (AWS's execute-api URL, locally)."""
        path = path if path.startswith("/") else "/" + path
        return f"{self.endpoint_url}/restapis/{quote(rest_api_id)}/{quote(stage)}/_user_request_{path}"

    def stop(self) -> None:
        """Stop serving and give the process environment back; safe to call twice."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        try:
            # The engine first: ending its workers lets in-flight invocations
            # answer, so the server's request threads can finish.
            moto_link.route_invocations(self.account_id, None)
            self.engine.stop()
            self.gateway.stop()
            self._server.stop()
            self.telemetry.stop()
            moto_link.forget_account(self.account_id)
        finally:
            owners.pop(self)
            aws_guard.sandbox_stopped(self.endpoint_url)
            with _running_lock:
                _running.discard(self)
                if not _running:
                    _use_aws_managed_policies(False)
                    gc.unfreeze()  # what has become garbage since can be collected again

    @property
    def running(self) -> bool:
        """True until stop()."""
        return not self._stopped

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Sandbox {state} at {self.endpoint_url} region={self.region}>"


def start(region: str = "us-east-1", *, idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> Sandbox:
    """Start a sandbox on 127.0.0.1 and point boto3 in this process at it."""
    return Sandbox(region, idle_timeout=idle_timeout)


def any_running() -> bool:
    """Is a sandbox running in this process?"""
    with _running_lock:
        return bool(_running)


def _teach_cloudformation() -> None:
    from . import cloudformation

    with _teaching:
        cloudformation.install()


def _moto_app() -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def _use_aws_managed_policies(on: bool) -> None:
    # In AWS every account has the managed policies (AWSLambdaBasicExecutionRole…);
    # moto loads them into a new account only when this switch is set.
    from moto.settings import default_user_config

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = on


@atexit.register
def _stop_all() -> None:
    with _running_lock:
        sandboxes = list(_running)
    for sandbox in sandboxes:
        sandbox.stop()
