"""A work queue of keys (Applications, ApplicationSets), each processed by one worker at a
time.

`add(key, delay)` schedules a key; adding a key that is already waiting keeps the earlier
time (so a burst of live-object events becomes one refresh: the debounce), and a key added
while it is being processed is processed once more afterwards. Workers take the key whose time
has come first. Called by the controllers' event handlers and their workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools


class WorkQueue:
    """Delayed, de-duplicated keys for N workers."""

    def __init__(self) -> None:
        self._due: dict[str, float] = {}  # waiting keys and when they become due
        self._heap: list[tuple[float, int, str]] = []
        self._counter = itertools.count()
        self._active: set[str] = set()
        self._again: dict[str, float] = {}  # keys added while active: re-add when done
        self._wakeup = asyncio.Event()
        self._closed = False

    def add(self, key: str, delay: float = 0.0) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + max(delay, 0.0)
        if key in self._active:
            self._again[key] = min(due, self._again.get(key, due))
            return
        current = self._due.get(key)
        if current is not None and current <= due:
            return
        self._due[key] = due
        heapq.heappush(self._heap, (due, next(self._counter), key))
        self._wakeup.set()

    def __len__(self) -> int:
        return len(self._due)

    async def get(self) -> str | None:
        """The next due key (None once the queue is closed)."""
        loop = asyncio.get_running_loop()
        while not self._closed:
            while self._heap:
                due, _, key = self._heap[0]
                if self._due.get(key) != due:  # superseded by an earlier add
                    heapq.heappop(self._heap)
                    continue
                wait = due - loop.time()
                if wait > 0:
                    break
                heapq.heappop(self._heap)
                del self._due[key]
                self._active.add(key)
                return key
            self._wakeup.clear()
            timeout = (self._heap[0][0] - loop.time()) if self._heap else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)
        return None

    def done(self, key: str) -> None:
        """The worker finished `key`; re-queue it if it was added meanwhile."""
        self._active.discard(key)
        again = self._again.pop(key, None)
        if again is not None:
            loop = asyncio.get_running_loop()
            self.add(key, again - loop.time())

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()
