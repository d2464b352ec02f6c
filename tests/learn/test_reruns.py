"""Chapters 01–04 survive Run All twice in one kernel, any cell run twice, and Start over."""

from __future__ import annotations

import configparser
import copy
import re

import boto3
import nbformat
import pytest
from botocore.exceptions import ClientError
from nbclient import NotebookClient

from helpers.learn.reruns import NOTE, rerun_note, start_over
from tests.support import ROOT

CHAPTERS = sorted((ROOT / "notebooks").glob("0[1-4]_*.ipynb"))
RERUN_HINT = NOTE.split(":", 1)[1].split(",")[0].strip()  # "this cell has probably run before"


def sanitized(text: str) -> str:
    """The text as nbval compares it (tests/sanitize.cfg)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tests" / "sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"].strip(), text)
    return text


def text_of(outputs) -> str:
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def errors_in(outputs) -> list[str]:
    return [f"{o['ename']}: {o['evalue']}" for o in outputs if o.get("output_type") == "error"]


def run_cell(client: NotebookClient, cell, index: int, source: str | None = None):
    cell = copy.deepcopy(cell)
    if source is not None:
        cell.source = source
    return client.execute_cell(cell, index).outputs


def code_cells(notebook) -> list[tuple[int, nbformat.NotebookNode]]:
    return [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code"]


def client_for(notebook) -> NotebookClient:
    return NotebookClient(notebook, timeout=120, allow_errors=True, resources={"metadata": {"path": str(ROOT / "notebooks")}})


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_run_all_twice_in_one_kernel(path):
    notebook = nbformat.read(path, as_version=4)
    client = client_for(notebook)
    passes = []
    with client.setup_kernel():
        for _ in range(2):
            outputs = [run_cell(client, cell, i) for i, cell in code_cells(notebook)]
            assert not [e for o in outputs for e in errors_in(o)], f"{path.name}: a cell failed on this pass"
            passes.append(outputs)
    # The cleanup cell lists what it removed: the same list twice, so the second pass made no duplicates.
    assert sanitized(text_of(passes[1][-1])) == sanitized(text_of(passes[0][-1]))
    assert text_of(passes[0][-1]).startswith("[")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_cell_run_twice_and_start_over(path):
    notebook = nbformat.read(path, as_version=4)
    client = client_for(notebook)
    cells = code_cells(notebook)
    refused = []
    with client.setup_kernel():
        for i, cell in cells[:-1]:  # the cleanup cell stops the sandbox; it is run once, below
            first = run_cell(client, cell, i)
            assert not errors_in(first), f"{path.name} cell {i}: {errors_in(first)}"
            again = cell.source.replace("START_OVER = False", "START_OVER = True")
            second = run_cell(client, cell, i, again)
            if errors_in(second):  # AWS refused to create something twice: the learner is told how to go on
                assert RERUN_HINT in text_of(second), f"{path.name} cell {i} re-run: {errors_in(second)} without a note"
                refused += errors_in(second)
        last, cleanup_cell = cells[-1]
        cleanup = run_cell(client, cleanup_cell, last)
    assert not errors_in(cleanup)
    assert refused, "every chapter creates something a second run is refused"
    assert all(re.search(r"\((ResourceConflictException|EntityAlreadyExists|ConflictException)\)", e) for e in refused), refused
    removed = text_of(cleanup)
    # One REST API of each name, whatever was run twice.
    apis = re.findall(r"'REST API ([^']+)'", removed)
    assert len(apis) == len(set(apis)), removed


def test_rerun_note_only_for_already_exists():
    exists = ClientError({"Error": {"Code": "ResourceConflictException", "Message": "Function already exist: greeter"}}, "CreateFunction")
    assert rerun_note(exists) == NOTE.format(code="ResourceConflictException")
    stack = ClientError({"Error": {"Code": "AlreadyExistsException", "Message": "Stack [notes-api] already exists"}}, "CreateStack")
    assert rerun_note(stack) == NOTE.format(code="AlreadyExistsException")
    assert rerun_note(ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole")) is None
    assert rerun_note(ValueError("not from AWS")) is None


def test_start_over_stops_the_sandbox_and_remakes_the_clients(no_leaks):
    from helpers import sandbox

    namespace = {"lab": sandbox.start(), "name": "kept"}
    namespace["lambda_client"] = boto3.client("lambda")
    old_lab, old_client = namespace["lab"], namespace["lambda_client"]
    new_lab = start_over(namespace)
    try:
        assert not old_lab.running and new_lab.running and new_lab.region == old_lab.region
        assert namespace["lambda_client"] is not old_client
        assert namespace["lambda_client"].meta.endpoint_url == new_lab.endpoint_url
        assert namespace["lambda_client"].list_functions()["Functions"] == []
        assert namespace["name"] == "kept"
    finally:
        new_lab.stop()
