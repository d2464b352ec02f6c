"""Interactive widgets for the notebooks; their logic is in plain modules so tests can drive them."""

from .cost_calculator import cost_calculator

__all__ = ["cost_calculator"]
