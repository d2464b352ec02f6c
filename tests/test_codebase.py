"""The package as a whole: every module imports on its own, no import cycle, no module too long to read."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.support import ROOT

HELPERS = ROOT / "helpers"
MAX_LINES = 400

# Modules allowed over MAX_LINES for now. Each is being split; once its split lands, remove
# its name here (the test fails while a name is listed that no longer needs to be).
OVER_THE_LIMIT = {
}


def _module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(HELPERS.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module):
    # What runs when the module is imported: its top-level statements, and those under a
    # top-level if/try/with (but not `if TYPE_CHECKING:`); imports inside functions run later.
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            pending += node.orelse if _is_type_checking(node.test) else node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        elif isinstance(node, ast.With):
            pending += node.body


def _imported_modules(name: str, path) -> set[str]:
    """The helpers modules that importing `name` imports directly, at module level."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _module_level_imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]
        found |= {target for target in targets if target in MODULES and target != name}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first node repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_module_level_imports_are_resolved_to_helpers_modules(tmp_path):
    tree = {name: _imported_modules(name, path) for name, path in MODULES.items()}
    assert "helpers.sandbox.moto_link" in tree["helpers.sandbox.telemetry"]  # from . import moto_link
    package_init = tmp_path / "__init__.py"
    package_init.write_text("from . import sandbox\n")
    assert "helpers.sandbox" in _imported_modules("helpers", package_init)  # in a package's __init__
    assert "helpers.sandbox.sandbox" in tree["helpers.sandbox"]  # from .sandbox import ...
    assert "helpers.sandbox.moto_link.lambda_functions" in tree["helpers.sandbox.moto_link"]


def test_no_import_cycle_among_helpers_modules():
    graph = {name: _imported_modules(name, path) for name, path in MODULES.items()}
    cycle = _cycle(graph)
    assert cycle is None, "module-level imports form a cycle: " + " -> ".join(cycle)


def test_every_module_imports_in_a_fresh_interpreter():
    # The graph above reads the source; this runs it: every module, in a process that has
    # imported nothing of helpers before, so a module that cannot be imported fails here.
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    names = [name for name in MODULES if not name.endswith("__main__")]
    done = subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def test_no_module_over_the_line_limit():
    lengths = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in MODULES.values()}
    too_long = {path: n for path, n in lengths.items() if n > MAX_LINES and path not in OVER_THE_LIMIT}
    assert not too_long, f"split these (at most {MAX_LINES} lines a module): {too_long}"
    no_longer = sorted(path for path in OVER_THE_LIMIT if lengths.get(path, 0) <= MAX_LINES)
    assert not no_longer, f"remove from OVER_THE_LIMIT, now split or gone: {no_longer}"
