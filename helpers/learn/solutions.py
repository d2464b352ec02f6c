"""Write a solutions copy of each notebook: exercise cells filled in with the reference solutions, then run.

A notebook declares its exercises module in its metadata
(`"serverless_api_lab": {"exercises": "helpers.learn.chapter02"}`); a cell
tagged `exercise:q1` is replaced by the solution of exercise `q1` in that module.

    python -m helpers.learn.solutions notebooks solutions
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import nbformat

TAG_PREFIX = "exercise:"


def fill_in(notebook: nbformat.NotebookNode) -> int:
    """Replace each exercise cell's source with its solution; returns how many were filled."""
    module_name = notebook.metadata.get("serverless_api_lab", {}).get("exercises")
    if not module_name:
        return 0
    module = importlib.import_module(module_name)
    filled = 0
    for cell in notebook.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith(TAG_PREFIX):
                exercise = getattr(module, tag[len(TAG_PREFIX):])
                cell.source = exercise.solution_code.rstrip()
                cell.outputs = []
                filled += 1
    return filled


def write_solutions(source_dir: Path, target_dir: Path, *, execute: bool = True, run_in: Path | None = None) -> list[Path]:
    """Write (and run, in `run_in` or `source_dir`) a solutions copy of every notebook with exercises; returns the paths written."""
    from nbclient import NotebookClient

    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    # The notebooks' folder is their kernel's working directory, so modules
    # beside them are importable there; make them importable here too.
    sys.path.insert(0, str(source_dir.resolve()))
    try:
        notebooks = [(path, nbformat.read(path, as_version=4)) for path in sorted(source_dir.glob("*.ipynb"))]
        notebooks = [(path, nb) for path, nb in notebooks if fill_in(nb)]
    finally:
        sys.path.remove(str(source_dir.resolve()))
    for path, notebook in notebooks:
        if execute:
            NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(run_in or source_dir)}}).execute()
        out = target_dir / path.name
        nbformat.write(notebook, out)
        written.append(out)
    return written


def main(argv: list[str]) -> int:
    source, target = (Path(a) for a in (argv[1:3] if len(argv) >= 3 else ("notebooks", "solutions")))
    for path in write_solutions(source, target):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
