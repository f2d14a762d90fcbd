"""One comparison of an Application: desired manifests against the destination's live state
(reference 4.1), giving everything its status needs.

Render (cached by revision) -> tracked live objects from the destination's watch cache ->
pairing -> a server-side dry-run apply of every paired target (cached by live
resourceVersion and target digest, so an unchanged app costs no API call) -> normalisation,
ignoreDifferences and the per-resource diff -> sync status -> health. A failure to load the
targets is a `ComparisonError` and leaves every resource `Unknown`; nothing in the cluster is
touched by a comparison.

Called by `reconcile` for every refresh, and for every step of a sync operation (then at the
operation's revision).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from gitferry.cluster.cache import LiveCache, instance_of, key_of
from gitferry.cluster.client import ApiStatusError, KubeClient
from gitferry.controller import governance
from gitferry.controller.clusters import ClusterEntry
from gitferry.diff import compare as diffing
from gitferry.diff import ignore, pairing, syncstatus
from gitferry.health import aggregate
from gitferry.health.assess import HealthOptions
from gitferry.model import keys
from gitferry.model.application import Application
from gitferry.model.errors import ClusterError, GitFerryError
from gitferry.model.keys import ResourceKey, TrackingMethod
from gitferry.render.options import RenderOptions

if TYPE_CHECKING:
    from gitferry.controller.appcontroller import AppController

Obj = dict[str, Any]
DRY_RUN_CONCURRENCY = 16
SHARED_RESOURCE = "SharedResourceWarning"


@dataclass
class Comparison:
    """The outcome of one comparison."""

    app: Application
    entry: ClusterEntry | None = None
    client: KubeClient | None = None
    cache: LiveCache | None = None
    loaded: bool = False
    revisions: list[str] = field(default_factory=list)
    source_types: list[str] = field(default_factory=list)
    targets: list[Obj] = field(default_factory=list)
    live: list[Obj] = field(default_factory=list)
    pairs: list[tuple[pairing.Pair, diffing.ResourceDiff | None]] = field(default_factory=list)
    hooks: list[Obj] = field(default_factory=list)
    sync_status: str = "Unknown"
    resources: list[Obj] = field(default_factory=list)
    health: Obj = field(default_factory=lambda: {"status": "Unknown"})
    conditions: list[tuple[str, str]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    project: governance.LoadedProject = field(
        default_factory=lambda: governance.LoadedProject(None, "not loaded")
    )
    is_namespaced: Any = None  # (group, kind) -> bool | None, from the cluster's discovery

    def out_of_sync_keys(self) -> frozenset[str]:
        """`group/kind/namespace/name` of the live objects whose diff says modified."""
        keys: set[str] = set()
        for pair, diff in self.pairs:
            if pair.live is not None and diff is not None and diff.modified:
                keys.add(str(ResourceKey.of(pair.live)))
        return frozenset(keys)


def _digest(obj: Obj) -> str:
    return hashlib.sha1(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()


def for_revision(obj: Obj, sync: Obj | None) -> Application:
    """The Application to render for an operation: its pinned source(s) and revision(s)."""
    if not sync:
        return Application.parse(obj)
    spec = copy.deepcopy(obj.get("spec") or {})
    if sync.get("sources"):
        spec["sources"] = copy.deepcopy(sync["sources"])
    elif sync.get("source"):
        spec["source"] = copy.deepcopy(sync["source"])
    if sync.get("revisions") and spec.get("sources"):
        for source, revision in zip(spec["sources"], sync["revisions"], strict=False):
            if revision:
                source["targetRevision"] = revision
    elif sync.get("revision") and spec.get("source"):
        spec["source"]["targetRevision"] = sync["revision"]
    return Application.parse({**obj, "spec": spec})


async def compare(ctl: AppController, obj: Obj, app: Application) -> Comparison:
    """Compare `app` (already pinned to a revision when an operation runs)."""
    result = Comparison(app)
    problems = list(app.spec_problems())
    result.project = governance.load_project(ctl, app.project)
    try:
        result.entry = ctl.clusters.resolve(app.destination)
    except GitFerryError as err:
        problems.append(str(err))
    if result.project.project is None:
        problems.append(result.project.problem)
    elif result.entry is not None:
        problems += governance.spec_problems(ctl, result.project, app, result.entry)
    if problems:
        result.conditions += [("InvalidSpecError", p) for p in problems]
        return result
    assert result.entry is not None
    try:
        result.client = ctl.clusters.client(result.entry)
        result.cache = await ctl.clusters.cache(result.entry)
        discovery = await result.client.discovery()
    except (GitFerryError, TimeoutError) as err:
        result.conditions.append(("ComparisonError", f"Failed to load live state: {err}"))
        return result

    def scope(group: str, kind: str) -> bool | None:
        found = discovery.by_group_kind.get((group, kind))
        return None if found is None else found.namespaced

    result.is_namespaced = scope
    settings = ctl.settings
    try:
        rendered = await ctl.renderer.render_app(
            app,
            ctl.repositories,
            RenderOptions(
                tracking_method=TrackingMethod(settings.tracking_method),
                instance_label_key=settings.instance_label_key,
                installation_id=settings.installation_id,
                control_namespace=ctl.options.namespace,
                is_namespaced=scope,
            ),
        )
    except GitFerryError as err:
        result.conditions.append(("ComparisonError", f"Failed to load target state: {err}"))
        result.resources = _unknown_resources(obj)
        return result
    unsigned = await governance.verify_sources(ctl, result.project, app, list(rendered.revisions))
    if unsigned:
        result.conditions += [("ComparisonError", problem) for problem in unsigned]
        result.resources = _unknown_resources(obj)
        return result
    result.loaded = True
    result.revisions = list(rendered.revisions)
    result.source_types = [t for t in rendered.source_types if t]
    result.targets = rendered.manifests
    result.conditions += [(w.type, w.message) for w in rendered.warnings]
    instance = app.instance_name(ctl.options.namespace)
    result.live = _live_objects(result.cache, instance, result.targets, app, scope)
    result.conditions += _shared_resources(ctl, obj, instance, result.live)
    reconciliation = pairing.reconcile(
        result.targets,
        result.live,
        destination_namespace=app.destination.namespace,
        is_namespaced=scope,
    )
    result.hooks = list(reconciliation.hooks)
    await _diff(ctl, result, reconciliation, obj)
    _status(ctl, result, obj, scope)
    return result


def _unknown_resources(obj: Obj) -> list[Obj]:
    """The last known resources, every one Unknown (the targets could not be loaded)."""
    previous = (obj.get("status") or {}).get("resources") or []
    return [{**r, "status": "Unknown"} for r in previous]


def _live_objects(
    cache: LiveCache | None, instance: str, targets: list[Obj], app: Application, scope: Any
) -> list[Obj]:
    """The app's live objects: tracked top-level objects, and objects at target keys."""
    if cache is None:
        return []
    found: dict[tuple[str, str, str, str], Obj] = {}
    for tracked in cache.tracked_by(instance):
        if not (tracked.get("metadata") or {}).get("ownerReferences"):
            found[key_of(tracked)] = tracked
    for target in targets:
        group, kind, namespace, name = key_of(target)
        if not namespace and scope(group, kind) is not False:
            namespace = app.destination.namespace
        for candidate in ((group, kind, namespace, name), (group, kind, "", name)):
            live = cache.get(candidate)
            if live is not None:
                found[candidate] = live
                break
    return list(found.values())


def _shared_resources(
    ctl: AppController, obj: Obj, instance: str, live: list[Obj]
) -> list[tuple[str, str]]:
    """A `SharedResourceWarning` for each live object at one of this app's target keys that
    another app tracks (reference 4.1 step 6). The other app is named as Argo CD's code names
    it: its instance name with `_` read as `/` (so an app of the control-plane namespace is
    its bare name), this app as `<namespace>/<name>`."""
    settings = ctl.settings
    method = TrackingMethod(settings.tracking_method)
    meta = obj["metadata"]
    this = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
    found = []
    for item in live:
        owner = keys.owner_app(item, method, settings.instance_label_key, settings.installation_id)
        if owner and owner != instance:
            other = owner.replace("_", "/")
            name = (item.get("metadata") or {}).get("name", "")
            message = f"{item.get('kind')}/{name} is part of applications {this} and {other}"
            found.append((SHARED_RESOURCE, message))
    return sorted(found)


async def _diff(
    ctl: AppController, result: Comparison, reconciliation: pairing.Reconciliation, obj: Obj
) -> None:
    rules = ignore.IgnoreRules(
        ignore.parse_app_rules((obj.get("spec") or {}).get("ignoreDifferences"))
        + ctl.compare_settings.rules
    )
    for problem in rules.problems():
        result.conditions.append(("ComparisonError", problem))
    options = diffing.CompareOptions(
        tracking_method=TrackingMethod(ctl.settings.tracking_method),
        label_key=ctl.settings.instance_label_key,
        ignore_aggregated_roles=ctl.compare_settings.ignore_aggregated_roles,
    )
    limit = asyncio.Semaphore(DRY_RUN_CONCURRENCY)
    memory = ctl.state.memory(f"{obj['metadata'].get('namespace')}/{obj['metadata']['name']}")

    async def predict(pair: pairing.Pair) -> Obj | None:
        if pair.target is None or pair.live is None or result.client is None:
            return None
        target = pair.target
        if "namespace" in (target.get("metadata") or {}) and not (
            pair.live.get("metadata") or {}
        ).get("namespace"):
            target = {
                **target,
                "metadata": {k: v for k, v in target["metadata"].items() if k != "namespace"},
            }
        cache_key = (str(pair.key), pair.live["metadata"].get("resourceVersion"), _digest(target))
        cached = memory.predictions.get(str(pair.key))
        if cached is not None and cached[0] == cache_key:
            return cached[1]
        async with limit:
            try:
                predicted = await result.client.apply(
                    target, manager="argocd-controller", force=True, dry_run=True
                )
            except ApiStatusError as err:
                result.conditions.append(("ComparisonError", f"Failed to compare: {err}"))
                return None
            except ClusterError as err:
                result.conditions.append(("ComparisonError", f"Failed to compare: {err}"))
                return None
        memory.predictions[str(pair.key)] = (cache_key, predicted)
        return predicted

    pairs = sorted(reconciliation.pairs, key=lambda p: str(p.key))
    predictions = await asyncio.gather(*(predict(pair) for pair in pairs))
    for pair, predicted in zip(pairs, predictions, strict=True):
        if pair.target is not None and pair.live is not None and predicted is None:
            result.pairs.append((pair, diffing.ResourceDiff(True, pair.live, pair.target)))
            continue
        diff = diffing.compare_pair(
            pair.target, pair.live, predicted, rules, options=options, jq=ctl.jq
        )
        result.pairs.append((pair, diff))


def _status(ctl: AppController, result: Comparison, obj: Obj, scope: Any) -> None:
    spec = obj.get("spec") or {}
    sync = syncstatus.sync_status(
        result.pairs,
        result.hooks,
        syncstatus.StatusOptions(
            tracking_method=TrackingMethod(ctl.settings.tracking_method),
            installation_id=ctl.settings.installation_id,
            app_sync_options=tuple((spec.get("syncPolicy") or {}).get("syncOptions") or ()),
            is_namespaced=scope,
            is_permitted=governance.permit(result.project),
        ),
    )
    result.sync_status = str(sync.status)
    result.conditions += [(c.type, c.message) for c in sync.conditions]
    label_key = ctl.settings.instance_label_key
    orphans = governance.orphan_warning(
        result.project,
        result.app,
        result.cache,
        result.live,
        lambda: {a["metadata"]["name"] for a in ctl.applications()},
        lambda live: instance_of(live, label_key) or "",
    )
    if orphans is not None:
        result.conditions.append(orphans)
    by_key = {str(pair.key): pair for pair, _ in result.pairs}
    ordered = [by_key.get(str(entry.key)) for entry in sync.resources]
    health = aggregate.application_health(
        [(p.target, p.live) if p is not None else (None, None) for p in ordered],
        is_self=lambda live: aggregate.is_self_reference(obj, live),
        options=HealthOptions(),
    )
    if health.error:
        result.conditions.append(("ComparisonError", f"error setting app health: {health.error}"))
    result.health = health.health.as_dict()
    resources = []
    for entry, resource_health in zip(sync.resources, health.resources, strict=True):
        item = entry.to_json()
        if resource_health is not None:
            item["health"] = resource_health.as_dict()
        resources.append(item)
    result.resources = resources
    images: set[str] = set()
    for live in result.live:
        images.update(_images(live))
    result.images = sorted(images)


def _images(obj: Obj) -> list[str]:
    spec = obj.get("spec") or {}
    for path in (
        ("containers",),
        ("template", "spec", "containers"),
        ("jobTemplate", "spec", "template", "spec", "containers"),
    ):
        node: Any = spec
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, list):
            return [str(c.get("image")) for c in node if isinstance(c, dict) and c.get("image")]
    return []
