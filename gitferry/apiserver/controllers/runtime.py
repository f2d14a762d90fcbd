"""The controller manager: one task that turns store events into reconciles, plus timers.

Every served resource is watched through one shared inbox. Each event first updates the
ownership `index`, then goes to the handlers controllers registered for its resource (and to
the handlers for every resource: garbage collector, namespace controller), which enqueue keys.
Keys wait in one de-duplicated FIFO; timers (`Controller.wake`) put keys back on it when
their time on the registry's clock comes. Reconciles are plain synchronous functions that read
the store and write through the registry; the inbox is drained before each one, so the index
always agrees with the store. An idle manager waits on its inbox and costs nothing.

Time: object stamps come from `registry.clock`; timers run on its monotonic clock. With a
`FakeClock`, time moves only when a test calls `advance`; `settle` waits until nothing is left
to do now. Simulated delays are `Options.speed` times their real-cluster values.

Started by `controllers.starter` (the server) and by tests through `Manager` directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from gitferry._kit.clock import Clock
from gitferry.apiserver import errors
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.controllers.index import Index
from gitferry.apiserver.deleting import DeleteOptions
from gitferry.apiserver.registry import Registry
from gitferry.apiserver.store import Entry, Event, Watcher

log = logging.getLogger("gitferry.apiserver.controllers")

Handler = Callable[[Event], None]
# Crash loops and image-pull back-offs never run faster than this fraction of real time,
# so a crash-looping pod at speed 0 cannot spin.
MIN_BACKOFF_SCALE = 0.01
# Longest stretch of reconciles (real seconds) before yielding to the event loop, so that
# API requests are served while the controllers catch up with a burst.
_SLICE = 0.01
_MAX_WAIT = 30.0


@dataclass(frozen=True, kw_only=True)
class Options:
    """How the simulated cluster behaves."""

    # Nodes are named `<node_prefix>-node`.
    node_prefix: str = "gitferry"
    # Multiplies every simulated delay (pod start-up, job run time, back-offs); 0 = instant.
    speed: float = 1.0
    # Fake load-balancer controller: LoadBalancer Services get an ingress IP.
    load_balancers: bool = True
    # Fake ingress controller: Ingresses get an address.
    ingresses: bool = True
    # Fake metrics for HorizontalPodAutoscalers (off: FailedGetResourceMetric, as on kind).
    metrics: bool = True


class Controller:
    """One reconcile loop. Subclasses set `name`, register handlers in `watches` and
    implement `reconcile(key)`; `start` enqueues what already exists."""

    name: ClassVar[str] = ""
    # The field manager of the controller's writes.
    manager_name: ClassVar[str] = "kube-controller-manager"
    # The `source.component` of the events it records.
    component: ClassVar[str] = "kube-controller-manager"

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self.registry = manager.registry
        self.store = manager.registry.store
        self.options = manager.options

    def watches(self) -> dict[str, Handler]:
        """Handlers by resource key."""
        return {}

    def watch_all(self) -> Handler | None:
        """A handler for the events of every resource, if the controller needs them."""
        return None

    def start(self) -> None:
        """Enqueue the keys of existing objects (called once, before the loop runs)."""

    def reconcile(self, key: Any) -> None:
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------

    def queue(self, key: Hashable) -> None:
        self.manager.enqueue(self, key)

    def wake(self, key: Hashable, seconds: float) -> None:
        """Reconcile `key` again after `seconds` on the clock."""
        self.manager.after(self, key, seconds)

    def sim(self, seconds: float) -> float:
        """A simulated delay of `seconds` (real-cluster value), scaled by the speed."""
        return seconds * self.options.speed

    def backoff(self, seconds: float) -> float:
        """A back-off of `seconds`, scaled but never below MIN_BACKOFF_SCALE of it."""
        return seconds * max(self.options.speed, MIN_BACKOFF_SCALE)

    def event(self, obj: dict[str, Any], kind: str, reason: str, message: str) -> None:
        """Record a core/v1 Event about `obj` (kind: Normal or Warning)."""
        recorder = self.manager.events
        if recorder is not None:
            recorder.record(obj, kind, reason, message, self.component)

    def remove(
        self,
        resource: str,
        namespace: str,
        name: str,
        *,
        uid: str | None = None,
        propagation: str | None = None,
        grace_seconds: int | None = None,
    ) -> bool:
        """DELETE an object; False when it was already gone (or replaced: `uid` is a
        precondition)."""
        options = DeleteOptions(uid=uid, propagation=propagation, grace_seconds=grace_seconds)
        try:
            self.registry.delete(self.rt(resource), namespace, name, options)
        except errors.ApiError as err:
            if err.code in (404, 409):
                return False
            raise
        return True

    def drop_finalizer(self, resource: str, obj: dict[str, Any], finalizer: str) -> None:
        """Remove one finalizer from a stored object, if it has it."""
        finalizers = obj["metadata"].get("finalizers") or []
        if finalizer not in finalizers:
            return
        copy = orjson.loads(orjson.dumps(obj))
        kept = [f for f in finalizers if f != finalizer]
        if kept:
            copy["metadata"]["finalizers"] = kept
        else:
            del copy["metadata"]["finalizers"]
        try:
            self.registry.write(self.rt(resource), copy, self.manager_name)
        except errors.ApiError as err:
            if err.code != 404:
                raise

    def rt(self, key: str) -> ResourceType:
        return self.manager.resource(key)

    def keys_of(self, resource: str) -> Iterable[tuple[str, str]]:
        for entry in self.store.entries(resource):
            meta = entry.obj["metadata"]
            yield (meta.get("namespace", ""), meta["name"])

    def owned(self, uid: str, resource: str) -> list[Entry]:
        """Objects of `resource` whose controller ownerReference points at `uid`."""
        found = []
        for _, namespace, name in self.manager.index.dependents(uid, resource):
            entry = self.store.get(resource, namespace, name)
            if entry is not None and controller_uid(entry.obj) == uid:
                found.append(entry)
        return found


def controller_uid(obj: dict[str, Any]) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def controller_ref(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return dict(ref)
    return None


class Manager:
    """Runs a set of controllers over one registry."""

    def __init__(
        self,
        registry: Registry,
        options: Options,
        controllers: Iterable[type[Controller]],
    ) -> None:
        self.registry = registry
        self.options = options
        self.clock: Clock = registry.clock
        self.index = Index()
        self.events: Any = None  # the event recorder registers itself here
        self.controllers = [cls(self) for cls in controllers]
        self._inbox: asyncio.Queue[Event | None] = asyncio.Queue()
        self._watchers: dict[str, Watcher] = {}
        self._handlers: dict[str, list[Handler]] = {}
        self._all: list[Handler] = []
        self._work: deque[tuple[Controller, Hashable]] = deque()
        self._queued: set[tuple[str, Hashable]] = set()
        self._timers: list[tuple[float, int, Controller, Hashable]] = []
        self._due: dict[tuple[str, Hashable], float] = {}
        self._failures: dict[tuple[str, Hashable], int] = {}
        self._seq = itertools.count()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running = False

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Index what is stored, subscribe to every resource, enqueue, run the loop."""
        for controller in self.controllers:
            for key, handler in controller.watches().items():
                self._handlers.setdefault(key, []).append(handler)
            every = controller.watch_all()
            if every is not None:
                self._all.append(every)
        self._running = True
        self._subscribe()
        self.registry.on_catalog_change(self._subscribe)
        for controller in self.controllers:
            controller.start()
        self._task = asyncio.create_task(self._run(), name="gitferry-controllers")

    async def stop(self) -> None:
        self._running = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for watcher in self._watchers.values():
            self.registry.store.unwatch(watcher)
        self._watchers.clear()

    def _subscribe(self) -> None:
        """Watch every served resource not watched yet (CRDs add some while running)."""
        if not self._running:
            return
        store = self.registry.store
        served = {resource.key for resource in self.registry.catalog.all()}
        for key in served - set(self._watchers):
            for entry in store.entries(key):
                self.index.add(key, entry.obj)
            watcher = Watcher(key, None, None, queue=self._inbox)
            store.watch(watcher, None)
            self._watchers[key] = watcher
        for key in set(self._watchers) - served:
            store.unwatch(self._watchers.pop(key))

    def resource(self, key: str) -> ResourceType:
        resource = self.registry.catalog.by_key(key)
        if resource is None:
            raise errors.internal(f"resource {key} is not served")
        return resource

    # -- queueing ------------------------------------------------------------------------

    def enqueue(self, controller: Controller, key: Hashable) -> None:
        marker = (controller.name, key)
        if marker not in self._queued:
            self._queued.add(marker)
            self._work.append((controller, key))

    def after(self, controller: Controller, key: Hashable, seconds: float) -> None:
        if seconds <= 0:
            self.enqueue(controller, key)
            return
        due = self.clock.monotonic() + seconds
        marker = (controller.name, key)
        current = self._due.get(marker)
        if current is not None and current <= due:
            return
        self._due[marker] = due
        heapq.heappush(self._timers, (due, next(self._seq), controller, key))

    def _fire_timers(self) -> None:
        now = self.clock.monotonic()
        while self._timers and self._timers[0][0] <= now:
            due, _, controller, key = heapq.heappop(self._timers)
            marker = (controller.name, key)
            if self._due.get(marker) == due:
                del self._due[marker]
                self.enqueue(controller, key)

    def next_timer(self) -> float | None:
        """Seconds on the clock until the next timer fires (None: no timer)."""
        while self._timers:
            due, _, controller, key = self._timers[0]
            if self._due.get((controller.name, key)) == due:
                return max(due - self.clock.monotonic(), 0.0)
            heapq.heappop(self._timers)
        return None

    # -- the loop ------------------------------------------------------------------------

    def _dispatch(self, event: Event) -> None:
        self.index.update(event)
        for handler in (*self._handlers.get(event.resource, ()), *self._all):
            try:
                handler(event)
            except Exception:
                # A faulty handler must not stop every controller.
                log.exception("handler %r failed on %s %s", handler, event.type, event.resource)

    def _drain(self) -> None:
        while not self._inbox.empty():
            event = self._inbox.get_nowait()
            if event is not None:
                self._dispatch(event)

    def _reconcile(self, controller: Controller, key: Hashable) -> None:
        marker = (controller.name, key)
        self._queued.discard(marker)
        try:
            controller.reconcile(key)
        except errors.ApiError as err:
            failures = self._failures.get(marker, 0) + 1
            self._failures[marker] = failures
            if err.code not in (404, 409) or failures > 5:
                log.warning("%s %s: %s (retrying)", controller.name, key, err.message)
            self.after(controller, key, min(0.05 * 2 ** min(failures, 10), _MAX_WAIT))
        except Exception:
            failures = self._failures.get(marker, 0) + 1
            self._failures[marker] = failures
            log.exception("%s %s: reconcile failed (retrying)", controller.name, key)
            self.after(controller, key, min(0.1 * 2 ** min(failures, 10), _MAX_WAIT))
        else:
            self._failures.pop(marker, None)

    def _process(self) -> bool:
        """Everything that can be done now, for at most one time slice; whether work is
        left."""
        started = time.perf_counter()
        while time.perf_counter() - started < _SLICE:
            self._drain()
            self._fire_timers()
            if not self._work:
                break
            controller, key = self._work.popleft()
            self._reconcile(controller, key)
        self._drain()
        return bool(self._work)

    async def _run(self) -> None:
        while True:
            if self._process():
                await asyncio.sleep(0)
                continue
            wait = self.next_timer()
            self._idle.set()
            try:
                event = await asyncio.wait_for(
                    self._inbox.get(), None if wait is None else min(wait, _MAX_WAIT)
                )
            except TimeoutError:
                continue
            finally:
                self._idle.clear()
            if event is not None:
                self._dispatch(event)

    # -- for tests -----------------------------------------------------------------------

    async def settle(self) -> None:
        """Return once every event, key and due timer has been handled."""
        while True:
            self._idle.clear()
            self._inbox.put_nowait(None)
            await self._idle.wait()
            if self._inbox.empty() and not self._work and self.next_timer() != 0.0:
                return

    async def advance(self, seconds: float) -> None:
        """Move a fake clock forward by `seconds`, firing every timer on the way in order
        (the clock must have an `advance` method, as `FakeClock` does)."""
        move: Callable[[float], None] = self.clock.advance  # type: ignore[attr-defined]
        await self.settle()
        left = seconds
        while True:
            wait = self.next_timer()
            if wait is None or wait > left:
                break
            move(wait)
            left -= wait
            await self.settle()
        move(left)
        await self.settle()
