"""The persisted shapes of a sync: `app.operation` (the request) and `status.operationState`
(its progress and per-resource results).

Frozen dataclasses whose `from_dict`/`to_dict` use Argo CD's JSON field names exactly, so an
Application written by Argo CD reads here unchanged and one written here reads in Argo CD
(reference 3.11). Phases and result codes are StrEnums. Pure. Used by the sync executor
(`gitferry.sync`), by the controller's operation runner, which stores these on the
Application, and by the API server and CLI that show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from gitferry._kit.clock import parse_rfc3339, rfc3339
from gitferry.model.errors import InvalidSpecError

Json = dict[str, Any]
E = TypeVar("E", bound=StrEnum)


class OperationPhase(StrEnum):
    """`operationState.phase`, also a task's `hookPhase`."""

    RUNNING = "Running"
    TERMINATING = "Terminating"
    FAILED = "Failed"
    ERROR = "Error"
    SUCCEEDED = "Succeeded"

    @property
    def completed(self) -> bool:
        return self in (OperationPhase.FAILED, OperationPhase.ERROR, OperationPhase.SUCCEEDED)


class ResultCode(StrEnum):
    """`syncResult.resources[].status`."""

    SYNCED = "Synced"
    SYNC_FAILED = "SyncFailed"
    PRUNED = "Pruned"
    PRUNE_SKIPPED = "PruneSkipped"


class SyncPhase(StrEnum):
    """The phase a task runs in, in running order."""

    PRE_SYNC = "PreSync"
    SYNC = "Sync"
    POST_SYNC = "PostSync"
    SYNC_FAIL = "SyncFail"


class Strategy(StrEnum):
    """`sync.syncStrategy`: `hook` (the default) runs hooks, `apply` skips them."""

    APPLY = "apply"
    HOOK = "hook"


def _obj(data: Any, where: str) -> Json:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidSpecError(f"{where}: must be an object")
    return data


def _strs(data: Any, where: str) -> tuple[str, ...]:
    if data is None:
        return ()
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise InvalidSpecError(f"{where}: must be a list of strings")
    return tuple(data)


def _enum(kind: type[E], value: Any, where: str) -> E | None:
    if value in (None, ""):
        return None
    try:
        return kind(value)
    except ValueError:
        raise InvalidSpecError(f"{where}: unknown value {value!r}") from None


def _time(value: Any, where: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_rfc3339(str(value))
    except ValueError:
        raise InvalidSpecError(f"{where}: not an RFC 3339 time: {value!r}") from None


def _put(out: Json, key: str, value: Any) -> None:
    """Go's `omitempty`: leave out empty strings, lists, maps, false and zero."""
    if value not in (None, "", 0, False, (), [], {}):
        out[key] = value


@dataclass(frozen=True)
class SyncOperationResource:
    """One entry of `sync.resources` (a selective sync)."""

    kind: str
    name: str
    group: str = ""
    namespace: str = ""

    def matches(self, group: str, kind: str, namespace: str, name: str) -> bool:
        """Argo CD's `HasIdentity`: an empty namespace matches any namespace."""
        return (self.group, self.kind, self.name) == (group, kind, name) and self.namespace in (
            "",
            namespace,
        )

    @classmethod
    def from_dict(cls, data: Any) -> SyncOperationResource:
        d = _obj(data, "sync.resources[]")
        return cls(
            kind=str(d.get("kind") or ""),
            name=str(d.get("name") or ""),
            group=str(d.get("group") or ""),
            namespace=str(d.get("namespace") or ""),
        )

    def to_dict(self) -> Json:
        out: Json = {}
        _put(out, "group", self.group)
        out["kind"] = self.kind
        out["name"] = self.name
        _put(out, "namespace", self.namespace)
        return out


@dataclass(frozen=True)
class SyncOperation:
    """`operation.sync`: what to sync and how."""

    revision: str = ""
    revisions: tuple[str, ...] = ()
    source: Json | None = None  # the ApplicationSource, kept as stored
    sources: tuple[Json, ...] = ()
    prune: bool = False
    dry_run: bool = False
    strategy: Strategy | None = None  # None: not written, which means `hook`
    force: bool = False  # the strategy's `force`
    resources: tuple[SyncOperationResource, ...] = ()
    manifests: tuple[str, ...] = ()
    sync_options: tuple[str, ...] = ()
    self_heal_attempts_count: int = 0

    @property
    def skips_hooks(self) -> bool:
        """Hooks do not run for the apply strategy (rollbacks use it) or a selective sync."""
        return self.strategy is Strategy.APPLY or bool(self.resources)

    @classmethod
    def from_dict(cls, data: Any) -> SyncOperation:
        d = _obj(data, "operation.sync")
        strategy_data = _obj(d.get("syncStrategy"), "sync.syncStrategy")
        strategy = None
        force = False
        for candidate in (Strategy.APPLY, Strategy.HOOK):
            if candidate.value in strategy_data:
                strategy = candidate
                force = bool(_obj(strategy_data[candidate.value], "syncStrategy").get("force"))
                break
        source = d.get("source")
        return cls(
            revision=str(d.get("revision") or ""),
            revisions=_strs(d.get("revisions"), "sync.revisions"),
            source=_obj(source, "sync.source") if source is not None else None,
            sources=tuple(_obj(s, "sync.sources[]") for s in d.get("sources") or ()),
            prune=bool(d.get("prune")),
            dry_run=bool(d.get("dryRun")),
            strategy=strategy,
            force=force,
            resources=tuple(SyncOperationResource.from_dict(r) for r in d.get("resources") or ()),
            manifests=_strs(d.get("manifests"), "sync.manifests"),
            sync_options=_strs(d.get("syncOptions"), "sync.syncOptions"),
            self_heal_attempts_count=int(d.get("autoHealAttemptsCount") or 0),
        )

    def to_dict(self) -> Json:
        out: Json = {}
        _put(out, "revision", self.revision)
        _put(out, "prune", self.prune)
        _put(out, "dryRun", self.dry_run)
        if self.strategy is not None:
            inner: Json = {"force": True} if self.force else {}
            out["syncStrategy"] = {self.strategy.value: inner}
        _put(out, "resources", [r.to_dict() for r in self.resources])
        if self.source is not None:
            out["source"] = self.source
        _put(out, "manifests", list(self.manifests))
        _put(out, "syncOptions", list(self.sync_options))
        _put(out, "sources", list(self.sources))
        _put(out, "revisions", list(self.revisions))
        _put(out, "autoHealAttemptsCount", self.self_heal_attempts_count)
        return out


@dataclass(frozen=True)
class Backoff:
    """`retry.backoff`; empty values mean Argo CD's defaults (5s, 2, 3m)."""

    duration: str = ""
    factor: int | None = None
    max_duration: str = ""


@dataclass(frozen=True)
class RetryStrategy:
    """`operation.retry`: `limit` 0 is no retry, negative is unlimited (reference 2.5)."""

    limit: int = 0
    backoff: Backoff | None = None
    refresh: bool = False

    @classmethod
    def from_dict(cls, data: Any) -> RetryStrategy:
        d = _obj(data, "operation.retry")
        backoff = None
        if d.get("backoff") is not None:
            b = _obj(d["backoff"], "retry.backoff")
            factor = b.get("factor")
            backoff = Backoff(
                duration=str(b.get("duration") or ""),
                factor=int(factor) if factor is not None else None,
                max_duration=str(b.get("maxDuration") or ""),
            )
        return cls(int(d.get("limit") or 0), backoff, bool(d.get("refresh")))

    def to_dict(self) -> Json:
        out: Json = {}
        _put(out, "limit", self.limit)
        if self.backoff is not None:
            b: Json = {}
            _put(b, "duration", self.backoff.duration)
            if self.backoff.factor is not None:
                b["factor"] = self.backoff.factor
            _put(b, "maxDuration", self.backoff.max_duration)
            out["backoff"] = b
        _put(out, "refresh", self.refresh)
        return out


@dataclass(frozen=True)
class Operation:
    """`app.operation`: a requested sync, who asked for it, and its retry strategy."""

    sync: SyncOperation | None = None
    username: str = ""  # initiatedBy.username
    automated: bool = False  # initiatedBy.automated
    info: tuple[tuple[str, str], ...] = ()  # (name, value) pairs
    retry: RetryStrategy = field(default_factory=RetryStrategy)

    @classmethod
    def from_dict(cls, data: Any) -> Operation:
        d = _obj(data, "operation")
        initiated = _obj(d.get("initiatedBy"), "operation.initiatedBy")
        info = tuple(
            (str(i.get("name") or ""), str(i.get("value") or ""))
            for i in (_obj(item, "operation.info[]") for item in d.get("info") or ())
        )
        return cls(
            sync=SyncOperation.from_dict(d["sync"]) if d.get("sync") is not None else None,
            username=str(initiated.get("username") or ""),
            automated=bool(initiated.get("automated")),
            info=info,
            retry=RetryStrategy.from_dict(d.get("retry")),
        )

    def to_dict(self) -> Json:
        out: Json = {}
        if self.sync is not None:
            out["sync"] = self.sync.to_dict()
        initiated: Json = {}
        _put(initiated, "username", self.username)
        _put(initiated, "automated", self.automated)
        out["initiatedBy"] = initiated
        _put(out, "info", [{"name": n, "value": v} for n, v in self.info])
        out["retry"] = self.retry.to_dict()
        return out


@dataclass(frozen=True)
class ManagedNamespaceMetadata:
    """`syncPolicy.managedNamespaceMetadata`, copied into every `syncResult`."""

    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> ManagedNamespaceMetadata:
        d = _obj(data, "managedNamespaceMetadata")
        labels = _obj(d.get("labels"), "managedNamespaceMetadata.labels")
        annotations = _obj(d.get("annotations"), "managedNamespaceMetadata.annotations")
        return cls(
            {str(k): str(v) for k, v in labels.items()},
            {str(k): str(v) for k, v in annotations.items()},
        )

    def to_dict(self) -> Json:
        out: Json = {}
        _put(out, "labels", dict(self.labels))
        _put(out, "annotations", dict(self.annotations))
        return out


@dataclass(frozen=True)
class ResourceResult:
    """One entry of `syncResult.resources`: what happened to one object in one phase."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    status: ResultCode | None = None
    message: str = ""
    hook_type: str = ""  # the phase a hook ran in; empty for resources
    hook_phase: OperationPhase | None = None  # the task's own phase, hooks or not
    sync_phase: SyncPhase | None = None
    images: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """`group/kind/namespace/name:syncPhase`, the key tasks are matched by."""
        phase = self.sync_phase.value if self.sync_phase else ""
        return f"{self.group}/{self.kind}/{self.namespace}/{self.name}:{phase}"

    @classmethod
    def from_dict(cls, data: Any) -> ResourceResult:
        d = _obj(data, "syncResult.resources[]")
        return cls(
            group=str(d.get("group") or ""),
            version=str(d.get("version") or ""),
            kind=str(d.get("kind") or ""),
            namespace=str(d.get("namespace") or ""),
            name=str(d.get("name") or ""),
            status=_enum(ResultCode, d.get("status"), "resources[].status"),
            message=str(d.get("message") or ""),
            hook_type=str(d.get("hookType") or ""),
            hook_phase=_enum(OperationPhase, d.get("hookPhase"), "resources[].hookPhase"),
            sync_phase=_enum(SyncPhase, d.get("syncPhase"), "resources[].syncPhase"),
            images=_strs(d.get("images"), "resources[].images"),
        )

    def to_dict(self) -> Json:
        out: Json = {
            "group": self.group,
            "version": self.version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }
        _put(out, "status", self.status.value if self.status else "")
        _put(out, "message", self.message)
        _put(out, "hookType", self.hook_type)
        _put(out, "hookPhase", self.hook_phase.value if self.hook_phase else "")
        _put(out, "syncPhase", self.sync_phase.value if self.sync_phase else "")
        _put(out, "images", list(self.images))
        return out


@dataclass(frozen=True)
class SyncResult:
    """`operationState.syncResult`: the pinned revision(s) and source(s), and the results."""

    revision: str = ""
    revisions: tuple[str, ...] = ()
    source: Json | None = None
    sources: tuple[Json, ...] = ()
    resources: tuple[ResourceResult, ...] = ()
    managed_namespace_metadata: ManagedNamespaceMetadata | None = None

    @classmethod
    def from_dict(cls, data: Any) -> SyncResult:
        d = _obj(data, "syncResult")
        mnm = d.get("managedNamespaceMetadata")
        return cls(
            revision=str(d.get("revision") or ""),
            revisions=_strs(d.get("revisions"), "syncResult.revisions"),
            source=_obj(d["source"], "syncResult.source") if d.get("source") else None,
            sources=tuple(_obj(s, "syncResult.sources[]") for s in d.get("sources") or ()),
            resources=tuple(ResourceResult.from_dict(r) for r in d.get("resources") or ()),
            managed_namespace_metadata=(
                ManagedNamespaceMetadata.from_dict(mnm) if mnm is not None else None
            ),
        )

    def to_dict(self) -> Json:
        out: Json = {}
        _put(out, "resources", [r.to_dict() for r in self.resources])
        out["revision"] = self.revision
        if self.source is not None:
            out["source"] = self.source
        _put(out, "sources", list(self.sources))
        _put(out, "revisions", list(self.revisions))
        if self.managed_namespace_metadata is not None:
            out["managedNamespaceMetadata"] = self.managed_namespace_metadata.to_dict()
        return out


@dataclass(frozen=True)
class OperationState:
    """`status.operationState`: the progress of the current or last operation."""

    operation: Operation
    phase: OperationPhase
    started_at: datetime
    message: str = ""
    sync_result: SyncResult | None = None
    finished_at: datetime | None = None
    retry_count: int = 0

    def with_results(
        self, phase: OperationPhase, message: str, resources: tuple[ResourceResult, ...]
    ) -> OperationState:
        """A copy with a new phase, message and result list (the other fields kept)."""
        result = replace(self.sync_result or SyncResult(), resources=resources)
        return replace(self, phase=phase, message=message, sync_result=result)

    @classmethod
    def from_dict(cls, data: Any) -> OperationState:
        d = _obj(data, "operationState")
        phase = _enum(OperationPhase, d.get("phase"), "operationState.phase")
        started = _time(d.get("startedAt"), "operationState.startedAt")
        if phase is None or started is None:
            raise InvalidSpecError("operationState: phase and startedAt are required")
        result = d.get("syncResult")
        return cls(
            operation=Operation.from_dict(d.get("operation")),
            phase=phase,
            started_at=started,
            message=str(d.get("message") or ""),
            sync_result=SyncResult.from_dict(result) if result is not None else None,
            finished_at=_time(d.get("finishedAt"), "operationState.finishedAt"),
            retry_count=int(d.get("retryCount") or 0),
        )

    def to_dict(self) -> Json:
        out: Json = {"operation": self.operation.to_dict(), "phase": self.phase.value}
        _put(out, "message", self.message)
        if self.sync_result is not None:
            out["syncResult"] = self.sync_result.to_dict()
        out["startedAt"] = rfc3339(self.started_at)
        if self.finished_at is not None:
            out["finishedAt"] = rfc3339(self.finished_at)
        _put(out, "retryCount", self.retry_count)
        return out
