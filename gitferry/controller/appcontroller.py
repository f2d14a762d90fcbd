"""The application controller: keeps every Application's destination as Git says.

The outer loop is bookkeeping (DESIGN section 3): a watch-based cache of the management
cluster feeds Applications, AppProjects, cluster and repository Secrets and `argocd-cm` into
a work queue; one live cache per destination cluster reports changes to tracked objects
(debounced into one refresh per app); a periodic requeue (120 s plus jitter by default)
catches what no event reports. A worker takes one app at a time and runs `reconcile.process`.

Started by `gitferry controller` (and `gitferry up`); `refresh_repository` is the entry point
webhooks and Git post-receive hooks call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitferry._kit.clock import Clock, SystemClock
from gitferry._kit.workqueue import WorkQueue
from gitferry.cluster import connect
from gitferry.cluster.cache import Change, LiveCache
from gitferry.cluster.client import KubeClient
from gitferry.controller import reconcile
from gitferry.controller.clusters import Clusters, is_cluster_secret
from gitferry.controller.settings import Settings
from gitferry.diff.jqpaths import JqRunner
from gitferry.diff.settings import CompareSettings
from gitferry.model.application import IN_CLUSTER
from gitferry.model.errors import GitFerryError
from gitferry.render.renderer import Renderer
from gitferry.source import credentials
from gitferry.source.repositories import Repositories

log = logging.getLogger(__name__)

APP_GROUP = "argoproj.io"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"


@dataclass(frozen=True, kw_only=True)
class ControllerOptions:
    """How the controller runs (the things argocd-cm does not say)."""

    # The control-plane namespace: Applications, projects and settings live here.
    namespace: str = "argocd"
    # Applications processed at once.
    workers: int = 32
    # Where repository mirrors and snapshots are kept.
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "gitferry")
    # Delay between sync waves (Argo CD's ARGOCD_SYNC_WAVE_DELAY).
    wave_delay: float = 2.0
    # Debounce of live-object events before an app is refreshed.
    live_debounce: float = 0.25
    # Self-heal backoff: base seconds, factor, cap (Argo CD's defaults).
    self_heal_backoff: tuple[float, float, float] = (2.0, 3.0, 300.0)
    # Override argocd-cm timeout.reconciliation (None: use the setting).
    reconciliation_timeout: float | None = None


class AppController:
    """One controller process for one management cluster."""

    def __init__(
        self,
        management: connect.ClusterTarget,
        options: ControllerOptions | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.options = options or ControllerOptions()
        self.clock = clock or SystemClock()
        self.management = management
        self.client = KubeClient(management)
        self.cache = LiveCache(self.client, on_change=self._on_management_change, every_change=True)
        self.clusters = Clusters(
            management, self.client, self.cache, on_change=self._on_live_change
        )
        self.settings = Settings()
        self.repository_secrets: list[dict[str, Any]] = []
        self.repositories = Repositories(
            self.options.cache_dir / "repos", credentials=self._credentials, clock=self.clock
        )
        self.renderer = Renderer()
        self.compare_settings = CompareSettings()
        self.jq = JqRunner()
        self.queue = WorkQueue()
        self._workers: list[asyncio.Task[None]] = []
        self._started = asyncio.Event()
        self.state = reconcile.ControllerState()
        # Other loops of this process fed by the same watch cache (the ApplicationSet
        # controller); called with every management-cluster change once started.
        self.listeners: list[Callable[[Change], None]] = []

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        await self.cache.start()
        self._reload_settings()
        self._reload_secrets()
        for app in self.applications():
            self.queue.add(_key(app))
        self._workers = [
            asyncio.create_task(self._work(), name=f"app worker {i}")
            for i in range(self.options.workers)
        ]
        self._started.set()
        log.info("controller started: %d applications", len(self._workers))

    async def run(self) -> None:
        """Start and run until cancelled."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        self.queue.close()
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker
        await self.clusters.close()
        await self.cache.stop()
        await self.client.close()
        self.renderer.close()
        self.jq.close()

    # -- inputs --------------------------------------------------------------------------

    def _credentials(self, url: str) -> credentials.Credentials | None:
        return credentials.pick(url, self.repository_secrets)

    def applications(self) -> list[dict[str, Any]]:
        namespace = self.options.namespace
        return [
            obj
            for obj in self.cache.of_kind(APP_GROUP, "Application")
            if obj["metadata"].get("namespace") == namespace
        ]

    def application(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.cache.get((APP_GROUP, "Application", namespace, name))

    def project(self, name: str) -> dict[str, Any] | None:
        return self.cache.get((APP_GROUP, "AppProject", self.options.namespace, name))

    def _reload_settings(self) -> None:
        configmap = self.cache.get(("", "ConfigMap", self.options.namespace, "argocd-cm"))
        self.settings = Settings.from_configmap(configmap)
        try:
            self.compare_settings = CompareSettings.from_configmap(self.settings.data)
        except GitFerryError as err:
            # Keep the previous valid customisations; report the bad key.
            log.warning("%s", err)

    def _reload_secrets(self) -> None:
        secrets = [
            obj
            for obj in self.cache.objects()
            if obj.get("kind") == "Secret"
            and obj["metadata"].get("namespace") == self.options.namespace
        ]
        self.clusters.update([s for s in secrets if is_cluster_secret(s)])
        self.repository_secrets = [
            s
            for s in secrets
            if (
                (s["metadata"].get("labels") or {}).get("argocd.argoproj.io/secret-type")
                in ("repository", "repo-creds")
            )
        ]

    # -- events --------------------------------------------------------------------------

    def _on_management_change(self, change: Change) -> None:
        if self._started.is_set():
            for listener in self.listeners:
                listener(change)
        obj = change.obj
        kind, namespace = obj.get("kind"), obj["metadata"].get("namespace")
        if namespace == self.options.namespace and _group(obj) == APP_GROUP:
            if kind == "Application" and _needs_processing(change):
                self.queue.add(_key(obj))
            elif kind == "AppProject":
                for app in self.applications():
                    if (app.get("spec") or {}).get("project", "default") == obj["metadata"]["name"]:
                        self.queue.add(_key(app))
        elif namespace == self.options.namespace and kind == "Secret" and self._started.is_set():
            self._reload_secrets()
            self._requeue_all()
        elif (
            namespace == self.options.namespace
            and kind == "ConfigMap"
            and obj["metadata"]["name"] == "argocd-cm"
            and self._started.is_set()
        ):
            self._reload_settings()
            self._requeue_all()
        if change.instances:
            self._on_live_change(IN_CLUSTER, change)

    def _on_live_change(self, server: str, change: Change) -> None:
        for instance in change.instances:
            namespace, _, name = instance.rpartition("_")
            self.queue.add(
                f"{namespace or self.options.namespace}/{name}", self.options.live_debounce
            )

    def _requeue_all(self) -> None:
        for app in self.applications():
            self.queue.add(_key(app))

    async def refresh_repository(self, url: str) -> int:
        """A push happened to `url`: fetch it now and refresh every app that uses it.
        Returns how many apps were queued."""
        await self.repositories.refresh(url)
        count = 0
        wanted = url.rstrip("/")
        for app in self.applications():
            spec = app.get("spec") or {}
            sources = spec.get("sources") or [spec.get("source") or {}]
            if any(str(s.get("repoURL", "")).rstrip("/") == wanted for s in sources):
                self.queue.add(_key(app))
                count += 1
        return count

    # -- workers -------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            key = await self.queue.get()
            if key is None:
                return
            try:
                next_in = await reconcile.process(self, key)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("app %s: reconcile failed", key)
                next_in = 10.0
            finally:
                self.queue.done(key)
            if next_in is not None:
                self.queue.add(key, next_in)

    def periodic_delay(self) -> float | None:
        """When to refresh an app again without any event (None: never)."""
        timeout = self.options.reconciliation_timeout
        if timeout is None:
            timeout = self.settings.reconciliation_timeout
        if timeout <= 0:
            return None
        return timeout + random.uniform(0, self.settings.reconciliation_jitter)


def _group(obj: dict[str, Any]) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[0]


def _key(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def _needs_processing(change: Change) -> bool:
    """Whether an Application change is more than our own status write."""
    if change.type != "MODIFIED" or change.old is None:
        return True
    old, new = change.old, change.obj
    if old.get("spec") != new.get("spec") or old.get("operation") != new.get("operation"):
        return True
    old_meta, new_meta = old["metadata"], new["metadata"]
    return any(
        old_meta.get(field_name) != new_meta.get(field_name)
        for field_name in ("annotations", "labels", "finalizers", "deletionTimestamp")
    )
