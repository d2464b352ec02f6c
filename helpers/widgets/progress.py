"""A progress bar under the running cell for work that takes seconds: an ipywidgets IntProgress, closed when done."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def _in_a_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def progress(items: Iterable[T], description: str = "") -> Iterator[T]:
    """Yield each item while a bar under the cell counts the finished ones; the bar closes when the loop ends."""
    items = list(items)
    if not _in_a_kernel():  # plain Python (scripts, tests): no frontend to draw a bar
        yield from items
        return
    import ipywidgets as widgets
    from IPython.display import display

    bar = widgets.IntProgress(value=0, max=len(items), description=description)
    display(bar)
    try:
        for item in items:
            yield item
            bar.value += 1
    finally:
        # Closing removes the bar from the page; the saved notebook keeps only the bar's text form at 0,
        # so a re-run writes the same output.
        bar.close()
