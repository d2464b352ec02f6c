"""Serverless API Lab: the sandbox, the tutorial steps and the learning layer."""

import importlib

__all__ = ["connect", "sandbox"]


def __getattr__(name):
    # Submodules load on first use, so `python -m helpers.make` (standard library only) can run
    # before the project's dependencies are installed.
    if name == "connect":
        from .targets import connect
        return connect
    try:
        return importlib.import_module("." + name, __name__)
    except ModuleNotFoundError as error:
        if error.name != __name__ + "." + name:
            raise
        raise AttributeError("module " + repr(__name__) + " has no attribute " + repr(name)) from None
