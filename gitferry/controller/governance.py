"""The AppProject's say over one Application, as the controller enforces it (reference 2, 3).

- `load_project`: the app's project rules (parsed once per project resourceVersion), with
  its project-scoped clusters; an invalid project is a reason not to sync.
- `spec_problems`: the app's namespace, sources and destination against the project
  (`InvalidSpecError` conditions: the app is not compared, nothing is synced).
- `permit` / `permission_check`: whether a rendered resource's kind is permitted, for the sync
  status (`Unknown` and a condition) and for the sync's first step (the whole operation fails
  before anything is applied).
- `window`: the sync windows' decision (automated syncs, manual operations, and operations in
  progress with their start time for `syncOverrun`).
- `verify_sources`: the commit signatures the project requires (`signatureKeys` or
  `sourceIntegrity`), against the public keys of `argocd-gpg-keys-cm`.
- `orphans`: the `OrphanedResourceWarning` of projects that ask for it.

Called by `compare` and `operations`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitferry.cluster.cache import LiveCache
from gitferry.diff import orphans as orphaning
from gitferry.model.application import Application
from gitferry.model.errors import GitFerryError
from gitferry.model.keys import ResourceKey
from gitferry.policy import integrity, violations
from gitferry.policy.project import ClusterRef, Project
from gitferry.policy.windows import SyncDecision, WindowTarget

if TYPE_CHECKING:
    from gitferry.controller.appcontroller import AppController
    from gitferry.controller.clusters import ClusterEntry

Obj = dict[str, Any]
GPG_KEYS_CONFIGMAP = "argocd-gpg-keys-cm"


@dataclass(frozen=True)
class LoadedProject:
    """A parsed project, or why it cannot be used."""

    project: Project | None
    problem: str = ""
    clusters: tuple[ClusterRef, ...] = ()  # clusters registered for this project only


def load_project(ctl: AppController, name: str) -> LoadedProject:
    """The project `name` of the control plane, parsed (cached by resourceVersion)."""
    obj = ctl.project(name)
    if obj is None:
        return LoadedProject(None, f"Application referencing project {name} which does not exist")
    version = obj["metadata"].get("resourceVersion", "")
    cached = ctl.state.projects.get(name)
    if cached is None or cached[0] != version:
        try:
            parsed = LoadedProject(Project.parse(obj))
        except GitFerryError as err:
            parsed = LoadedProject(None, f"AppProject {name}: {err}")
        ctl.state.projects[name] = (version, parsed)
        cached = ctl.state.projects[name]
    loaded = cached[1]
    scoped = tuple(
        ClusterRef(server=entry.server, name=entry.name)
        for entry in ctl.clusters.entries()
        if entry.project == name
    )
    return LoadedProject(loaded.project, loaded.problem, scoped)


def spec_problems(
    ctl: AppController, loaded: LoadedProject, app: Application, entry: ClusterEntry | None
) -> list[str]:
    """What the project refuses of the app itself (no resources yet)."""
    if loaded.project is None:
        return [loaded.problem]
    cluster = ClusterRef(server=entry.server, name=entry.name) if entry is not None else None
    found = violations.violations(
        loaded.project,
        app,
        control_namespace=ctl.options.namespace,
        cluster=cluster,
        project_clusters=loaded.clusters,
    )
    return [v.message for v in found]


def permit(loaded: LoadedProject) -> Callable[[str, str, str, bool], bool] | None:
    """The project's resource check in the shape `diff.syncstatus` takes."""
    return loaded.project.permits_resource if loaded.project is not None else None


def permission_check(
    loaded: LoadedProject, is_namespaced: Callable[[str, str], bool | None]
) -> Callable[[Obj], str | None] | None:
    """The sync's per-object check: None when permitted, else Argo CD's message."""
    project = loaded.project
    if project is None:
        return None

    def check(obj: Obj) -> str | None:
        key = ResourceKey.of(obj)
        namespaced = is_namespaced(key.group, key.kind) is not False
        if project.permits_resource(key.group, key.kind, key.name, namespaced):
            return None
        return f"resource {key.group}:{key.kind} is not permitted in project {project.name}"

    return check


def window(
    loaded: LoadedProject,
    app: Application,
    *,
    manual: bool,
    now: dt.datetime,
    started: dt.datetime | None = None,
) -> SyncDecision:
    """Whether the project's sync windows let `app` sync now."""
    if loaded.project is None:
        return SyncDecision(True, "no project")
    return loaded.project.sync_windows.can_sync(
        WindowTarget.of(app), manual=manual, now=now, operation_started=started
    )


async def verify_sources(
    ctl: AppController, loaded: LoadedProject, app: Application, revisions: list[str]
) -> list[str]:
    """Problems with the signatures of the commits about to be used (empty: all good)."""
    project = loaded.project
    if project is None:
        return []
    problems: list[str] = []
    for source, revision in zip(app.sources, revisions, strict=False):
        if source.chart or not revision or source.is_ref_only:
            continue
        check = project.integrity_for(source.repo_url)
        if check.error:
            problems.append(f"repo {source.repo_url}: {check.error}")
            continue
        if check.mode is integrity.Mode.NONE:
            continue
        if check.mode is integrity.Mode.STRICT:
            problems.append(
                f"repo {source.repo_url}: sourceIntegrity mode strict is not supported by "
                "gitferry yet; use mode head"
            )
            continue
        problems.extend(await _verify(ctl, source.repo_url, revision, check.keys))
    return problems


async def _verify(
    ctl: AppController, url: str, revision: str, allowed: tuple[str, ...]
) -> list[str]:
    keys = ctl.cache.get(("", "ConfigMap", ctl.options.namespace, GPG_KEYS_CONFIGMAP))
    armoured = [str(v) for v in ((keys or {}).get("data") or {}).values()]
    try:
        signature = await ctl.repositories.verify_commit(url, revision, armoured)
    except GitFerryError as err:
        return [f"revision {revision[:12]} of {url}: cannot verify its signature: {err}"]
    wanted = {key.upper() for key in allowed}
    if signature.good and signature.key_id.upper() in wanted:
        return []
    signer = signature.key_id or "nobody"
    if signature.signer:
        signer += f" ({signature.signer})"
    if not signature.good:
        what = f"{signature.status} signature by {signer}"
        if str(signature.status) == "unsigned":
            what = "not signed"
    else:
        what = f"signed by {signer}, which is not an allowed key of the project"
    return [
        f"Target revision {revision} in {url} is {what}; allowed keys: {', '.join(sorted(wanted))}"
    ]


def orphan_warning(
    loaded: LoadedProject,
    app: Application,
    cache: LiveCache | None,
    managed: list[Obj],
    existing_apps: Callable[[], set[str]],
    owner: Callable[[Obj], str],
) -> tuple[str, str] | None:
    """`OrphanedResourceWarning` for a project with `orphanedResources.warn`.
    `existing_apps` gives the names of the Applications that exist; it is only called for a
    project that asks about orphans (it walks every Application)."""
    project = loaded.project
    if project is None or cache is None or project.orphaned_resources is None:
        return None
    settings = orphaning.OrphanedResources.parse(
        (project.raw.get("spec") or {}).get("orphanedResources")
    )
    if settings is None:
        return None
    namespace = app.destination.namespace
    candidates = [
        obj for obj in cache.objects() if (obj.get("metadata") or {}).get("namespace") == namespace
    ]
    found = orphaning.find_orphans(
        candidates,
        settings=settings,
        destination_namespace=namespace,
        managed={ResourceKey.of(obj) for obj in managed},
        owner=owner,
        existing_apps=existing_apps(),
        is_permitted=project.permits_resource,
    )
    condition = orphaning.orphan_condition(found, settings)
    return (condition.type, condition.message) if condition is not None else None
