"""The execution environments of one function version, and which of them an invocation may take."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lifecycle import ON_DEMAND, PROVISIONED, State
from .spec import FunctionSpec

if TYPE_CHECKING:
    from .environment import ExecutionEnvironment


def held(env: ExecutionEnvironment) -> bool:
    """Whether an invocation holds the environment: running on it, or waiting for the init started for it."""
    return env.state is State.BUSY or (env.init_type == ON_DEMAND and env.state in (State.STARTING,
                                                                                      State.INITIALIZING))


class Pool:
    """The environments of one function version, all built from its current spec (or retiring)."""

    def __init__(self, spec: FunctionSpec):
        self.spec = spec
        self.environments: list[ExecutionEnvironment] = []
        self.provisioned = 0
        self.provisioned_failure: str | None = None

    def take_idle(self) -> ExecutionEnvironment | None:
        """A warm environment: provisioned ones first, then the most recently used, so extras idle out."""
        idle = [env for env in self.environments if env.state is State.IDLE and not env.retiring]
        provisioned = [env for env in idle if env.init_type == PROVISIONED]
        if provisioned:
            return provisioned[0]
        return max(idle, key=lambda env: env.idle_since, default=None)

    def live_provisioned(self) -> list[ExecutionEnvironment]:
        return [env for env in self.environments if env.init_type == PROVISIONED and not env.retiring and env.alive]
