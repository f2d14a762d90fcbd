"""A work queue of keys (Applications, ApplicationSets), each processed by one worker at a
time.

`add(key, delay)` schedules a key; adding a key that is already waiting keeps the earlier
time (so a burst of live-object events becomes one refresh: the debounce), and a key added
while it is being processed is processed once more afterwards. Workers take the key whose time
has come first. Called by the controllers' event handlers and their workers.

One pump task moves keys whose time has come onto a ready queue; each ready key wakes exactly
one waiting worker. (Workers that all waited on one event woke together for every key: with
32 workers and thousands of periodic refreshes that was most of an idle controller's CPU.)
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
        self._ready: asyncio.Queue[str | None] = asyncio.Queue()
        self._queued: set[str] = set()  # due and on the ready queue, not taken yet
        self._active: set[str] = set()
        self._again: dict[str, float] = {}  # keys added while active: re-add when done
        self._wakeup = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self._closed = False

    def add(self, key: str, delay: float = 0.0) -> None:
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + max(delay, 0.0)
        if key in self._active:
            self._again[key] = min(due, self._again.get(key, due))
            return
        if key in self._queued:
            return
        current = self._due.get(key)
        if current is not None and current <= due:
            return
        earliest = not self._heap or due < self._heap[0][0]
        self._due[key] = due
        heapq.heappush(self._heap, (due, next(self._counter), key))
        self._ensure_pump()
        if earliest:
            self._wakeup.set()

    def __len__(self) -> int:
        return len(self._due) + len(self._queued)

    async def get(self) -> str | None:
        """The next due key (None once the queue is closed)."""
        if self._closed:
            return None
        self._ensure_pump()
        key = await self._ready.get()
        if key is None:
            self._ready.put_nowait(None)  # wake the next waiting worker: it stops too
            return None
        self._queued.discard(key)
        self._active.add(key)
        return key

    def done(self, key: str) -> None:
        """The worker finished `key`; re-queue it if it was added meanwhile."""
        self._active.discard(key)
        again = self._again.pop(key, None)
        if again is not None:
            loop = asyncio.get_running_loop()
            self.add(key, again - loop.time())

    def close(self) -> None:
        self._closed = True
        self._ready.put_nowait(None)
        self._wakeup.set()

    def _ensure_pump(self) -> None:
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.get_running_loop().create_task(
                self._pump(), name="work queue pump"
            )

    async def _pump(self) -> None:
        """Hand keys to the workers as their time comes."""
        loop = asyncio.get_running_loop()
        while not self._closed:
            now = loop.time()
            while self._heap:
                due, _, key = self._heap[0]
                if self._due.get(key) != due:  # superseded by an earlier add
                    heapq.heappop(self._heap)
                    continue
                if due > now:
                    break
                heapq.heappop(self._heap)
                del self._due[key]
                self._queued.add(key)
                self._ready.put_nowait(key)
            self._wakeup.clear()
            timeout = (self._heap[0][0] - loop.time()) if self._heap else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)
