"""The learning layer: exercises with check(), hint() and solution()."""

from .exercise import Exercise, Incorrect, ____, call_learner, learner_error

__all__ = ["Exercise", "Incorrect", "____", "call_learner", "learner_error"]
