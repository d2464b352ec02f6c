"""What the checker tests share: a checker's printed verdict, and the namespace a reference solution leaves."""

from __future__ import annotations

from typing import Any


def verdict(exercise: Any, namespace: dict[str, Any], capsys: Any) -> str:
    """What `exercise.check(namespace)` printed."""
    exercise.check(namespace)
    return capsys.readouterr().out.strip()


def solved(exercise: Any, **names: Any) -> dict[str, Any]:
    """The names defined by running the exercise's reference solution in a namespace holding `names`."""
    namespace = dict(names)
    exec(exercise.solution_code, namespace)
    return namespace
