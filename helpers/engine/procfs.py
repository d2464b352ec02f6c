"""A worker's memory use, read from /proc (Linux); elsewhere memory is neither measured nor enforced."""

import os
import sys
import threading

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_MB = 1024 * 1024


class ProcessMemory:
    """One process's /proc memory files, opened once and re-read in place.

    Opening, reading and closing /proc/<pid>/status costs several times one pread of an open file,
    and it is read after every invocation. An open /proc file also stays bound to its process: once
    the process is gone it reads as an error, never as another process that reused the pid.
    """

    def __init__(self, pid: int):
        self._lock = threading.Lock()  # close() must not free a descriptor another thread is reading
        self._files: dict[str, int] = {}
        for name in ("statm", "status"):
            try:
                self._files[name] = os.open(f"/proc/{pid}/{name}", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                pass

    def _read(self, name: str, size: int) -> bytes | None:
        with self._lock:
            try:
                return os.pread(self._files[name], size, 0)
            except (KeyError, OSError):
                return None

    def rss(self) -> int | None:
        """Resident set size now, or None when it can't be read (process gone, no /proc)."""
        data = self._read("statm", 256)
        try:
            return int(data.split()[1]) * _PAGE_SIZE
        except (AttributeError, IndexError, ValueError):
            return None

    def peak(self) -> int | None:
        """Peak resident set size over the process's life (VmHWM), or None when it can't be read."""
        # VmHWM comes early in the file: a small read is enough, and cheaper (a bigger buffer costs more).
        data = self._read("status", 4096)
        if data and len(data) == 4096 and b"VmHWM:" not in data:
            data = self._read("status", 1 << 16)  # a process with very many groups: the lines before are long
        start = data.find(b"VmHWM:") if data else -1
        if start < 0:
            return None
        try:
            return int(data[start + 6:data.index(b"\n", start)].split()[0]) * 1024
        except (IndexError, ValueError):
            return None

    def close(self) -> None:
        with self._lock:
            for fd in self._files.values():
                os.close(fd)
            self._files.clear()


def rusage_peak(usage) -> int | None:
    """A reaped process's peak RSS in bytes, from wait4()'s rusage (kilobytes on Linux)."""
    return usage.ru_maxrss * 1024 if sys.platform.startswith("linux") else None


def megabytes(size: int) -> int:
    """Whole megabytes, rounded up, as the REPORT line shows them."""
    return -(-size // _MB)
