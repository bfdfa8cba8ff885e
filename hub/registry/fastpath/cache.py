"""A small per-process cache: bounded in entries and bytes, each entry with a deadline.

Keys carry the epochs they were made under (``epochs``), so entries are never invalidated one
by one: a bump makes every key with the old value unreachable, and they age out here.
"""

import time
from collections import OrderedDict


class Cache:
    def __init__(self, *, max_entries: int, max_bytes: int = 0):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict = OrderedDict()  # key -> (deadline, size, value)

    def get(self, key):
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._drop(key)
            return None
        return entry[2]

    def put(self, key, value, *, ttl: float, size: int = 0) -> None:
        if ttl <= 0 or (self.max_bytes and size > self.max_bytes // 8):
            return  # caching off, or one entry would crowd out the rest
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (time.monotonic() + ttl, size, value)
        self.bytes += size
        while len(self._entries) > self.max_entries or (
            self.max_bytes and self.bytes > self.max_bytes
        ):
            self._drop(next(iter(self._entries)))  # the oldest

    def _drop(self, key) -> None:
        _, size, _ = self._entries.pop(key)
        self.bytes -= size

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
