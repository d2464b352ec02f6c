"""The offline AWS sandbox: start(), Sandbox."""

from .sandbox import Sandbox, start

__all__ = ["Sandbox", "start"]
