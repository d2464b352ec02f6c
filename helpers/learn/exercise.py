"""Exercises in the learntools style: a `____` placeholder, then check(), hint() and solution()."""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Callable

_HELPERS = str(Path(__file__).resolve().parent.parent)
# Files a learner did not write: the course's helpers, the standard library, installed packages.
_NOT_LEARNER_CODE = tuple({_HELPERS, sys.prefix, sys.base_prefix, sys.exec_prefix, "<frozen "})


class _Placeholder:
    """The blank a learner replaces with an answer."""

    def __repr__(self) -> str:
        return "____"


____ = _Placeholder()


class Incorrect(Exception):
    """Raised by a checker with the message the learner should read."""


def learner_error(error: BaseException, who: str = "your code", why: str | None = None) -> str:
    """The learner's exception in their terms: 'your handler raised AttributeError: … — why'."""
    message = f"{who} raised {type(error).__name__}: {error}"
    return f"{message} — {why}" if why else message


def call_learner(function: Callable[..., Any], *args: Any, who: str = "your code",
                 why: Callable[[BaseException], str | None] = lambda error: None) -> Any:
    """Call the learner's function; what it raises becomes Incorrect, explained by `why(error)`."""
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - whatever learner code raises is the learner's answer
        raise Incorrect(learner_error(error, who, why(error))) from None


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
            if _raised_in_learner_code(error.__traceback__):
                _say("Incorrect", learner_error(error) + ".")
            else:
                _say("Incorrect", f"the checker itself failed ({type(error).__name__}: {error}); "
                                  "that is a bug in this course, not in your answer — please report it.")
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


def _raised_in_learner_code(traceback: TracebackType | None) -> bool:
    # A frame in a file outside the helpers, the standard library and the
    # installed packages is the learner's: a notebook cell or their module.
    while traceback is not None:
        if not traceback.tb_frame.f_code.co_filename.startswith(_NOT_LEARNER_CODE):
            return True
        traceback = traceback.tb_next
    return False


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
