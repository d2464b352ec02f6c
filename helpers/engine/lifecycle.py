"""An execution environment's lifecycle: its states and the transitions Lambda allows between them."""

import enum
import threading

# How an environment came to be (AWS_LAMBDA_INITIALIZATION_TYPE): for an invocation, or ahead of them.
ON_DEMAND = "on-demand"
PROVISIONED = "provisioned-concurrency"


class State(enum.StrEnum):
    """Where an execution environment is in its life."""

    STARTING = "starting"  # the worker process is being spawned
    INITIALIZING = "initializing"  # the init phase: the runtime imports the handler's module
    IDLE = "idle"  # warm, waiting for an invocation
    BUSY = "busy"  # running an invocation
    STOPPING = "stopping"  # killed, retired or crashed: the worker is being reaped
    ENDED = "ended"  # reaped; the engine has forgotten it


# A provisioned environment becomes IDLE when its init ends; an on-demand one was started for an
# invocation, which it runs as soon as its init ends (INITIALIZING → BUSY).
TRANSITIONS = {
    State.STARTING: {State.INITIALIZING, State.STOPPING},
    State.INITIALIZING: {State.IDLE, State.BUSY, State.STOPPING},
    State.IDLE: {State.BUSY, State.STOPPING},
    State.BUSY: {State.IDLE, State.STOPPING},
    State.STOPPING: {State.ENDED},
    State.ENDED: set(),
}


class IllegalTransition(RuntimeError):
    """A move between two states the lifecycle does not connect: a bug in the engine, never a user's error."""


class Lifecycle:
    """The state of one environment, changed only along TRANSITIONS, under one lock."""

    def __init__(self) -> None:
        self._state = State.STARTING
        self._changed = threading.Condition()

    @property
    def state(self) -> State:
        return self._state

    def move(self, to: State, *, expect: State | None = None) -> bool:
        """Go to `to`; with `expect`, only from that state (False when elsewhere). Raises IllegalTransition."""
        with self._changed:
            if expect is not None and self._state is not expect:
                return False
            if to not in TRANSITIONS[self._state]:
                raise IllegalTransition(f"an execution environment cannot go from {self._state} to {to}")
            self._state = to
            self._changed.notify_all()
            return True

    def stop(self) -> bool:
        """Go to STOPPING unless already stopping or ended: whether this call did it."""
        with self._changed:
            if self._state in (State.STOPPING, State.ENDED):
                return False
            self._state = State.STOPPING
            self._changed.notify_all()
            return True

    def wait_for(self, state: State, timeout: float | None = None) -> bool:
        """Wait until the environment is in `state`; False when `timeout` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._state is state, timeout)
