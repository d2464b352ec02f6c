"""A chapter survives "Run All" twice in one kernel: no error, and the second run prints what the first did."""

from __future__ import annotations

import configparser
import copy
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _sanitizer() -> list[tuple[re.Pattern[str], str]]:
    # The same rules nbval applies: what differs between two sandboxes (ports, ids, times) is left out.
    config = configparser.ConfigParser(interpolation=None)
    config.read(Path(__file__).with_name("sanitize.cfg"))
    return [(re.compile(config[name]["regex"]), config[name]["replace"]) for name in config.sections()]


SANITIZER = _sanitizer()


def printed(cell) -> str:
    """A cell's text output, sanitized as nbval does (ports, ids and times are new for every sandbox)."""
    text = "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)
    for pattern, replacement in SANITIZER:
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.parametrize("name", ["00_start_here.ipynb", "07_monitoring_and_debugging.ipynb"])
def test_run_all_twice_in_one_kernel(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    twice = copy.deepcopy(notebook)
    twice.cells = copy.deepcopy(code) + copy.deepcopy(code)
    # Raises on the first error outside a cell tagged raises-exception.
    NotebookClient(twice, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    first, second = twice.cells[:len(code)], twice.cells[len(code):]
    # INIT_START's runtime-version hash and durations do not vary between two runs on one machine.
    assert [printed(c) for c in second] == [printed(c) for c in first]
