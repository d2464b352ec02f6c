"""Serverless API Lab: the sandbox, the tutorial steps and the learning layer."""

from . import sandbox
from .targets import connect

__all__ = ["connect", "sandbox"]
