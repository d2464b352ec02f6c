"""Exercises say Correct / Incorrect / Not attempted and never raise; solutions copies fill them in and run."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat
import pytest

from helpers.learn import Exercise, Incorrect, ____, call_learner
from helpers.learn.solutions import fill_in, write_solutions
from tests.support import ROOT


def handler_checker(handler: str) -> str | None:
    if not isinstance(handler, str):
        raise Incorrect("the handler setting is a string like 'module.function'.")
    if handler == "lambda_handler":
        raise Incorrect("name the module too: 'app.lambda_handler'.")
    if handler != "app.lambda_handler":
        raise Incorrect(f"{handler!r} does not name app.py's lambda_handler.")
    return "Lambda will import app and call lambda_handler."


q1 = Exercise("q1", ("handler",), handler_checker, "file name without .py, a dot, the function name", 'handler = "app.lambda_handler"')


@pytest.mark.parametrize(
    ("namespace", "expected"),
    [
        ({}, "Not attempted: fill in `handler` in the cell above, run it, then run this cell again.\n"),
        ({"handler": ____}, "Not attempted: fill in `handler` in the cell above, run it, then run this cell again.\n"),
        ({"handler": "lambda_handler"}, "Incorrect: name the module too: 'app.lambda_handler'.\n"),
        ({"handler": 42}, "Incorrect: the handler setting is a string like 'module.function'.\n"),
        ({"handler": "app.handler"}, "Incorrect: 'app.handler' does not name app.py's lambda_handler.\n"),
        ({"handler": "app.lambda_handler"}, "Correct: Lambda will import app and call lambda_handler.\n"),
    ],
)
def test_check_answers(namespace, expected, capsys):
    q1.check(namespace)
    assert capsys.readouterr().out == expected


def checker_in_the_helpers(source: str):
    """A checker function whose code lives in the helpers' folder, as the course's checkers do."""
    namespace: dict = {}
    exec(compile(textwrap.dedent(source), str(ROOT / "helpers" / "learn" / "a_checker.py"), "exec"), namespace)
    return namespace["checker"]


def test_a_broken_checker_never_raises_and_says_it_is_the_courses_bug(capsys):
    broken = Exercise("q9", ("x",), checker_in_the_helpers("def checker(x):\n    return 1 / 0\n"), "", "")
    broken.check({"x": 1})
    assert capsys.readouterr().out == (
        "Incorrect: the checker itself failed (ZeroDivisionError: division by zero); "
        "that is a bug in this course, not in your answer — please report it.\n"
    )


def learner_function():
    return {}.get("queryStringParameters").get("name")


def test_learner_code_that_raises_inside_a_checker_is_the_learners_error(capsys):
    calls = Exercise("q9", ("f",), checker_in_the_helpers("def checker(f):\n    return f()\n"), "", "")
    calls.check({"f": learner_function})
    assert capsys.readouterr().out == "Incorrect: your code raised AttributeError: 'NoneType' object has no attribute 'get'.\n"


def test_call_learner_explains_in_the_learners_terms(capsys):
    def why(error):
        return "queryStringParameters is None when the URL has no query string"

    calls = Exercise("q9", ("f",), lambda f: call_learner(f, who="your handler", why=why), "", "")
    calls.check({"f": learner_function})
    assert capsys.readouterr().out == (
        "Incorrect: your handler raised AttributeError: 'NoneType' object has no attribute 'get'"
        " — queryStringParameters is None when the URL has no query string\n"
    )
    calls.check({"f": lambda: None})
    assert capsys.readouterr().out == "Correct: well done.\n"


def test_check_reads_the_callers_globals(capsys):
    global handler
    handler = "app.lambda_handler"
    try:
        q1.check()
    finally:
        del handler
    assert capsys.readouterr().out.startswith("Correct")


def test_hint_and_solution(capsys):
    q1.hint()
    q1.solution()
    assert capsys.readouterr().out == (
        "Hint (q1): file name without .py, a dot, the function name\n"
        'Solution (q1):\nhandler = "app.lambda_handler"\n'
    )


def exercise_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["serverless_api_lab"] = {"exercises": "practice_exercises"}
    nb.cells = [
        nbformat.v4.new_code_cell("from practice_exercises import q1\nfrom helpers.learn import ____"),
        nbformat.v4.new_code_cell("handler = ____", metadata={"tags": ["exercise:q1"]}),
        nbformat.v4.new_code_cell("q1.check()"),
    ]
    return nb


def test_solutions_copies_are_filled_in_and_run(tmp_path):
    (tmp_path / "practice_exercises.py").write_text(
        textwrap.dedent(
            """
            from helpers.learn import Exercise, Incorrect

            def _check(handler):
                if handler != "app.lambda_handler":
                    raise Incorrect("not yet")

            q1 = Exercise("q1", ("handler",), _check, "hint", 'handler = "app.lambda_handler"')
            """
        )
    )
    nbformat.write(exercise_notebook(), tmp_path / "01_practice.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "00_no_exercises.ipynb")
    written = write_solutions(tmp_path, tmp_path / "solutions")
    assert [p.name for p in written] == ["01_practice.ipynb"]
    solved = nbformat.read(written[0], as_version=4)
    assert solved.cells[1].source == 'handler = "app.lambda_handler"'
    assert solved.cells[2].outputs[0]["text"] == "Correct: well done.\n"


def chapter_notebooks_with_exercises() -> list[Path]:
    return [
        path for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
        if json.loads(path.read_text()).get("metadata", {}).get("serverless_api_lab", {}).get("exercises")
    ]


@pytest.mark.parametrize("path", chapter_notebooks_with_exercises(), ids=lambda p: p.name)
def test_every_chapters_solutions_pass_their_checks(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    assert fill_in(notebook) >= 2, "each chapter has at least two exercises"
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(notebook, source / path.name)
    # Run where the chapter runs: its cells use paths relative to notebooks/.
    solved = nbformat.read(write_solutions(source, tmp_path / "solutions", run_in=path.parent)[0], as_version=4)
    # A cell's printed text may arrive as several stream chunks; a verdict is the whole of it.
    verdicts = ["".join(o.get("text", "") for o in c.outputs) for c in solved.cells if c.cell_type == "code" and ".check()" in c.source]
    assert verdicts and all(v.startswith("Correct") for v in verdicts), verdicts
