"""An Application's health from the health of its resources (reference 5.5).

For each (target, live) pair, in the order of `status.resources`:

1. Leave out Skip hooks (by target) and live hooks or ignored hooks: they set no flags.
2. The pair counts as a resource; with a live object, as a live resource.
3. Leave out live objects annotated `argocd.argoproj.io/ignore-healthcheck: "true"`.
4. No live object -> Missing; the Application itself (a self-managing app) is left out; else
   the object's assessed health (the first check error is kept for a condition).
5. Kinds without a health check are left out.
6. The health is stored for the resource.
7. Missing (no live object) does not count: the sync status already reports it.
8. A child Application that is Missing or Unknown does not count.
9. Worst-of: a worse health replaces the Application's and its causes; an equal one that is
   not Healthy joins the causes.

After the loop the Application is Missing only when it has resources and none of them is
live. Its message is `Caused by ` and up to three causes (`group/Kind:namespace/name`, the
group left out for core kinds, the namespace for cluster-scoped objects), with
` and <n> more` past three.

Pure; called by the controller's refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gitferry.health import fields
from gitferry.health.assess import HealthOptions, evaluate, group_version_kind
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus, is_worse
from gitferry.model import hooks

IGNORE_HEALTHCHECK = "argocd.argoproj.io/ignore-healthcheck"
MAX_CAUSES = 3

_MISSING = Health(HealthStatus.MISSING)
_NOT_COUNTED_FOR_CHILD_APPS = (HealthStatus.MISSING, HealthStatus.UNKNOWN)


@dataclass(frozen=True)
class AppHealth:
    """The outcome of aggregation."""

    # The Application's `status.health`: the worst status, and the `Caused by ...` message.
    health: Health
    # Per pair, in input order: the health to store on `status.resources[i]`; None for pairs
    # that are not assessed (hooks, ignored, the app itself, kinds without a check).
    resources: tuple[Health | None, ...]
    # The first check that failed (`failed to get resource health for ...`), empty when none.
    # The controller reports it as a ComparisonError `error setting app health: ...`.
    error: str = ""


def application_health(
    pairs: Sequence[tuple[Obj | None, Obj | None]],
    *,
    is_self: Callable[[Obj], bool] | None = None,
    options: HealthOptions | None = None,
) -> AppHealth:
    """The health of an Application whose resources are `pairs` of (target, live) objects;
    `is_self` tells whether a live object is the Application itself."""
    app = HealthStatus.HEALTHY
    causes: list[Obj] = []
    has_resources = has_live = False
    stored: list[Health | None] = []
    error = ""
    for target, live in pairs:
        stored.append(None)
        if target is not None and hooks.is_skip(target):
            continue
        if live is not None and (hooks.is_hook(live) or hooks.is_ignored(live)):
            continue
        has_resources = True
        if live is None:
            stored[-1] = _MISSING
            continue  # Missing without a live object never counts (step 7)
        has_live = True
        if fields.annotation(live, IGNORE_HEALTHCHECK) == "true":
            continue
        if is_self is not None and is_self(live):
            continue
        health, failure = evaluate(live, options=options)
        if failure is not None and not error:
            error = _failure_text(live, failure)
        if health is None:
            continue
        stored[-1] = health
        if health.status in _NOT_COUNTED_FOR_CHILD_APPS and _is_application(live):
            continue
        if is_worse(app, health.status):
            app = health.status
            causes = [live]
        elif health.status == app and app != HealthStatus.HEALTHY:
            causes.append(live)
    if has_resources and not has_live and is_worse(app, HealthStatus.MISSING):
        app, causes = HealthStatus.MISSING, []
    return AppHealth(Health(app, caused_by(causes)), tuple(stored), error)


def caused_by(causes: Sequence[Obj]) -> str:
    """`Caused by a, b, c and 2 more`, or "" without causes."""
    if not causes:
        return ""
    named = ", ".join(_cause_name(obj) for obj in causes[:MAX_CAUSES])
    more = len(causes) - MAX_CAUSES
    return f"Caused by {named} and {more} more" if more > 0 else f"Caused by {named}"


def is_self_reference(app: Obj, live: Obj) -> bool:
    """Whether `live` is the Application `app` itself (same group, kind, UID, name and
    namespace), which a self-managing Application leaves out of its own health."""
    if not _is_application(live):
        return False
    app_meta = _meta(app)
    live_meta = _meta(live)
    return all(app_meta.get(key) == live_meta.get(key) for key in ("uid", "name", "namespace"))


def _is_application(obj: Obj) -> bool:
    group, _, kind = group_version_kind(obj)
    return group == "argoproj.io" and kind == "Application"


def _meta(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _cause_name(obj: Obj) -> str:
    group, _, kind = group_version_kind(obj)
    meta = _meta(obj)
    name = meta.get("name") or ""
    namespace = meta.get("namespace") or ""
    subject = f"{group}/{kind}" if group else kind
    return f"{subject}:{namespace}/{name}" if namespace else f"{subject}:{name}"


def _failure_text(live: Obj, failure: Exception) -> str:
    meta = _meta(live)
    return (
        f'failed to get resource health for "{live.get("kind") or ""}" with name '
        f'"{meta.get("name") or ""}" in namespace "{meta.get("namespace") or ""}": {failure}'
    )
