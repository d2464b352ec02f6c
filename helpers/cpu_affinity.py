"""Which CPUs the sandbox's request threads and its workers run on (Linux); elsewhere nothing changes.

The threads of one Python process take turns holding the GIL, so spreading them over several CPUs
buys no parallelism, only cost: each hand-over of the GIL wakes the next thread on another CPU (an
inter-processor interrupt, and a slow one in a virtual machine) and moves its working set from one
cache to another. Kept on one CPU, the same threads hand over in place. With 8 keep-alive clients
on a 2-CPU machine that was 39% more requests per second for the sandbox, at the same latency for a
single client (bench/bench_gateway.py's load, paired runs). The worker processes are the opposite:
they are separate interpreters and must be free to use every CPU, whichever thread started them.
"""

from __future__ import annotations

import os


def pin_to_current_cpu() -> None:
    """Keep the calling thread, and every thread it starts from now on, on the CPU it is running on."""
    if not hasattr(os, "sched_setaffinity"):
        return
    try:
        allowed = os.sched_getaffinity(0)
        cpu = current_cpu()
        if len(allowed) > 1 and cpu in allowed:
            os.sched_setaffinity(0, {cpu})
    except OSError:
        pass  # left where the scheduler puts it: slower under load, nothing worse


def share_process_cpus(pid: int) -> None:
    """Let process `pid` (started by a pinned thread, whose CPU it inherited) use the process's CPUs."""
    if not hasattr(os, "sched_setaffinity"):
        return
    try:
        # The main thread's set: what the process was given, never pinned here.
        os.sched_setaffinity(pid, os.sched_getaffinity(os.getpid()))
    except OSError:
        pass  # the worker ended already, or the set changed under us: nothing to share


def current_cpu() -> int | None:
    """The CPU the calling thread is running on, from /proc (None where that is not readable)."""
    try:
        with open("/proc/thread-self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return int(fields[36])  # field 39, "processor"; the split starts at field 3
    except (OSError, IndexError, ValueError):
        return None
