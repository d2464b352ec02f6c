"""Answers the data plane reads from moto, kept until the control plane next changes."""

from __future__ import annotations

from typing import Any, Callable, Hashable, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 4096  # keys can come from requests (API key values): never let them pile up


class ReadCache:
    """Memoizes reads while `generation()` (the front door's count of control-plane writes) is unchanged.

    Each entry remembers the generation it was read under, and the generation is taken
    before the read: a write that lands during the read bumps it, so that entry is never used.
    """

    def __init__(self, generation: Callable[[], int]):
        self._generation = generation
        self._entries: dict[Hashable, tuple[int, Any]] = {}

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The cached answer for `key`, or `read()`'s (cached when nothing changed meanwhile)."""
        generation = self._generation()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == generation:
            return entry[1]
        value = read()
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {}
        self._entries[key] = (generation, value)
        return value
