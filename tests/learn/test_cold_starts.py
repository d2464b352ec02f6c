"""Cold starts read from REPORT lines: parsing, measuring, bursts, the explorer's scenarios and its widget."""

from __future__ import annotations


import boto3
import ipywidgets as widgets
import pytest

from helpers import cold_starts
from helpers.cold_start_scenarios import RequestTiming, ScenarioResult, ScenarioRunner
from helpers.deployment_package import zip_files
from helpers.steps import create_basic_execution_role, package_function
from helpers.widgets import cold_start_explorer
from helpers.widgets.cold_start_explorer import ColdStartExplorer, draw
from tests.support import ROOT

ENVIRONMENT_INFO = ROOT / "lambda_src" / "environment_info"
COLD = ("REPORT RequestId: 0d3e7234-6ac7-472e-a357-4858ae7c0028\tDuration: 3.01 ms\tBilled Duration: 4 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 36 MB\tInit Duration: 110.10 ms\t")
WARM = ("REPORT RequestId: a0b75af2-6467-4020-8fbb-e01c3a63f539\tDuration: 0.96 ms\tBilled Duration: 1 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 12 MB\t\n")


def test_a_cold_report_line_has_every_field():
    report = cold_starts.parse_report(COLD, "2026/01/01/[$LATEST]abc")
    assert report == cold_starts.Report("0d3e7234-6ac7-472e-a357-4858ae7c0028", 3.01, 4, 128, 36, 110.10,
                                        "2026/01/01/[$LATEST]abc")
    assert report.cold


def test_a_warm_report_line_has_no_init_duration():
    report = cold_starts.parse_report(WARM)
    assert (report.duration_ms, report.billed_duration_ms, report.memory_size_mb, report.init_duration_ms) == (0.96, 1, 256, None)
    assert not report.cold


@pytest.mark.parametrize("line", ["START RequestId: x Version: $LATEST", "END RequestId: x", "hello REPORT", ""])
def test_other_lines_are_not_reports(line):
    assert cold_starts.parse_report(line) is None


def test_a_measurement_has_medians():
    measurement = cold_starts.Measurement(init_ms=[30.0, 10.0, 20.0], warm_ms=[1.0, 3.0])
    assert (measurement.median_init_ms, measurement.median_warm_ms) == (20.0, 2.0)


def test_the_heavy_import_comes_first():
    assert cold_starts.with_heavy_import("def f(): pass\n").startswith("import boto3\n")


@pytest.fixture
def role(sandbox):
    return create_basic_execution_role("cold-starts-role")


@pytest.fixture
def environment_info(role):
    cold_starts.deploy_function("env-info", package_function(ENVIRONMENT_INFO), role, Timeout=10)
    return "env-info"


def test_deploy_replaces_a_function_of_the_same_name(role):
    cold_starts.deploy_function("twice", zip_files({"app.py": "def lambda_handler(e, c):\n    return 1\n"}), role)
    cold_starts.deploy_function("twice", zip_files({"app.py": "def lambda_handler(e, c):\n    return 2\n"}), role)
    assert cold_starts.invoke("twice").answer == 2


def test_measure_reads_init_only_on_each_environments_first_call(environment_info):
    measurement = cold_starts.measure(environment_info, cold_starts=2, warm_calls=2)
    assert len(measurement.init_ms) == 2 and len(measurement.warm_ms) == 4
    reports = cold_starts.report_lines(environment_info)
    assert [r.cold for r in reports] == [True, False, False, True, False, False]
    assert len({r.log_stream for r in reports}) == 2  # each cold start is a new environment


def test_a_forced_cold_start_keeps_the_functions_variables(role):
    source = "import os\ndef lambda_handler(e, c):\n    return os.environ['GREETING']\n"
    cold_starts.deploy_function("vars", zip_files({"app.py": source}), role, Environment={"Variables": {"GREETING": "hi"}})
    cold_starts.force_cold_start("vars")
    assert cold_starts.invoke("vars").answer == "hi"


def test_a_burst_needs_one_environment_per_request(environment_info):
    calls = cold_starts.invoke_burst(environment_info, 3, {"sleep_s": 0.3})
    assert len({call.answer["log_stream"] for call in calls}) == 3
    streams = boto3.client("logs").describe_log_streams(logGroupName=f"/aws/lambda/{environment_info}")["logStreams"]
    assert len(streams) == 3
    assert all(r.cold for r in cold_starts.reports_for(environment_info, [c.request_id for c in calls]))


def test_no_log_group_means_no_reports_and_a_missing_report_is_an_error(environment_info):
    assert cold_starts.report_lines("never-invoked") == []
    with pytest.raises(LookupError, match="no REPORT line for request nope"):
        cold_starts.reports_for(environment_info, ["nope"])


def test_provisioned_concurrency_is_waited_for(environment_info):
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName=environment_info)["Version"]
    client.put_provisioned_concurrency_config(FunctionName=environment_info, Qualifier=version,
                                              ProvisionedConcurrentExecutions=2)
    config = cold_starts.wait_until_provisioned(environment_info, version)
    assert (config["Status"], config["AvailableProvisionedConcurrentExecutions"]) == ("READY", 2)


# --- the explorer's scenarios ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "cold", "initialization_type"),
    [("cold", 3, "on-demand"), ("warm", 0, "on-demand"), ("provisioned", 0, "provisioned-concurrency"),
     ("heavy import", 3, "on-demand")],
)
def test_each_scenario_gives_what_it_says(role, scenario, cold, initialization_type):
    result = ScenarioRunner(role).run(scenario, 3)
    assert (result.cold_starts, result.environments) == (cold, 3)
    assert {r.initialization_type for r in result.requests} == {initialization_type}
    assert result.summary().startswith(f"{scenario}: 3 request(s) at once, 3 environment(s), {cold} cold start(s)")


def test_scenarios_run_again_with_other_counts(role):
    runner = ScenarioRunner(role)
    assert runner.run("provisioned", 2).cold_starts == 0
    assert runner.run("provisioned", 4).environments == 4  # the provisioned count follows the slider
    assert runner.run("cold", 1).cold_starts == 1


@pytest.mark.parametrize(("scenario", "concurrency", "message"),
                         [("lukewarm", 2, "unknown scenario 'lukewarm'"), ("cold", 0, "concurrency is 1 to 8, not 0"),
                          ("cold", 9, "concurrency is 1 to 8, not 9")])
def test_bad_choices_are_refused_before_anything_runs(scenario, concurrency, message):
    with pytest.raises(ValueError, match=message):
        ScenarioRunner("arn:aws:iam::123456789012:role/unused").run(scenario, concurrency)


# --- the widget, driven from Python ----------------------------------------------------------------


def result_of(*init_ms: float | None) -> ScenarioResult:
    return ScenarioResult("cold", [RequestTiming(f"stream-{i % 2}", "on-demand", init, 100.0, 150.0)
                                   for i, init in enumerate(init_ms)])


def test_draw_makes_a_png_for_any_mix_of_cold_and_warm():
    for result in (result_of(40.0, None), result_of(None), result_of(*[30.0] * 8)):
        assert draw(result).startswith(b"\x89PNG")


def test_a_result_counts_environments_and_cold_starts():
    result = result_of(40.0, None, 35.0)
    assert (result.cold_starts, result.environments) == (2, 2)


class FakeRunner:
    def __init__(self, error: Exception | None = None):
        self.error = error
        self.runs = []

    def run(self, scenario, concurrency):
        self.runs.append((scenario, concurrency))
        if self.error:
            raise self.error
        return result_of(*[50.0] * concurrency)


def test_the_widget_runs_the_chosen_scenario_when_run_is_clicked():
    runner = FakeRunner()
    explorer = ColdStartExplorer(runner)
    assert isinstance(explorer, widgets.Widget)
    explorer.controls["scenario"].value = "heavy import"
    explorer.controls["concurrency"].value = 5
    explorer.button.click()
    assert runner.runs == [("heavy import", 5)]
    assert "5 request(s) at once" in explorer.summary.value
    assert bytes(explorer.chart.value).startswith(b"\x89PNG")
    assert not explorer.button.disabled


def test_the_widget_shows_a_failure_and_stays_usable():
    explorer = ColdStartExplorer(FakeRunner(RuntimeError("explorer-plain failed: boom")), plot=False)
    assert explorer.run() is None
    assert "RuntimeError: explorer-plain failed: boom" in explorer.summary.value
    assert not explorer.button.disabled and explorer.last is None


def test_the_widget_offers_every_scenario_and_one_to_eight_requests():
    explorer = ColdStartExplorer(FakeRunner(), plot=False)
    assert explorer.controls["scenario"].options == ("cold", "warm", "provisioned", "heavy import")
    assert (explorer.controls["concurrency"].min, explorer.controls["concurrency"].max) == (1, 8)


def test_the_notebooks_explorer_runs_against_the_sandbox(role):
    explorer = cold_start_explorer(role, plot=False)
    result = explorer.run()
    assert explorer.last is result and result.cold_starts == 2
    assert explorer.runner.function_names == ["explorer-plain", "explorer-heavy-import"]


def test_a_replaced_function_starts_without_the_old_ones_logs(environment_info, role):
    cold_starts.invoke(environment_info)
    cold_starts.deploy_function(environment_info, package_function(ENVIRONMENT_INFO), role)
    assert cold_starts.report_lines(environment_info) == []
    cold_starts.invoke(environment_info)
    assert [r.cold for r in cold_starts.report_lines(environment_info)] == [True]


def test_a_replaced_function_starts_cold_even_with_the_same_code(environment_info, role):
    cold_starts.invoke(environment_info)
    cold_starts.deploy_function(environment_info, package_function(ENVIRONMENT_INFO), role)
    cold_starts.invoke(environment_info)
    assert [r.cold for r in cold_starts.report_lines(environment_info)] == [True]


def test_the_runner_deploys_again_into_a_sandbox_started_over(role):
    runner = ScenarioRunner(role)
    runner.run("cold", 1)
    boto3.client("lambda").delete_function(FunctionName=runner.plain)
    assert runner.run("cold", 1).cold_starts == 1
