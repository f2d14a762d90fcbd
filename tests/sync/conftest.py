"""Fixtures for the sync tests: manifest builders, an in-memory fake of the destination
cluster that records every call, and a driver that plays the controller's operation runner
(re-plan from live state, step, persist `operationState` as JSON, repeat)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from gitferry._kit.clock import FakeClock, rfc3339
from gitferry.model.errors import ClusterError
from gitferry.model.operation import (
    Operation,
    OperationPhase,
    OperationState,
    SyncOperation,
    SyncResult,
)
from gitferry.sync import executor, plan
from gitferry.sync.context import StepContext, StepOutcome
from gitferry.sync.options import AppSyncOptions
from gitferry.sync.tasks import ObjectRef

Obj = dict[str, Any]
START = datetime(2026, 1, 1, tzinfo=UTC)
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
API = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "Ingress": "networking.k8s.io/v1",
    "CustomResourceDefinition": "apiextensions.k8s.io/v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "APIService": "apiregistration.k8s.io/v1",
    "Widget": "example.com/v1",
}


def make(
    kind: str,
    name: str = "",
    namespace: str | None = None,
    annotations: dict[str, str] | None = None,
) -> Obj:
    """A manifest of `kind` (apiVersion from `API`, else v1)."""
    meta: Obj = {"name": name} if name else {}
    if namespace is not None:
        meta["namespace"] = namespace
    obj: Obj = {"apiVersion": API.get(kind, "v1"), "kind": kind, "metadata": meta}
    return annotated(obj, annotations) if annotations else obj


def annotated(obj: Obj, annotations: dict[str, str]) -> Obj:
    result = copy.deepcopy(obj)
    result["metadata"].setdefault("annotations", {}).update(annotations)
    return result


HOOK = "argocd.argoproj.io/hook"
POLICY = "argocd.argoproj.io/hook-delete-policy"
WAVE = "argocd.argoproj.io/sync-wave"
OPTIONS = "argocd.argoproj.io/sync-options"


def hook(kind: str, name: str, phases: str, policy: str | None = None) -> Obj:
    annotations = {HOOK: phases}
    if policy:
        annotations[POLICY] = policy
    return annotated(make(kind, name), annotations)


def waved(obj: Obj, wave: int) -> Obj:
    return annotated(obj, {WAVE: str(wave)})


def _key(ref: ObjectRef) -> tuple[str, str, str, str]:
    namespace = "" if ref.kind in CLUSTER_SCOPED else ref.namespace
    return (ref.group, ref.kind, namespace, ref.name)


@dataclass
class FakeCluster:
    """The outside world for unit tests: objects in a dict, every call recorded as
    `(verb, "Kind/name", detail)`. Objects with finalizers are only marked for deletion."""

    clock: FakeClock
    objects: dict[tuple[str, str, str, str], Obj] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    fail: dict[tuple[str, str], str] = field(default_factory=dict)  # (verb, name) -> error
    unserved: set[str] = field(default_factory=set)
    counter: int = 0

    def seed(self, obj: Obj, **metadata: Any) -> Obj:
        stored = copy.deepcopy(obj)
        stored["metadata"].update(metadata)
        stored["metadata"].setdefault("creationTimestamp", rfc3339(self.clock.now()))
        self.objects[_key(ObjectRef.of(stored))] = stored
        return stored

    def find(self, kind: str, name: str) -> Obj | None:
        return next((o for (_, k, _, n), o in self.objects.items() if (k, n) == (kind, name)), None)

    def verbs(self, name: str | None = None) -> list[str]:
        return [verb for verb, who, _ in self.calls if name is None or who.endswith("/" + name)]

    def _call(self, verb: str, obj_or_ref: Obj | ObjectRef, **detail: Any) -> None:
        ref = obj_or_ref if isinstance(obj_or_ref, ObjectRef) else ObjectRef.of(obj_or_ref)
        self.calls.append((verb, f"{ref.kind}/{ref.name}", detail))
        error = self.fail.get((verb, ref.name))
        if error is not None:
            raise ClusterError(error)

    def _write(self, obj: Obj) -> None:
        stored = copy.deepcopy(obj)
        meta = stored["metadata"]
        if stored["kind"] in CLUSTER_SCOPED:
            meta.pop("namespace", None)
        key = _key(ObjectRef.of(stored))
        existing = self.objects.get(key)
        self.counter += 1
        meta["resourceVersion"] = str(self.counter)
        meta["creationTimestamp"] = (
            existing["metadata"]["creationTimestamp"] if existing else rfc3339(self.clock.now())
        )
        self.objects[key] = stored

    async def kind_served(self, api_version: str, kind: str) -> bool:
        return kind not in self.unserved

    async def apply(self, obj: Obj, **options: Any) -> object:
        verb = "dry-run" if options["dry_run"] else "apply"
        self._call(verb, obj, **options)
        if not options["dry_run"]:
            self._write(obj)
        return obj

    async def create(self, obj: Obj, *, dry_run: bool, validate: bool) -> object:
        self._call("dry-run" if dry_run else "create", obj, validate=validate)
        if not dry_run:
            self._write(obj)
        return obj

    async def replace(self, obj: Obj, *, dry_run: bool, force: bool) -> object:
        self._call("dry-run" if dry_run else "replace", obj, force=force)
        if not dry_run:
            self._write(obj)
        return obj

    async def delete(self, ref: ObjectRef, *, propagation: str) -> bool:
        self._call("delete", ref, propagation=propagation)
        key = _key(ref)
        found = self.objects.get(key)
        if found is None:
            return False
        if found["metadata"].get("finalizers"):
            found["metadata"]["deletionTimestamp"] = rfc3339(self.clock.now())
        else:
            del self.objects[key]
        return True

    async def get(self, ref: ObjectRef) -> Obj | None:
        found = self.objects.get(_key(ref))
        return copy.deepcopy(found) if found else None

    async def remove_finalizer(self, ref: ObjectRef, finalizer: str) -> None:
        self._call("unfinalize", ref)
        key = _key(ref)
        found = self.objects.get(key)
        if found is None:
            return
        meta = found["metadata"]
        meta["finalizers"] = [f for f in meta.get("finalizers") or [] if f != finalizer]
        if not meta["finalizers"] and meta.get("deletionTimestamp"):
            del self.objects[key]

    async def wait_established(self, name: str, *, timeout: float) -> None:
        self._call("wait-established", ObjectRef("apiextensions.k8s.io/v1", "CRD", "", name))


@dataclass(frozen=True)
class FakeHealth:
    status: str
    message: str = ""


@dataclass
class Driver:
    """The controller's operation runner, reduced to what the tests need."""

    cluster: FakeCluster
    clock: FakeClock
    targets: list[Obj]
    sync: SyncOperation = field(default_factory=SyncOperation)
    sync_options: tuple[str, ...] = ()
    destination: str = "apps"
    revision: str = "0123456789abcdef"
    health: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (status, msg)
    untracked: set[str] = field(default_factory=set)  # names the app does not own
    deletion_approved: datetime | None = None
    out_of_sync: frozenset[str] | None = None
    permission: Callable[[Obj], str | None] | None = None
    # A real health check instead of the `health` table.
    health_check: Callable[[Obj], Any] | None = None
    saved: dict[str, Any] = field(default_factory=dict)
    outcomes: list[StepOutcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.saved:
            state = OperationState(
                operation=Operation(sync=self.sync, username="admin"),
                phase=OperationPhase.RUNNING,
                started_at=self.clock.now(),
                sync_result=SyncResult(revision=self.revision),
            )
            self.saved = state.to_dict()

    @property
    def state(self) -> OperationState:
        return OperationState.from_dict(self.saved)

    def health_of(self, obj: Obj) -> FakeHealth | None:
        found = self.health.get(obj["metadata"]["name"])
        return FakeHealth(*found) if found else None

    def live(self) -> list[Obj]:
        return [
            copy.deepcopy(o)
            for o in self.cluster.objects.values()
            if o["metadata"]["name"] not in self.untracked
        ]

    def plan(self) -> list[Any]:
        state = self.state
        app = AppSyncOptions.parse(self.sync_options)
        options = plan.PlanOptions.for_operation(
            state.operation.sync or SyncOperation(),
            app,
            destination_namespace=self.destination,
            revision=self.revision,
            started_at=state.started_at,
        )
        namespace = self.cluster.objects.get(("", "Namespace", "", self.destination))
        return plan.build(self.targets, self.live(), options=options, namespace_live=namespace)

    async def step(self, *, persist: bool = True) -> StepOutcome:
        ctx = StepContext(
            tasks=self.plan(),
            state=self.state,
            cluster=self.cluster,
            health=self.health_check or self.health_of,
            clock=self.clock,
            app=AppSyncOptions.parse(self.sync_options),
            destination_namespace=self.destination,
            out_of_sync=self.out_of_sync,
            deletion_approved=self.deletion_approved,
            permission=self.permission,
        )
        outcome = await executor.step(ctx)
        if persist:
            self.saved = outcome.state.to_dict()
        self.outcomes.append(outcome)
        self.clock.advance(5)
        return outcome

    async def run(self, limit: int = 20, before: Callable[[Driver], None] | None = None) -> str:
        """Step until the operation completes; the final message."""
        for _ in range(limit):
            if before is not None:
                before(self)
            outcome = await self.step()
            if outcome.state.phase.completed:
                return outcome.state.message
        raise AssertionError(f"not done after {limit} steps: {self.state.message}")

    def result(self, name: str, phase: str = "Sync") -> dict[str, Any]:
        for entry in (self.saved.get("syncResult") or {}).get("resources") or []:
            if entry["name"] == name and entry.get("syncPhase") == phase:
                return dict(entry)
        raise AssertionError(f"no result for {name} in {phase}")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def fake_cluster(clock: FakeClock) -> FakeCluster:
    """A fake destination cluster holding the namespace `apps`."""
    fake = FakeCluster(clock)
    fake.seed(make("Namespace", "apps"))
    return fake


@pytest.fixture
def driver(fake_cluster: FakeCluster, clock: FakeClock) -> Callable[..., Driver]:
    """`driver(targets, **fields)`: a Driver over the test's fake cluster."""

    def build(targets: list[Obj], **fields: Any) -> Driver:
        fields.setdefault("untracked", {"apps"})
        return Driver(fake_cluster, clock, targets, **fields)

    return build


class Builders:
    """The manifest builders, handed to test modules as the `k8s` fixture (a conftest is not
    importable under importlib mode)."""

    make = staticmethod(make)
    hook = staticmethod(hook)
    waved = staticmethod(waved)
    annotated = staticmethod(annotated)
    HOOK = HOOK
    POLICY = POLICY
    WAVE = WAVE
    OPTIONS = OPTIONS


@pytest.fixture
def k8s() -> type[Builders]:
    return Builders
