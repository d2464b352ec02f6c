"""CloudWatch metric alarms evaluated on the sandbox's own metrics, as CloudWatch evaluates them.

moto stores alarms but never evaluates them. Here every alarm is evaluated
just before a CloudWatch request is served (on read: no thread to stop), over
the sliding windows that end at that moment. CloudWatch evaluates each minute
over whole periods that have ended; the sandbox's answer is the same once a
period has passed, only sooner. State changes carry CloudWatch's own
StateReason wording and are recorded as DescribeAlarmHistory items.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from . import moto_link

_COMPARISONS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda value, threshold: value >= threshold),
    "GreaterThanThreshold": ("greater than", lambda value, threshold: value > threshold),
    "LessThanThreshold": ("less than", lambda value, threshold: value < threshold),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda value, threshold: value <= threshold),
}
# moto creates an alarm in OK with this reason; CloudWatch creates it in INSUFFICIENT_DATA.
_UNCHECKED = "Unchecked: Initial alarm creation"


@dataclass(frozen=True)
class Datapoint:
    """One period's statistic: the period's start, its value and how many samples made it."""

    start: datetime
    value: float
    sample_count: float


@dataclass(frozen=True)
class Verdict:
    """The state an evaluation arrives at, with CloudWatch's reason and reason data."""

    state: str
    reason: str
    reason_data: str


def _number(value: float) -> str:
    return repr(float(value))  # CloudWatch prints doubles as Java does: 3.0, 0.5


def _reason_time(moment: datetime) -> str:
    return f"{moment:%d/%m/%y %H:%M:%S}"  # e.g. (19/06/24 12:00:00): day, month, two-digit year


def _iso(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def judge(alarm: Any, datapoints: list[Datapoint | None], now: datetime) -> Verdict | None:
    """The verdict on the latest periods (newest first, None where no data came); None keeps the state.

    `alarm` has moto's attributes: comparison_operator, threshold, evaluation_periods,
    datapoints_to_alarm, treat_missing_data, statistic, period.
    """
    words, crosses = _COMPARISONS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    periods = int(alarm.evaluation_periods)
    needed = int(alarm.datapoints_to_alarm or periods)
    treat = alarm.treat_missing_data or "missing"
    present = [point for point in datapoints if point is not None]
    missing = len(datapoints) - len(present)
    if not present and treat == "ignore":
        return None
    if not present and treat == "missing":
        return _verdict("INSUFFICIENT_DATA", f"Insufficient Data: {_plural(missing, 'datapoint')} "
                        f"{'was' if missing == 1 else 'were'} unknown.", alarm, present, now, threshold)
    breaching = [point for point in present if crosses(point.value, threshold)]
    bad = len(breaching) + (missing if treat == "breaching" else 0)
    if not present:
        treated = "Breaching" if treat == "breaching" else "NonBreaching"
        return _verdict("ALARM" if bad >= needed else "OK",
                        f"Threshold Crossed: no datapoints were received for {_plural(missing, 'period')} and "
                        f"{_plural(missing, 'missing datapoint')} {'was' if missing == 1 else 'were'} "
                        f"treated as [{treated}].", alarm, present, now, threshold)
    if bad >= needed:
        listed = ", ".join(f"{_number(p.value)} ({_reason_time(p.start)})" for p in breaching)
        return _verdict("ALARM", f"Threshold Crossed: {bad} out of the last {periods} datapoints [{listed}] "
                        f"{'was' if bad == 1 else 'were'} {words} the threshold ({_number(threshold)}) "
                        f"(minimum {_plural(needed, 'datapoint')} for OK -> ALARM transition).",
                        alarm, present, now, threshold)
    listed = ", ".join(f"{_number(p.value)} ({_reason_time(p.start)})" for p in present)
    return _verdict("OK", f"Threshold Crossed: {_plural(len(present), 'datapoint')} [{listed}] "
                    f"{'was' if len(present) == 1 else 'were'} not {words} the threshold ({_number(threshold)}).",
                    alarm, present, now, threshold)


def _verdict(state: str, reason: str, alarm: Any, present: list[Datapoint], now: datetime,
             threshold: float) -> Verdict:
    data: dict[str, Any] = {"version": "1.0", "queryDate": _iso(now)}
    if present:
        data["startDate"] = _iso(min(p.start for p in present))
    data.update({"statistic": alarm.statistic, "period": int(alarm.period),
                 "recentDatapoints": [float(p.value) for p in reversed(present)], "threshold": threshold})
    if present:
        data["evaluatedDatapoints"] = [{"timestamp": _iso(p.start), "sampleCount": float(p.sample_count),
                                        "value": float(p.value)} for p in present]
    return Verdict(state, reason, json.dumps(data, separators=(",", ":")))


class AlarmEvaluator:
    """Evaluates an account's metric alarms over its metrics whenever evaluate() is called."""

    def __init__(self, account_id: str, region: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.account_id = account_id
        self.region = region
        self.clock = clock
        self._lock = threading.Lock()  # two CloudWatch requests at once must not record one change twice

    def evaluate(self) -> None:
        """Bring every metric alarm's state up to date, recording each change in its history."""
        with self._lock:
            now = self.clock().astimezone(timezone.utc).replace(tzinfo=None)  # moto keeps naive UTC times
            for alarm in moto_link.metric_alarms(self.account_id, self.region):
                self._evaluate(alarm, now)

    def _evaluate(self, alarm: Any, now: datetime) -> None:
        if not alarm.metric_name or not alarm.statistic:
            return  # metric-math and percentile alarms are not evaluated (said in the notebook)
        if alarm.state_reason == _UNCHECKED:
            moto_link.start_alarm_in(alarm, "INSUFFICIENT_DATA")
        verdict = judge(alarm, self._datapoints(alarm, now), now)
        if verdict is not None and verdict.state != alarm.state_value:
            moto_link.change_alarm_state(alarm, verdict.state, verdict.reason, verdict.reason_data, now)

    def _datapoints(self, alarm: Any, now: datetime) -> list[Datapoint | None]:
        period = timedelta(seconds=int(alarm.period))
        # Windows on whole seconds, the latest ending at the next one: CloudWatch's (and moto's) times
        # have no fraction, and a point written in this very second must count.
        latest = now.replace(microsecond=0) + timedelta(seconds=1 if now.microsecond else 0)
        points: list[Datapoint | None] = []
        for k in range(int(alarm.evaluation_periods)):
            end = latest - k * period
            found = moto_link.statistic(self.account_id, self.region, alarm, end - period, end)
            points.append(None if found is None else Datapoint(end - period, *found))
        return points
