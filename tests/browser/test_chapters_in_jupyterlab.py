"""Every chapter as a learner sees it in JupyterLab: Run All, diagrams, plots, widgets that answer a click."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lab_support import ROOT, screenshot_on_failure

CHAPTERS = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# A chapter runs in under 30 s in a kernel of its own; the browser, and a busy CI machine, get room on top.
RUN_ALL_TIMEOUT_S = 240
OPEN_TIMEOUT_S = 90
# Chapters whose page later tests in this module use again; the others are closed after their Run All.
KEPT_OPEN = {"01_concepts.ipynb", "06_cold_starts.ipynb", "08_security_and_limits.ipynb"}

# The notebook's code cells as JupyterLab's model holds them after the run.
_CELLS_JS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  return Array.from({length: cells.length}, (_, i) => cells.get(i)).map((cell, index) => ({
    index, type: cell.type, tags: cell.getMetadata('tags') || [],
    count: cell.type === 'code' ? cell.executionCount : null,
    outputs: cell.type === 'code' ? cell.outputs.toJSON().map(o => ({
      type: o.output_type, name: o.name || null, ename: o.ename || null, evalue: o.evalue || null,
      text: o.output_type === 'stream' ? [].concat(o.text).join('') : null,
      mimes: Object.keys(o.data || {}),
    })) : [],
  }));
}"""
_READY_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!(panel && panel.context && panel.context.isReady && panel.content.widgets.length && kernel && kernel.status === 'idle');
}"""
# Done: the kernel idle, no cell waiting ([*]), and every code cell run, or a cell stopped the run with an error
# it was not tagged to raise.
_DONE_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const waiting = cells.some(c => (c.node.querySelector('.jp-InputPrompt') || {}).textContent.includes('*'));
  const ran = cells.filter(c => c.model.executionCount !== null).length;
  const stopped = cells.some(c => !(c.model.getMetadata('tags') || []).includes('raises-exception')
                                  && c.model.outputs.toJSON().some(o => o.output_type === 'error'));
  return panel.sessionContext.session.kernel.status === 'idle' && !waiting && ran > 0 && (ran === cells.length || stopped);
}"""


@dataclass
class ChapterRun:
    """A chapter's notebook after Run All: its tab in the page, how long the run took, its code cells' outputs."""

    name: str
    page: object
    panel_id: str
    seconds: float
    cells: list[dict] = field(default_factory=list)
    open: bool = True

    def cell(self, index: int):
        """The page's element for notebook cell `index`."""
        return self.page.locator(f'[id="{self.panel_id}"] .jp-Notebook-cell').nth(index)


class ChapterRunner:
    """One JupyterLab page; opens each chapter in a tab of it, runs it all once, keeps the result."""

    def __init__(self, browser, lab, run_dir: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(30_000)
        self.lab, self.run_dir = lab, run_dir
        self.runs: dict[str, ChapterRun] = {}
        self.timings: dict[str, float] = {}
        self.page = self.current = self.context.new_page()
        # A workspace of its own, reset: the page starts with no notebook open.
        self.page.goto(lab.url("/lab/workspaces/browser-run?reset"))
        self.page.wait_for_function("() => !!window.jupyterapp", timeout=OPEN_TIMEOUT_S * 1000)
        self.page.evaluate("async () => { await window.jupyterapp.restored; }")

    def open(self, name: str) -> str:
        """Open chapter `name` in a new tab as File → Open does; returns the tab's id once its kernel is idle."""
        panel_id = self.page.evaluate(
            "async path => (await window.jupyterapp.commands.execute('docmanager:open', {path})).id", f"notebooks/{name}")
        self.activate(panel_id)
        self.page.wait_for_function(_READY_JS, timeout=OPEN_TIMEOUT_S * 1000, polling=250)
        return panel_id

    def activate(self, panel_id: str) -> None:
        """Bring a chapter's tab to the front."""
        self.current = self.page
        self.page.evaluate("id => window.jupyterapp.shell.activateById(id)", panel_id)

    def run(self, name: str) -> ChapterRun:
        """Chapter `name` run with Run → Run All Cells (once per test session), its tab in front."""
        if name in self.runs and self.runs[name].open:
            self.activate(self.runs[name].panel_id)
            return self.runs[name]
        panel_id = self.open(name)
        page = self.page
        # Committed outputs and counts go first, so that what the test reads afterwards comes from this run.
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        started = time.monotonic()
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
        page.wait_for_function(_DONE_JS, timeout=RUN_ALL_TIMEOUT_S * 1000, polling=250)
        seconds = time.monotonic() - started
        self.timings[name] = round(seconds, 1)
        page.screenshot(path=str(self.run_dir / f"{Path(name).stem}.png"))
        self.runs[name] = ChapterRun(name, page, panel_id, seconds, page.evaluate(_CELLS_JS))
        return self.runs[name]

    def release(self, name: str) -> None:
        """Shut a chapter's kernel down and close its tab (unsaved: the committed notebook stays as it is)."""
        run = self.runs.get(name)
        if run is None or not run.open:
            return
        self.page.evaluate("""async id => {
          const panel = [...window.jupyterapp.shell.widgets('main')].find(w => w.id === id);
          if (panel) { await panel.sessionContext.shutdown(); panel.dispose(); }
        }""", run.panel_id)
        run.open = False

    def close(self) -> None:
        """Shut down every kernel and close the browser context."""
        for name in list(self.runs):
            self.release(name)
        self.context.close()


@pytest.fixture(scope="module")
def chapters(chromium, jupyterlab, run_dir):
    started = time.monotonic()
    runner = ChapterRunner(chromium, jupyterlab, run_dir)
    try:
        yield runner
    finally:
        runner.close()
        (run_dir / "timings.json").write_text(json.dumps({
            "run_all_seconds": runner.timings,
            "browser_run_wall_seconds": round(time.monotonic() - started, 1),
        }, indent=2) + "\n")


@pytest.fixture
def shot(request, chapters, run_dir):
    """Screenshot of the page in use when the test fails."""
    yield
    if chapters.current is not None:
        screenshot_on_failure(request, chapters.current, run_dir)


def shut_down(page) -> None:
    """Shut down the kernel of the page's notebook, then close the page."""
    page.evaluate("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.shutdown()")
    page.close()


def mermaid_fences(name: str) -> int:
    """How many ```mermaid diagrams the chapter's Markdown cells hold."""
    notebook = json.loads((ROOT / "notebooks" / name).read_text())
    return sum("".join(c["source"]).count("```mermaid") for c in notebook["cells"] if c["cell_type"] == "markdown")


def committed_plots(name: str) -> list[int]:
    """Indexes of the code cells whose committed outputs hold a plot (a PNG or SVG, not a widget)."""
    notebook = json.loads((ROOT / "notebooks" / name).read_text())
    return [i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code" and any(
        {"image/png", "image/svg+xml"} & o.get("data", {}).keys() for o in c.get("outputs", []))]


def covering(page) -> list[str]:
    """Dialogs and notifications shown over the notebook."""
    return page.locator(".jp-Dialog, .Toastify__toast").all_inner_texts()


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_chapter_runs_all_in_jupyterlab(chapters, shot, name):
    run = chapters.run(name)
    code = [c for c in run.cells if c["type"] == "code"]
    # An error first: it is what stopped Run All, if anything did.
    unexpected = [(c["index"], o["ename"], o["evalue"]) for c in code for o in c["outputs"]
                  if o["type"] == "error" and "raises-exception" not in c["tags"]]
    assert unexpected == []
    assert [c["index"] for c in code if c["count"] is None] == [], "cells Run All did not reach"
    tracebacks = [c["index"] for c in code for o in c["outputs"] if o["name"] == "stderr" and "Traceback" in o["text"]]
    assert tracebacks == [], "a traceback written to stderr (a thread or a library failed)"
    notebook = run.page.locator(f'[id="{run.panel_id}"] .jp-Notebook')
    assert "Error displaying widget" not in notebook.inner_text()
    # JupyterLab draws each ```mermaid block as an SVG image; a syntax error would show the source and a warning.
    diagrams = notebook.locator(".jp-RenderedMermaid img").evaluate_all(
        "images => images.filter(i => i.src.startsWith('data:image/svg+xml') && i.complete && i.naturalWidth > 0).length")
    assert diagrams >= mermaid_fences(name)
    assert covering(run.page) == []
    if name not in KEPT_OPEN:
        chapters.release(name)


def test_the_first_view_is_chapter_00_with_nothing_covering_it(chapters, shot):
    page = chapters.context.new_page()
    chapters.current = page
    try:
        # Opened without a path, as Binder opens it: the server's default URL is chapter 00.
        page.goto(chapters.lab.url("/"))
        page.wait_for_function(_READY_JS, timeout=OPEN_TIMEOUT_S * 1000, polling=250)
        assert page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path") == "notebooks/00_start_here.ipynb"
        # JupyterLab asks about news a moment after start; give it the time it takes.
        page.wait_for_timeout(3000)
        assert covering(page) == []
        page.screenshot(path=str(chapters.run_dir / "first-view.png"))
    finally:
        shut_down(page)


def cell_source(name: str, index: int) -> str:
    """The committed source of a notebook cell."""
    return "".join(json.loads((ROOT / "notebooks" / name).read_text())["cells"][index]["source"])


def cell_index(name: str, text: str) -> int:
    """The index of the first code cell whose source contains `text`."""
    cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
    return next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and text in "".join(c["source"]))


def readout(cell, label: str):
    """The editable readout of the slider called `label`."""
    return cell.locator(".widget-slider", has=cell.page.locator(".widget-label", has_text=label)).locator(".widget-readout")


def type_into(field, text: str) -> None:
    field.click()
    field.press("Control+A")
    field.type(text)
    field.press("Enter")


def test_the_cost_calculator_answers_its_sliders(chapters, shot):
    from helpers.widgets.cost_calculator import CostCalculator

    name = "01_concepts.ipynb"
    run = chapters.run(name)
    cell = run.cell(cell_index(name, "calculator = cost_calculator()"))
    total_row = cell.locator("tr", has_text="Lambda + API Gateway").locator("td").last
    before = total_row.inner_text()
    type_into(readout(cell, "Requests per month"), "5000000")
    type_into(readout(cell, "Memory (MB)"), "1024")
    cell.locator("button", has_text="arm64").click()
    # The log slider snaps to its step: read the number of requests it settled on.
    requests = int(readout(cell, "Requests per month").inner_text().replace(",", ""))
    assert 4_900_000 <= requests <= 5_100_000
    expected = CostCalculator(plot=False)
    for control, value in (("requests", requests), ("memory_mb", 1024), ("architecture", "arm64")):
        expected.controls[control].value = value
    total = f"${expected.breakdown().total:,.2f}"
    assert total != before
    expect(total_row).to_have_text(total)


def test_a_quiz_answers_right_and_wrong(chapters, shot):
    name = "01_concepts.ipynb"
    index = cell_index(name, "quiz = Quiz(")
    namespace: dict = {}
    exec(cell_source(name, index).replace("quiz.show()", ""), namespace)
    quiz = namespace["quiz"]
    first, second = quiz.questions[:2]
    wrong = next(i for i in range(len(second.choices)) if i != second.answer)
    run = chapters.run(name)
    cell = run.cell(index)
    cell.get_by_label(first.choices[first.answer], exact=True).check()
    cell.get_by_label(second.choices[wrong], exact=True).check()
    cell.locator("button", has_text="Check my answers").click()
    score, feedback = quiz.grade({1: first.answer, 2: wrong})
    result = cell.locator(".widget-html", has_text=f"{score} / {len(quiz.questions)}")
    expect(result).to_be_visible()
    text = result.inner_text()
    assert feedback[0].startswith("1. right") and feedback[0] in text
    assert feedback[1].startswith("2. not quite") and feedback[1] in text


@pytest.mark.parametrize("name", ["06_cold_starts.ipynb", "08_security_and_limits.ipynb"])
def test_plots_are_displayed(chapters, shot, name):
    plots = committed_plots(name)
    assert plots, f"{name} commits no plot to look for"
    run = chapters.run(name)
    for index in plots:
        assert {"image/png", "image/svg+xml"} & {m for o in run.cells[index]["outputs"] for m in o["mimes"]}, index
        drawn = run.cell(index).locator(".jp-OutputArea-output").evaluate_all(
            "nodes => nodes.some(n => [...n.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 100)"
            " || [...n.querySelectorAll('svg')].some(s => s.getBoundingClientRect().width > 100))")
        assert drawn, f"cell {index} of {name}: no plot drawn"
