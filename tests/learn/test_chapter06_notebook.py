"""Chapter 06 survives "Run All" twice in one kernel, the second time through Start over: no error, and the same output."""

from __future__ import annotations

import configparser
import copy
import re

import nbformat
from nbclient import NotebookClient

from tests.support import ROOT

CHAPTER = ROOT / "notebooks" / "06_cold_starts.ipynb"


def sanitizer() -> list[tuple[re.Pattern, str]]:
    """The regex/replace pairs nbval applies (tests/sanitize.cfg)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "sanitize.cfg")
    return [(re.compile(section["regex"]), section["replace"]) for section in config.values() if "regex" in section]


def printed(cell, rules) -> str:
    """A cell's text output as nbval compares it; timing cells (NBVAL_IGNORE_OUTPUT) say nothing."""
    if "NBVAL_IGNORE_OUTPUT" in cell.source:
        return ""
    text = "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs
                   if o.get("name") != "stderr")
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def test_run_all_twice_in_one_kernel():
    notebook = nbformat.read(CHAPTER, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    twice = copy.deepcopy(notebook)
    twice.cells = copy.deepcopy(code) + copy.deepcopy(code)
    start_over = next(i for i, cell in enumerate(code) if cell.source.startswith("START_OVER = False"))
    twice.cells[len(code) + start_over].source = code[start_over].source.replace("START_OVER = False", "START_OVER = True")
    # Raises on the first error outside a cell tagged raises-exception.
    NotebookClient(twice, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()
    rules = sanitizer()
    first, second = twice.cells[:len(code)], twice.cells[len(code):]
    assert printed(second[start_over], rules).startswith("an empty sandbox: <Sandbox running at http://127.0.0.1:PORT")
    del first[start_over], second[start_over]
    assert [printed(c, rules) for c in second] == [printed(c, rules) for c in first]
    # The run printed what matters, not only blanks.
    assert any("0 cold starts" in printed(c, rules) for c in second)
