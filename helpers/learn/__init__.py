"""The learning layer: exercises with check(), hint() and solution()."""

from .exercise import Exercise, Incorrect, ____

__all__ = ["Exercise", "Incorrect", "____"]
