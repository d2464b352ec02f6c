"""Shared fixtures, leak checks, and the nbval stderr rule."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


def child_pids() -> set[int]:
    """Direct children of this process, read from /proc."""
    me = str(os.getpid())
    children = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            children.add(int(entry))
    return children


def listening_ports() -> set[int]:
    """TCP ports this process listens on (from /proc/net/tcp and the process's socket inodes)."""
    inodes = set()
    fd_dir = f"/proc/{os.getpid()}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "0A" and parts[9] in inodes:  # 0A = LISTEN
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


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
