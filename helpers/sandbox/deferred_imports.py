"""Modules that importing moto drags in, loaded only once something actually uses them.

moto's API Gateway imports openapi-spec-validator, which imports jsonschema, whose format checkers
import rfc3987-syntax whenever it is installed (JupyterLab's jupyter-events installs it). That
module compiles 38 Lark grammars as it is imported: 1.5 s of a 2.2 s `sandbox.start()` here, for
a checker of the "iri" string format that nothing in the sandbox validates. A stand-in takes its
place in sys.modules and imports the real module the first time it is used, so code that does use
it gets exactly what it would have.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_lock = threading.Lock()


def defer_unused_imports() -> None:
    """Put the stand-ins in place (nothing changes for a module that is loaded already or absent)."""
    with _lock:
        if "rfc3987_syntax" in sys.modules or importlib.util.find_spec("rfc3987_syntax") is None:
            return
        stand_in = _StandIn("rfc3987_syntax")
        # jsonschema takes this function by name as it is imported; the grammars wait for its first call.
        stand_in.is_valid_syntax = lambda term, value: stand_in.load().is_valid_syntax(term, value)
        sys.modules["rfc3987_syntax"] = stand_in


class _StandIn(types.ModuleType):
    """A module's place in sys.modules until one of its names is used; then the real module."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # import machinery probing (__path__, __file__, ...): not a use
            raise AttributeError(name)
        return getattr(self.load(), name)

    def load(self) -> types.ModuleType:
        """The real module, imported the first time this is called."""
        with _lock:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
                try:
                    return importlib.import_module(self.__name__)
                except BaseException:
                    sys.modules[self.__name__] = self
                    raise
        return importlib.import_module(self.__name__)
