"""A worker's memory use, read from /proc (Linux); elsewhere memory is neither measured nor enforced."""

import os

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_MB = 1024 * 1024


def rss_bytes(pid: int) -> int | None:
    """Resident set size now, or None when it can't be read (process gone, no /proc)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return None


def peak_rss_bytes(pid: int) -> int | None:
    """Peak resident set size over the process's life (VmHWM), or None when it can't be read."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return None


def megabytes(size: int) -> int:
    """Whole megabytes, rounded up, as the REPORT line shows them."""
    return -(-size // _MB)
