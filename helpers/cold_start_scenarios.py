"""The cold-start explorer's scenarios: a burst of requests to a function made cold, warm or provisioned, read from REPORT lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3

from .cold_starts import (deploy_function, force_cold_start, invoke_burst, reports_for, wait_until_provisioned,
                          with_heavy_import)
from .deployment_package import zip_files

SCENARIOS = ("cold", "warm", "provisioned", "heavy import")
MAX_CONCURRENCY = 8
ALIAS = "live"
# Long enough that requests sent together overlap, so each needs its own environment.
HOLD_S = 0.1
# What run() does, in order; it names each step to `on_step` as it starts it.
STEPS = ("Deploying", "Preparing", "Burst", "Reading logs")
_SOURCE = Path(__file__).resolve().parent.parent / "lambda_src" / "environment_info" / "app.py"


@dataclass(frozen=True)
class RequestTiming:
    """One request of a burst: the environment that served it and what its REPORT line says."""

    environment: str  # the log stream: one per execution environment
    initialization_type: str
    init_ms: float | None
    duration_ms: float
    client_ms: float


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario's burst, request by request."""

    scenario: str
    requests: list[RequestTiming]

    @property
    def cold_starts(self) -> int:
        """Requests whose REPORT line has Init Duration."""
        return sum(r.init_ms is not None for r in self.requests)

    @property
    def environments(self) -> int:
        """Distinct execution environments (log streams) that served the burst."""
        return len({r.environment for r in self.requests})

    def summary(self) -> str:
        """One line: how many requests, environments and cold starts."""
        kinds = sorted({r.initialization_type for r in self.requests})
        return (f"{self.scenario}: {len(self.requests)} request(s) at once, {self.environments} environment(s), "
                f"{self.cold_starts} cold start(s); initialization type {', '.join(kinds)}")


class ScenarioRunner:
    """Deploys two functions (plain, and with a heavy import) and runs a scenario as a burst against them."""

    def __init__(self, role_arn: str, prefix: str = "explorer") -> None:
        self.role_arn = role_arn
        self.plain = f"{prefix}-plain"
        self.heavy = f"{prefix}-heavy-import"
        # Told the name of each step of run() as it starts (the explorer's progress bar).
        self.on_step: Callable[[str], None] = lambda step: None

    @property
    def function_names(self) -> list[str]:
        """The functions this runner deploys (for cleanup)."""
        return [self.plain, self.heavy]

    def run(self, scenario: str, concurrency: int) -> ScenarioResult:
        """Send `concurrency` requests at once in the given scenario and read what happened from REPORT lines."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency is 1 to {MAX_CONCURRENCY}, not {concurrency}")
        function, qualifier = (self.heavy if scenario == "heavy import" else self.plain), None
        self.on_step(STEPS[0])
        self._deploy(function)
        self.on_step(STEPS[1])
        if scenario in ("cold", "heavy import"):
            force_cold_start(function)
        elif scenario == "warm":
            invoke_burst(function, concurrency, {"sleep_s": HOLD_S})  # starts the environments the burst will find
        else:
            qualifier = self._provision(concurrency)
        self.on_step(STEPS[2])
        calls = invoke_burst(function, concurrency, {"sleep_s": HOLD_S}, qualifier=qualifier)
        failed = [call for call in calls if call.function_error]
        if failed:
            raise RuntimeError(f"{function} failed: {failed[0].answer}")
        self.on_step(STEPS[3])
        reports = reports_for(function, [call.request_id for call in calls])
        return ScenarioResult(scenario, [
            RequestTiming(call.answer["log_stream"], call.answer["initialization_type"], report.init_duration_ms,
                          report.duration_ms, call.client_ms)
            for call, report in zip(calls, reports)
        ])

    def _deploy(self, function: str) -> None:
        """Deploy the function unless it is there (asked each time: the sandbox may have been started over)."""
        client = boto3.client("lambda")
        try:
            client.get_function(FunctionName=function)
            return
        except client.exceptions.ResourceNotFoundException:
            pass
        source = _SOURCE.read_text()
        code = with_heavy_import(source) if function == self.heavy else source
        deploy_function(function, zip_files({"app.py": code}), self.role_arn, Timeout=10)

    def _provision(self, concurrency: int) -> str:
        """Give the alias (made once, on a published version) `concurrency` provisioned environments; wait until READY."""
        client = boto3.client("lambda")
        try:
            client.get_alias(FunctionName=self.plain, Name=ALIAS)
        except client.exceptions.ResourceNotFoundException:
            version = client.publish_version(FunctionName=self.plain)["Version"]
            client.create_alias(FunctionName=self.plain, Name=ALIAS, FunctionVersion=version)
        client.put_provisioned_concurrency_config(FunctionName=self.plain, Qualifier=ALIAS,
                                                  ProvisionedConcurrentExecutions=concurrency)
        wait_until_provisioned(self.plain, ALIAS)
        return ALIAS

