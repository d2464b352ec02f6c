"""A sandbox starts without compiling grammars nothing uses; whoever uses them later still gets them."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.support import ROOT


pytestmark = pytest.mark.skipif(importlib.util.find_spec("rfc3987_syntax") is None,
                                reason="rfc3987-syntax is not installed: nothing to defer")


def _fresh(code: str) -> list:
    """Run `code` in a new interpreter (a learner's first cell) and return what it printed as JSON."""
    done = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}"],
                          capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout)


def test_starting_a_sandbox_compiles_no_grammar():
    assert _fresh(
        "import json\n"
        "from helpers import sandbox\n"
        "box = sandbox.start()\n"
        "import jsonschema, moto.apigateway.models\n"  # what pulled rfc3987-syntax in: loaded by now
        "print(json.dumps(['lark' in sys.modules, type(sys.modules['rfc3987_syntax']).__name__]))\n"
        "box.stop()\n"
    ) == [False, "_StandIn"]


def test_the_iri_format_check_still_works_and_then_uses_the_real_module():
    assert _fresh(
        "import json\n"
        "from helpers.sandbox import deferred_imports\n"
        "deferred_imports.defer_unused_imports()\n"
        "import jsonschema\n"
        "checker = jsonschema.FormatChecker()\n"
        "answers = [checker.conforms('https://example.com/caf\\u00e9', 'iri'), checker.conforms('no iri', 'iri')]\n"
        "from rfc3987_syntax import is_valid_syntax_iri\n"  # any other name: the real module's
        "print(json.dumps([*answers, is_valid_syntax_iri('https://example.com/'), 'lark' in sys.modules,\n"
        "                  type(sys.modules['rfc3987_syntax']).__name__]))\n"
    ) == [True, False, True, True, "module"]
