"""CloudWatch alarms change state on the sandbox's own metrics, with CloudWatch's reasons and history."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

from helpers.sandbox import moto_link
from helpers.sandbox.alarms import AlarmEvaluator

T0 = datetime(2026, 12, 2, 10, 15, 0, tzinfo=timezone.utc)
ERRORS = dict(Namespace="AWS/Lambda", MetricName="Errors", Dimensions=[{"Name": "FunctionName", "Value": "f"}])


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _account() -> str:
    return str(random.randrange(10**11, 10**12))


def _backend(account: str):
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[account]["us-east-1"]


def _alarm(account: str, **overrides) -> None:
    settings = dict(name="errors", namespace="AWS/Lambda", metric_name="Errors", metric_data_queries=None,
                    comparison_operator="GreaterThanOrEqualToThreshold", evaluation_periods=1,
                    datapoints_to_alarm=None, period=10, threshold=1.0, statistic="Sum", extended_statistic=None,
                    description="", dimensions=ERRORS["Dimensions"], alarm_actions=[], ok_actions=None,
                    insufficient_data_actions=None, unit=None, actions_enabled=True,
                    treat_missing_data="notBreaching", evaluate_low_sample_count_percentile=None,
                    threshold_metric_id=None, rule=None)
    settings.update(overrides)
    _backend(account).put_metric_alarm(**settings)


def _errors(account: str, at: datetime, value: float) -> None:
    moto_link.metric_sink(account, "us-east-1")("AWS/Lambda", [
        {"MetricName": "Errors", "Dimensions": ERRORS["Dimensions"], "Timestamp": at, "Value": value,
         "Unit": "Count"}])


def _state(account: str, name: str = "errors"):
    alarm = _backend(account).alarms[name]
    return alarm.state_value, alarm.state_reason


def test_errors_move_the_alarm_to_alarm_and_a_quiet_period_back_to_ok():
    account, clock = _account(), Clock(T0)
    evaluator = AlarmEvaluator(account, "us-east-1", clock)
    try:
        _alarm(account)
        evaluator.evaluate()
        assert _state(account) == ("OK", "Threshold Crossed: no datapoints were received for 1 period and "
                                         "1 missing datapoint was treated as [NonBreaching].")
        _errors(account, T0 + timedelta(seconds=2), 3.0)
        clock.at = T0 + timedelta(seconds=5)
        evaluator.evaluate()
        assert _state(account) == ("ALARM", "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (02/12/26 "
                                            "10:14:55)] was greater than or equal to the threshold (1.0) "
                                            "(minimum 1 datapoint for OK -> ALARM transition).")
        reason_data = json.loads(_backend(account).alarms["errors"].state_reason_data)
        assert reason_data["recentDatapoints"] == [3.0] and reason_data["period"] == 10
        assert reason_data["evaluatedDatapoints"] == [
            {"timestamp": "2026-12-02T10:14:55.000+0000", "sampleCount": 1.0, "value": 3.0}]
        evaluator.evaluate()  # nothing new: no second change is recorded
        clock.at = T0 + timedelta(seconds=13)
        evaluator.evaluate()
        assert _state(account)[0] == "OK"
        history = _backend(account).alarms["errors"].sandbox_history
        assert [item["HistorySummary"] for item in history] == [
            "Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
            "Alarm updated from INSUFFICIENT_DATA to OK"]
        data = json.loads(history[1]["HistoryData"])
        assert data["oldState"]["stateValue"] == "OK" and data["newState"]["stateValue"] == "ALARM"
        assert data["newState"]["stateReasonData"]["recentDatapoints"] == [3.0]
    finally:
        moto_link.forget_account(account)


def test_a_datapoint_below_the_threshold_is_ok_with_the_value_named():
    account, clock = _account(), Clock(T0)
    try:
        _alarm(account, treat_missing_data=None)
        _errors(account, T0 - timedelta(seconds=4), 0.0)
        AlarmEvaluator(account, "us-east-1", clock).evaluate()
        assert _state(account) == ("OK", "Threshold Crossed: 1 datapoint [0.0 (02/12/26 10:14:50)] was not "
                                         "greater than or equal to the threshold (1.0).")
    finally:
        moto_link.forget_account(account)


def test_missing_data_by_default_is_insufficient_data_and_breaching_alarms():
    account, clock = _account(), Clock(T0)
    try:
        _alarm(account, name="default", treat_missing_data=None)
        _alarm(account, name="breaching", treat_missing_data="breaching")
        _alarm(account, name="ignore", treat_missing_data="ignore")
        AlarmEvaluator(account, "us-east-1", clock).evaluate()
        # A new alarm without data stays as CloudWatch created it: INSUFFICIENT_DATA, unchecked.
        assert _state(account, "default") == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
        assert _state(account, "breaching") == (
            "ALARM", "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
                     "treated as [Breaching].")
        assert _state(account, "ignore") == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    finally:
        moto_link.forget_account(account)


def test_m_out_of_n_needs_m_breaching_periods():
    account, clock = _account(), Clock(T0)
    try:
        _alarm(account, evaluation_periods=3, datapoints_to_alarm=2, comparison_operator="GreaterThanThreshold",
               threshold=0.0)
        _errors(account, T0 - timedelta(seconds=25), 1.0)
        evaluator = AlarmEvaluator(account, "us-east-1", clock)
        evaluator.evaluate()
        assert _state(account)[0] == "OK"
        _errors(account, T0 - timedelta(seconds=5), 2.0)
        evaluator.evaluate()
        assert _state(account) == ("ALARM", "Threshold Crossed: 2 out of the last 3 datapoints "
                                            "[2.0 (02/12/26 10:14:50), 1.0 (02/12/26 10:14:30)] were greater than "
                                            "the threshold (0.0) (minimum 2 datapoints for OK -> ALARM transition).")
    finally:
        moto_link.forget_account(account)


def test_the_sandbox_evaluates_alarms_on_read_and_serves_their_history(sandbox):
    cloudwatch = sandbox.client("cloudwatch")
    cloudwatch.put_metric_alarm(AlarmName="errors", Statistic="Sum", Period=10, EvaluationPeriods=1, Threshold=1.0,
                                ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
                                **ERRORS)
    assert cloudwatch.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]["StateValue"] == "OK"
    cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": "Errors", "Dimensions": ERRORS["Dimensions"], "Value": 2.0, "Unit": "Count"}])
    alarm = cloudwatch.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [2.0 (")
    items = cloudwatch.describe_alarm_history(AlarmName="errors", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [item["HistorySummary"] for item in items] == ["Alarm updated from OK to ALARM",
                                                          "Alarm updated from INSUFFICIENT_DATA to OK"]
    assert json.loads(items[0]["HistoryData"])["newState"]["stateValue"] == "ALARM"
    assert cloudwatch.describe_alarm_history(AlarmName="other")["AlarmHistoryItems"] == []
