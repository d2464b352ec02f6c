"""Progress bars for cells that take seconds: shown while the work runs, closed or hidden when it is done."""

from __future__ import annotations

import IPython.display
import pytest

import helpers.widgets.progress as progress_module
from helpers.cold_start_scenarios import STEPS, ScenarioResult
from helpers.widgets.cold_start_explorer import ColdStartExplorer
from helpers.widgets.progress import progress


def test_outside_a_kernel_the_items_pass_through_and_nothing_is_shown(capsys):
    assert list(progress(iter("abc"), "Letters")) == ["a", "b", "c"]
    assert capsys.readouterr() == ("", "")


@pytest.fixture
def shown(monkeypatch):
    """What progress() displays, as if it ran in a kernel."""
    displayed = []
    monkeypatch.setattr(progress_module, "_in_a_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", displayed.append)
    return displayed


def test_in_a_kernel_a_bar_counts_the_finished_items_then_closes(shown):
    seen = []
    for item in progress(["a", "b", "c"], "Letters"):
        bar = shown[0]
        seen.append((item, bar.value, bar.max, bar.description))
    assert seen == [("a", 0, 3, "Letters"), ("b", 1, 3, "Letters"), ("c", 2, 3, "Letters")]
    assert shown[0].comm is None, "the bar is still open after the loop"


def test_the_bar_closes_when_the_loop_fails(shown):
    with pytest.raises(RuntimeError):
        for _ in progress(range(5)):
            raise RuntimeError("the work failed")
    assert shown[0].comm is None


class StepRunner:
    """A scenario runner that reports each step and records what the explorer's bar showed at it."""

    def __init__(self) -> None:
        self.seen = []
        self.explorer = None

    def run(self, scenario, concurrency):
        for step in STEPS:
            self.on_step(step)
            bar = self.explorer.progress
            self.seen.append((bar.description, bar.value, bar.layout.display))
        return ScenarioResult(scenario, [])


def test_the_cold_start_explorer_shows_its_steps_while_it_runs_and_hides_the_bar_after():
    runner = StepRunner()
    explorer = runner.explorer = ColdStartExplorer(runner, plot=False)
    assert explorer.progress.layout.display == "none"
    explorer.run()
    assert runner.seen == [(step, n, None) for n, step in enumerate(STEPS)]
    assert explorer.progress.layout.display == "none"
