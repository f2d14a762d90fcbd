"""The manifest cache: renderer output per source, keyed by everything that shapes it.

The key digests the repository URL, the resolved revision (commit SHA or chart version), the
path, the source spec, the ref sources' SHAs, the app fields the build environment and Helm
defaults read, and the render options that change output. Entries are JSON bytes, so every
hit returns fresh objects (callers cannot corrupt the cache) and the least recently used
entries are dropped beyond a count and a byte budget. Used by `renderer.Renderer`;
in-process and disposable (DESIGN 1: caches are disposable).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson


def digest(parts: Any) -> str:
    """A stable key for JSON-able parts (mapping order does not matter)."""
    data = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    manifests: bytes
    source_type: str


class ManifestCache:
    """An LRU of rendered sources. Keys include the app, so the count allows one entry per
    app of a large installation (a periodic refresh must hit, not re-render); the byte budget
    is what bounds memory."""

    def __init__(self, max_entries: int = 100_000, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.manifests)
            if len(entry.manifests) > self.max_bytes:
                return
            self._entries[key] = entry
            self._bytes += len(entry.manifests)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.manifests)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)
