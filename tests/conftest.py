"""Shared fixtures, leak checks, and the nbval stderr rule."""

from __future__ import annotations

import threading

import pytest

from tests.support import child_pids, listening_ports


def _drop_stderr(outputs):
    return [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def _install_nbval_stderr_rule() -> None:
    # Libraries write warnings to stderr (deprecations, progress); they are not
    # part of what a notebook teaches, so nbval compares everything but them.
    from nbval.plugin import IPyNbCell

    compare = IPyNbCell.compare_outputs
    if getattr(compare, "_drops_stderr", False):
        return

    def compare_outputs(self, test, ref, skip_compare=None):
        return compare(self, _drop_stderr(test), _drop_stderr(ref), skip_compare)

    compare_outputs._drops_stderr = True
    IPyNbCell.compare_outputs = compare_outputs


_install_nbval_stderr_rule()


@pytest.fixture
def no_leaks():
    """Fail the test if it leaves a thread, child process or listening port behind."""
    threads = set(threading.enumerate())
    children = child_pids()
    ports = listening_ports()
    yield
    leaked_threads = [t for t in threading.enumerate() if t not in threads and t.is_alive()]
    assert not leaked_threads, f"threads left running: {leaked_threads}"
    assert child_pids() <= children, "child processes left running"
    assert listening_ports() <= ports, "listening ports left open"


@pytest.fixture
def serve(no_leaks):
    """serve(app): the sandbox's loopback server running a WSGI app, stopped after the test."""
    from helpers.sandbox.server import LoopbackServer

    servers = []

    def start(app):
        server = LoopbackServer(app)
        server.start("test-server")
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def sandbox(no_leaks):
    """A running sandbox for one test, stopped afterwards."""
    from helpers import sandbox as sandbox_module

    box = sandbox_module.start()
    try:
        yield box
    finally:
        box.stop()
