"""The offline AWS sandbox: start(), Sandbox."""

from .sandbox import Sandbox, any_running, start

__all__ = ["Sandbox", "any_running", "start"]
