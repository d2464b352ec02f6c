"""An execution environment's lifecycle: the states it goes through, and the transitions it refuses."""

import threading

import pytest
from tests.support import invoke_json, make_spec, wait_until

from helpers.engine import environment
from helpers.engine.lifecycle import TRANSITIONS, IllegalTransition, Lifecycle, State

OK = "def handler(event, context):\n    return 'ok'\n"


@pytest.fixture
def journeys(monkeypatch):
    """The states each environment's lifecycle went through, in order, one list per environment."""
    seen: dict[int, list[State]] = {}
    lock = threading.Lock()
    real_move, real_stop = Lifecycle.move, Lifecycle.stop

    def record(lifecycle: Lifecycle) -> None:
        with lock:
            seen.setdefault(id(lifecycle), [State.STARTING]).append(lifecycle.state)

    def move(self, to, *, expect=None):
        moved = real_move(self, to, expect=expect)
        if moved:
            record(self)
        return moved

    def stop(self):
        stopped = real_stop(self)
        if stopped:
            record(self)
        return stopped

    monkeypatch.setattr(Lifecycle, "move", move)
    monkeypatch.setattr(Lifecycle, "stop", stop)

    def journeys() -> list[list[State]]:
        with lock:
            return [list(states) for states in seen.values()]

    return journeys


def test_an_illegal_transition_raises():
    lifecycle = Lifecycle()
    with pytest.raises(IllegalTransition, match="from starting to idle"):
        lifecycle.move(State.IDLE)
    assert lifecycle.state is State.STARTING  # unchanged
    for to in (State.INITIALIZING, State.IDLE, State.STOPPING, State.ENDED):
        lifecycle.move(to)
    for to in State:
        with pytest.raises(IllegalTransition):
            lifecycle.move(to)  # nothing leaves ENDED


def test_a_move_from_an_expected_state_is_skipped_elsewhere():
    lifecycle = Lifecycle()
    assert lifecycle.move(State.IDLE, expect=State.INITIALIZING) is False
    assert lifecycle.move(State.INITIALIZING, expect=State.STARTING) is True
    assert lifecycle.stop() is True and lifecycle.stop() is False  # stopping twice is one stop
    assert lifecycle.state is State.STOPPING


def test_every_state_but_ended_can_stop_and_every_state_is_reachable():
    reachable = {State.STARTING} | {to for targets in TRANSITIONS.values() for to in targets}
    assert reachable == set(State)
    assert all(State.STOPPING in TRANSITIONS[state] for state in State if state not in (State.STOPPING, State.ENDED))


def test_a_cold_then_a_warm_invocation(engine, journeys):
    spec = make_spec(OK)
    cold, _ = invoke_json(engine, spec)
    assert [info.state for info in engine.environments()] == [State.IDLE]
    warm, _ = invoke_json(engine, spec)
    assert (cold.cold_start, warm.cold_start) == (True, False)
    assert journeys() == [[State.STARTING, State.INITIALIZING, State.BUSY, State.IDLE, State.BUSY, State.IDLE]]


def test_a_timeout(engine, journeys):
    spec = make_spec("import time\ndef handler(event, context):\n    time.sleep(30)\n", timeout=1)
    result, error = invoke_json(engine, spec)
    assert error["errorType"] == "Sandbox.Timedout"
    assert engine.environments() == []
    assert journeys() == [[State.STARTING, State.INITIALIZING, State.BUSY, State.STOPPING, State.ENDED]]


def test_a_crash_after_a_warm_invocation(engine, journeys):
    spec = make_spec("import os\ndef handler(event, context):\n    if event.get('crash'):\n        os._exit(1)\n"
                     "    return 'ok'\n")
    invoke_json(engine, spec)
    result, error = invoke_json(engine, spec, {"crash": True})
    assert error["errorType"] == "Runtime.ExitError"
    assert journeys() == [[State.STARTING, State.INITIALIZING, State.BUSY, State.IDLE, State.BUSY, State.STOPPING,
                           State.ENDED]]


def test_an_init_failure(engine, journeys):
    result, error = invoke_json(engine, make_spec("raise ValueError('at import')\n"))
    assert error["errorType"] == "ValueError"
    assert journeys() == [[State.STARTING, State.INITIALIZING, State.STOPPING, State.ENDED]]


def test_a_provisioned_environment_is_idle_once_initialized(engine, journeys):
    spec = make_spec(OK, version="1")
    engine.put_provisioned_concurrency(spec, 1)
    wait_until(lambda: [info.state for info in engine.environments()] == [State.IDLE])
    assert not invoke_json(engine, spec)[0].cold_start
    engine.delete_provisioned_concurrency(spec)
    wait_until(lambda: journeys()[0][-1] is State.ENDED)
    assert journeys() == [[State.STARTING, State.INITIALIZING, State.IDLE, State.BUSY, State.IDLE, State.STOPPING,
                           State.ENDED]]


def test_an_init_phase_over_its_limit(engine, journeys, monkeypatch):
    monkeypatch.setattr(environment, "INIT_TIMEOUT", 1.0)
    result, error = invoke_json(engine, make_spec("import time\ntime.sleep(30)\n" + OK, timeout=3))
    assert (error["errorType"], result.cold_start) == ("Sandbox.Timedout", True)
    assert engine.environments() == []
    assert journeys() == [[State.STARTING, State.INITIALIZING, State.STOPPING, State.ENDED]]
