"""The limits Lambda puts on an execution environment: init time, response size and memory."""

from . import procfs

INIT_TIMEOUT = 10.0  # seconds AWS gives the init phase of an on-demand environment
# AWS's limit is 6 MB, but its error message (and its check) says 6291556, 100 bytes more.
MAX_RESPONSE_BYTES = 6291556
_MB = 1024 * 1024


class MemoryLimit:
    """A worker's memory against its function's MemorySize, read from /proc (Linux).

    Not RLIMIT_AS: it caps virtual memory, which for Python is far above what it uses. Not a cgroup:
    creating one needs privileges a laptop user doesn't have. So the engine samples the resident
    set while code runs and kills a worker past the limit, as AWS's cgroup would.
    """

    def __init__(self, memory_size_mb: int):
        self.memory_size_mb = memory_size_mb
        self._peak = 0  # bytes, the highest resident set seen

    def sample(self, memory: procfs.ProcessMemory | None) -> bool:
        """Read the worker's resident set now: whether it is over the limit."""
        rss = memory.rss() if memory is not None else None
        return self.seen(rss)

    def check_peak(self, memory: procfs.ProcessMemory | None) -> bool:
        """Read the worker's peak (VmHWM) so far: whether it went over the limit between two samples."""
        return self.seen(memory.peak() if memory is not None else None)

    def seen(self, size: int | None) -> bool:
        """Count a size measured some other way (a reaped worker's rusage): whether the peak is over the limit."""
        self._peak = max(self._peak, size or 0)
        return self.exceeded

    @property
    def exceeded(self) -> bool:
        return self._peak > self.memory_size_mb * _MB

    @property
    def max_used_mb(self) -> int:
        """Max Memory Used: a worker killed for memory overshot between two samples; AWS's cgroup stops exactly at the limit."""
        return min(procfs.megabytes(self._peak), self.memory_size_mb)
