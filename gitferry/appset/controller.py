"""The ApplicationSet controller: keeps every ApplicationSet's Applications as its generators
and template say (reference 5), in the same process as the application controller.

It shares the application controller's watch cache of the management cluster (the composition
root subscribes `on_change`) and its repository cache. An ApplicationSet is reconciled when it
changes, when one of its Applications changes (debounced: their health drives RollingSync and
`status.resources`), when a cluster Secret changes, when it carries the refresh annotation a
push's webhook sets, and periodically for git generators (`requeueAfterSeconds`, 180 s by
default). One pass:

1. generate (`generate.generate`); a generator or template error, or an invalid generated
   Application, aborts the pass with `ErrorOccurred` naming it and changes nothing;
2. under RollingSync, plan the rollout (`rollingsync`) and prepare the Applications;
3. create, update and delete as the applicationsSync policy allows (`ownership`);
4. write `status`: conditions ErrorOccurred, ParametersGenerated, ResourcesUpToDate and
   RolloutProgressing, `resources`, and `applicationStatus` under RollingSync.

Started by `gitferry controller` (and so by `gitferry up`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gitferry._kit.clock import Clock, SystemClock, rfc3339
from gitferry._kit.workqueue import WorkQueue
from gitferry.appset import generate, ownership, rollingsync
from gitferry.appset import params as parameters
from gitferry.appset.errors import ApplicationSetError
from gitferry.appset.gitreader import GitReader
from gitferry.cluster.cache import Change, LiveCache
from gitferry.cluster.client import ApiStatusError, KubeClient
from gitferry.model.errors import GitFerryError

log = logging.getLogger(__name__)

Obj = dict[str, Any]
GROUP = "argoproj.io"
API_VERSION = "argoproj.io/v1alpha1"
REFRESH_ANNOTATION = "argocd.argoproj.io/application-set-refresh"
CLUSTER_LABEL = "argocd.argoproj.io/secret-type"
MANAGER = "argocd-applicationset-controller"
DEFAULT_REQUEUE = 180.0
ERROR_REQUEUE = 180.0
RETRYABLE_REQUEUE = 10.0
APP_DEBOUNCE = 1.0


@dataclass(frozen=True, kw_only=True)
class AppSetOptions:
    """How the ApplicationSet controller runs."""

    # The control-plane namespace: ApplicationSets, Applications and cluster Secrets.
    namespace: str = "argocd"
    # ApplicationSets reconciled at once.
    workers: int = 2


class AppSetController:
    """Reconciles the ApplicationSets of one control-plane namespace."""

    def __init__(
        self,
        client: KubeClient,
        cache: LiveCache,
        git: GitReader,
        options: AppSetOptions | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.cache = cache
        self.git = git
        self.options = options or AppSetOptions()
        self.clock = clock or SystemClock()
        self.queue = WorkQueue()
        self._workers: list[asyncio.Task[None]] = []

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers (the shared cache must be started already)."""
        for appset in self._appsets():
            self.queue.add(_key(appset))
        self._workers = [
            asyncio.create_task(self._work(), name=f"appset worker {i}")
            for i in range(self.options.workers)
        ]

    async def stop(self) -> None:
        self.queue.close()
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker

    # -- events --------------------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        """A management-cluster object changed (called by the shared cache's listener)."""
        obj = change.obj
        meta = obj.get("metadata") or {}
        if meta.get("namespace") != self.options.namespace:
            return
        kind, group = obj.get("kind"), _group(obj)
        if kind == "ApplicationSet" and group == GROUP:
            if change.type != "DELETED" and _spec_or_refresh_changed(change):
                self.queue.add(_key(obj))
        elif kind == "Application" and group == GROUP:
            for ref in meta.get("ownerReferences") or ():
                if ref.get("kind") == "ApplicationSet" and ref.get("controller"):
                    self.queue.add(f"{meta['namespace']}/{ref.get('name')}", APP_DEBOUNCE)
        elif kind == "Secret" and (meta.get("labels") or {}).get(CLUSTER_LABEL) == "cluster":
            for appset in self._appsets():
                self.queue.add(_key(appset), APP_DEBOUNCE)

    # -- work ----------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            key = await self.queue.get()
            if key is None:
                return
            try:
                next_in = await self.reconcile(key)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("applicationset %s: reconcile failed", key)
                next_in = RETRYABLE_REQUEUE
            finally:
                self.queue.done(key)
            if next_in is not None:
                self.queue.add(key, next_in)

    async def reconcile(self, key: str) -> float | None:
        """One pass over one ApplicationSet; returns when to look again (None: on events)."""
        namespace, _, name = key.partition("/")
        appset = self.cache.get((GROUP, "ApplicationSet", namespace, name))
        if appset is None or (appset.get("metadata") or {}).get("deletionTimestamp"):
            return None
        refresh = (appset["metadata"].get("annotations") or {}).get(REFRESH_ANNOTATION)
        if refresh:
            await self._refresh_repositories(appset)
        live_apps = self._applications()
        try:
            result = await generate.generate(appset, clusters=self._cluster_secrets(), git=self.git)
        except ApplicationSetError as err:
            await self._write_status(appset, _failed(err.reason, str(err)), refresh=bool(refresh))
            return RETRYABLE_REQUEUE if err.retryable else ERROR_REQUEUE
        problems = self._invalid(appset, result)
        if problems:
            await self._write_status(
                appset, _failed("ApplicationValidationError", problems), refresh=bool(refresh)
            )
            return ERROR_REQUEUE
        desired = result.applications
        rollout = None
        if rollingsync.enabled(appset):
            steps = ((appset["spec"].get("strategy") or {}).get("rollingSync") or {}).get(
                "steps"
            ) or []
            owned = ownership.owned(appset, live_apps)
            previous = (appset.get("status") or {}).get("applicationStatus") or []
            rollout = rollingsync.plan(steps, desired, owned, previous, self.clock.now())
            desired = rollingsync.prepare(desired, rollout)
        try:
            changes = ownership.changes(appset, desired, result.names, live_apps)
        except ValueError as err:
            await self._write_status(
                appset, _failed("ApplicationSetSpecError", str(err)), refresh=bool(refresh)
            )
            return ERROR_REQUEUE
        errors = changes.errors + await self._apply(changes)
        errors += ownership.unsupported_rules(appset)
        warnings = [result.validation_message()] if result.duplicates else []
        status = self._status(appset, desired, errors + warnings, rollout)
        await self._write_status(appset, status, refresh=bool(refresh))
        return _requeue(appset)

    def _invalid(self, appset: Obj, result: generate.Generated) -> str:
        """Why the generated Applications cannot be written (duplicates only warn)."""
        broken = [item for item in result.invalid if not item.duplicate]
        if not broken:
            return ""
        first = broken[0]
        params = (
            result.parameters[first.index].params if first.index < len(result.parameters) else None
        )
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        where = f" (parameters {parameters.describe(params)})" if params is not None else ""
        return f"{first.message}{where}{more}; nothing was created or deleted"

    async def _apply(self, changes: ownership.Changes) -> list[str]:
        errors: list[str] = []
        for app in changes.create:
            try:
                await self.client.create(app, manager=MANAGER)
            except (ApiStatusError, GitFerryError) as err:
                errors.append(f"application {app['metadata']['name']}: create failed: {err}")
        for app in changes.update:
            try:
                await self.client.replace(app, manager=MANAGER)
            except ApiStatusError as err:
                if err.code != 409:  # changed meanwhile: the change event brings us back
                    errors.append(f"application {app['metadata']['name']}: update failed: {err}")
        for app in changes.delete:
            meta = app["metadata"]
            try:
                await self.client.delete(
                    API_VERSION, "Application", meta["namespace"], meta["name"],
                    propagation="Background",
                )  # fmt: skip
            except (ApiStatusError, GitFerryError) as err:
                errors.append(f"application {meta['name']}: delete failed: {err}")
        return errors

    # -- status --------------------------------------------------------------------------

    def _status(
        self,
        appset: Obj,
        desired: Sequence[Obj],
        errors: list[str],
        rollout: rollingsync.RolloutPlan | None,
    ) -> Obj:
        live = {app["metadata"]["name"]: app for app in self._applications()}
        resources = []
        for app in sorted(desired, key=lambda a: str(a["metadata"]["name"])):
            name = app["metadata"]["name"]
            state = (live.get(name) or {}).get("status") or {}
            resources.append(
                {
                    "group": GROUP,
                    "version": "v1alpha1",
                    "kind": "Application",
                    "namespace": self.options.namespace,
                    "name": name,
                    "status": (state.get("sync") or {}).get("status", "Unknown"),
                    "health": {"status": (state.get("health") or {}).get("status", "Unknown")},
                }
            )
        conditions = _conditions(
            error=("ApplicationSetUpdateError", "; ".join(errors)) if errors else None,
            rollout=rollout,
        )
        status: Obj = {"conditions": conditions, "resources": resources}
        if rollout is not None:
            status["applicationStatus"] = rollout.statuses
        return status

    async def _write_status(self, appset: Obj, status: Obj, *, refresh: bool) -> None:
        old = appset.get("status") or {}
        status = {**old, **status}
        status["conditions"] = _keep_transition_times(
            old.get("conditions") or [], status.get("conditions") or [], self.clock
        )
        meta = appset["metadata"]
        if status != old:
            try:
                await self.client.patch(
                    API_VERSION, "ApplicationSet", meta["namespace"], meta["name"],
                    {"status": status}, manager=MANAGER, subresource="status",
                )  # fmt: skip
            except ApiStatusError as err:
                if err.code not in (404, 409):
                    raise
        if refresh:
            patch = {"metadata": {"annotations": {REFRESH_ANNOTATION: None}}}
            with contextlib.suppress(ApiStatusError):
                await self.client.patch(
                    API_VERSION, "ApplicationSet", meta["namespace"], meta["name"], patch,
                    manager=MANAGER,
                )  # fmt: skip

    # -- inputs --------------------------------------------------------------------------

    async def _refresh_repositories(self, appset: Obj) -> None:
        refresh = getattr(self.git, "refresh", None)
        if refresh is None:
            return
        for url in sorted(git_repositories(appset.get("spec") or {})):
            try:
                await refresh(url)
            except GitFerryError as err:
                log.info("applicationset %s: refresh of %s failed: %s", _key(appset), url, err)

    def _appsets(self) -> list[Obj]:
        return self._of_kind("ApplicationSet")

    def _applications(self) -> list[Obj]:
        return self._of_kind("Application")

    def _of_kind(self, kind: str) -> list[Obj]:
        return [
            obj
            for obj in self.cache.objects()
            if obj.get("kind") == kind
            and _group(obj) == GROUP
            and obj["metadata"].get("namespace") == self.options.namespace
        ]

    def _cluster_secrets(self) -> list[Obj]:
        return [
            obj
            for obj in self.cache.objects()
            if obj.get("kind") == "Secret"
            and obj["metadata"].get("namespace") == self.options.namespace
            and (obj["metadata"].get("labels") or {}).get(CLUSTER_LABEL) == "cluster"
        ]


def _failed(reason: str, message: str) -> Obj:
    """The status of a pass that changed nothing."""
    return {
        "conditions": [
            _condition("ErrorOccurred", "True", reason, message),
            _condition("ParametersGenerated", "False", reason, message),
            _condition("ResourcesUpToDate", "False", reason, message),
        ]
    }


def _conditions(
    *, error: tuple[str, str] | None, rollout: rollingsync.RolloutPlan | None
) -> list[Obj]:
    done = "All applications have been generated successfully"
    generated = _condition(
        "ParametersGenerated",
        "True",
        "ParametersGenerated",
        "Successfully generated parameters for all Applications",
    )
    if error is not None:
        found = [
            _condition("ErrorOccurred", "True", *error),
            generated,
            _condition("ResourcesUpToDate", "False", *error),
        ]
    else:
        found = [
            _condition("ErrorOccurred", "False", "ApplicationSetUpToDate", done),
            generated,
            _condition("ResourcesUpToDate", "True", "ApplicationSetUpToDate", done),
        ]
    if rollout is not None:
        waiting = [s for s in rollout.statuses if s.get("status") != rollingsync.HEALTHY]
        if waiting:
            found.append(
                _condition(
                    "RolloutProgressing",
                    "True",
                    "ApplicationSetModified",
                    f"ApplicationSet Rollout is progressing: {len(waiting)} application(s) "
                    "not Healthy yet",
                )
            )
        else:
            found.append(
                _condition(
                    "RolloutProgressing",
                    "False",
                    "ApplicationSetRolloutComplete",
                    "ApplicationSet Rollout has completed",
                )
            )
    return found


def _condition(kind: str, status: str, reason: str, message: str) -> Obj:
    return {"type": kind, "status": status, "reason": reason, "message": message}


def _keep_transition_times(old: list[Obj], new: list[Obj], clock: Clock) -> list[Obj]:
    previous = {c.get("type"): c for c in old}
    now = rfc3339(clock.now())
    out = []
    for condition in new:
        before = previous.get(condition["type"])
        same = before is not None and before.get("status") == condition["status"]
        stamp = before.get("lastTransitionTime") if same and before else now
        out.append({**condition, "lastTransitionTime": stamp or now})
    return out


def _requeue(appset: Obj) -> float | None:
    """Git generators are polled (requeueAfterSeconds, default 180 s); the others react to
    events only."""
    delays = [
        float(seconds) if seconds is not None else DEFAULT_REQUEUE
        for seconds, kind in _generator_requeues((appset.get("spec") or {}).get("generators"))
        if kind == "git" or seconds is not None
    ]
    return min(delays) if delays else None


def _generator_requeues(entries: Any) -> list[tuple[Any, str]]:
    found: list[tuple[Any, str]] = []
    for entry in entries or ():
        if not isinstance(entry, dict):
            continue
        for kind, body in entry.items():
            if not isinstance(body, dict):
                continue
            if kind in ("matrix", "merge"):
                found += _generator_requeues(body.get("generators"))
            else:
                found.append((body.get("requeueAfterSeconds"), kind))
    return found


def git_repositories(spec: Any) -> set[str]:
    """The repoURLs of every git generator in an ApplicationSet spec (nested ones too)."""
    urls: set[str] = set()
    if isinstance(spec, dict):
        git = spec.get("git")
        if isinstance(git, dict) and git.get("repoURL"):
            urls.add(str(git["repoURL"]))
        for value in spec.values():
            urls |= git_repositories(value)
    elif isinstance(spec, list):
        for item in spec:
            urls |= git_repositories(item)
    return urls


def _spec_or_refresh_changed(change: Change) -> bool:
    """Our own status writes must not start another pass."""
    if change.type != "MODIFIED" or change.old is None:
        return True
    old, new = change.old, change.obj
    return (
        old.get("spec") != new.get("spec")
        or (old["metadata"].get("annotations") or {}) != (new["metadata"].get("annotations") or {})
        or old["metadata"].get("labels") != new["metadata"].get("labels")
    )


def _group(obj: Obj) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[0]


def _key(obj: Obj) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"
