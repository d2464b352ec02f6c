"""Interactive widgets for the notebooks; their logic is in plain modules so tests can drive them."""

from .cold_start_explorer import cold_start_explorer
from .cost_calculator import cost_calculator

__all__ = ["cold_start_explorer", "cost_calculator"]
