"""Exercises in the learntools style: a `____` placeholder, then check(), hint() and solution()."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable


class _Placeholder:
    """The blank a learner replaces with an answer."""

    def __repr__(self) -> str:
        return "____"


____ = _Placeholder()


class Incorrect(Exception):
    """Raised by a checker with the message the learner should read."""


@dataclass
class Exercise:
    """One exercise: the variables it reads, a checker, a hint and the reference solution."""

    name: str
    variables: tuple[str, ...]
    checker: Callable[..., str | None]  # raises Incorrect(message); may return a "well done" remark
    hint_text: str
    solution_code: str

    def check(self, namespace: dict[str, Any] | None = None) -> None:
        """Say Correct, Incorrect (with why) or Not attempted; never raises."""
        namespace = namespace if namespace is not None else _caller_namespace()
        missing = [v for v in self.variables if v not in namespace or namespace[v] is ____]
        if missing:
            _say("Not attempted", f"fill in `{missing[0]}` in the cell above, run it, then run this cell again.")
            return
        try:
            remark = self.checker(**{v: namespace[v] for v in self.variables})
        except Incorrect as wrong:
            _say("Incorrect", str(wrong))
            return
        except Exception as error:  # noqa: BLE001 - a checker must never stop the notebook
            _say("Incorrect", f"checking your answer raised {type(error).__name__}: {error}")
            return
        _say("Correct", remark or "well done.")

    def hint(self) -> None:
        """Print a hint."""
        print(f"Hint ({self.name}): {self.hint_text}")

    def solution(self) -> None:
        """Print the reference solution."""
        print(f"Solution ({self.name}):\n{self.solution_code.rstrip()}")


def _say(verdict: str, message: str) -> None:
    print(f"{verdict}: {message}")


def _caller_namespace() -> dict[str, Any]:
    # In a notebook the learner's variables live in IPython's user namespace;
    # elsewhere (a script, a test) in the globals of whoever called check().
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return shell.user_ns
    frame = inspect.currentframe()
    for _ in range(2):  # from _caller_namespace, past check(), to its caller
        frame = frame.f_back if frame is not None else None
    return frame.f_globals if frame is not None else {}
