"""Editing an Application's spec for `gitferry app create|set`: pure functions over dicts.

- `edit_spec` applies the flags of `argocd app set` to a copy of the spec, with Argo CD's
  rules: `--sync-policy automated` starts a fresh `automated` block, `--self-heal` and
  `--auto-prune` need automated sync, `--sync-option !X` removes X, `--helm-set` replaces a
  parameter of the same name, `--values` replaces the value files; source options of a
  multi-source app need `--source-position` (from 1).
- `desired` turns an object read from a file into the Application to create (namespace and
  project defaulted, status and server fields dropped) and validates it like Argo CD's API
  server does.
- `upsert_patch` is what `create --upsert` changes on an existing app (spec replaced, labels
  and annotations merged, finalizers replaced), or None when nothing differs.
- `merge_diff` is the RFC 7386 merge patch from one document to another.

Called by `app_write`; no I/O.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from gitferry.cli import app_operation
from gitferry.model.application import Application
from gitferry.model.errors import InputError, InvalidSpecError

Json = dict[str, Any]
API_VERSION = "argoproj.io/v1alpha1"


@dataclass(frozen=True, kw_only=True)
class SpecChange:
    """The flags of `gitferry app set`; None (or empty) leaves a field as it is."""

    # source.targetRevision
    revision: str | None = None
    # source.path
    path: str | None = None
    # source.repoURL
    repo: str | None = None
    # destination.namespace / .server / .name
    dest_namespace: str | None = None
    dest_server: str | None = None
    dest_name: str | None = None
    # spec.project
    project: str | None = None
    # automated | auto | automatic (a fresh automated block) or none | manual (no automation)
    sync_policy: str | None = None
    # syncPolicy.automated.selfHeal / .prune (require automated sync)
    self_heal: bool | None = None
    auto_prune: bool | None = None
    # Options to add to syncPolicy.syncOptions; a leading `!` removes one.
    sync_options: tuple[str, ...] = ()
    # NAME=VALUE Helm parameters to set on the source.
    helm_sets: tuple[str, ...] = ()
    # Helm value files of the source (replace the list).
    values: tuple[str, ...] = ()
    # Which source of a multi-source app the source options change (from 1).
    source_position: int | None = None

    def touches_source(self) -> bool:
        fields = (self.revision, self.path, self.repo)
        return any(v is not None for v in fields) or bool(self.helm_sets or self.values)

    def empty(self) -> bool:
        others = (self.dest_namespace, self.dest_server, self.dest_name, self.project)
        flags = (self.sync_policy, self.self_heal, self.auto_prune)
        return (
            not self.touches_source()
            and all(v is None for v in (*others, *flags))
            and not self.sync_options
        )


def edit_spec(name: str, spec: Json, change: SpecChange) -> Json:
    """A copy of `spec` with `change` applied."""
    if change.empty():
        raise InputError(f"app {name}: set at least one option to update")
    spec = copy.deepcopy(spec)
    if change.touches_source():
        _edit_source(_source(name, spec, change.source_position), change)
    destination = spec.get("destination") or {}
    for key, value in (
        ("namespace", change.dest_namespace),
        ("server", change.dest_server),
        ("name", change.dest_name),
    ):
        if value is not None:
            destination[key] = value
    if destination:
        spec["destination"] = destination
    if change.project is not None:
        spec["project"] = change.project
    _edit_sync_policy(name, spec, change)
    return spec


def _source(name: str, spec: Json, position: int | None) -> Json:
    sources = spec.get("sources")
    if sources:
        if not position or position <= 0:
            raise InputError(
                f"app {name}: Source position should be specified and must be greater than 0 "
                "for applications with multiple sources"
            )
        if position > len(sources):
            raise InputError(
                f"app {name}: Source position should be less than the number of sources in "
                f"the application ({len(sources)})"
            )
        source: Json = sources[position - 1]
        return source
    if position not in (None, 1):
        raise InputError(f"app {name}: the app has a single source; --source-position must be 1")
    if not isinstance(spec.get("source"), dict):
        spec["source"] = {}
    single: Json = spec["source"]
    return single


def _edit_source(source: Json, change: SpecChange) -> None:
    for key, value in (
        ("targetRevision", change.revision),
        ("path", change.path),
        ("repoURL", change.repo),
    ):
        if value is not None:
            source[key] = value
    if not (change.helm_sets or change.values):
        return
    helm = source.setdefault("helm", {})
    for text in change.helm_sets:
        param, sep, value = text.partition("=")
        if not sep:
            raise InputError(
                f"--helm-set {text!r}: Expected helm parameter of the form: param=value. "
                f"Received: {text}"
            )
        parameters = list(helm.get("parameters") or [])
        entry = {"name": param, "value": value}
        for index, parameter in enumerate(parameters):
            if parameter.get("name") == param:
                parameters[index] = entry
                break
        else:
            parameters.append(entry)
        helm["parameters"] = parameters
    if change.values:
        helm["valueFiles"] = list(change.values)


def _edit_sync_policy(name: str, spec: Json, change: SpecChange) -> None:
    policy = spec.get("syncPolicy") or {}
    if change.sync_policy in ("none", "manual"):
        policy.pop("automated", None)
    elif change.sync_policy in ("automated", "auto", "automatic"):
        policy["automated"] = {}
    options = list(policy.get("syncOptions") or [])
    for option in change.sync_options:
        if option.startswith("!"):
            options = [o for o in options if o != option[1:]]
        elif option not in options:
            options.append(option)
    if options:
        policy["syncOptions"] = options
    else:
        policy.pop("syncOptions", None)
    for flag, key, value in (
        ("--auto-prune", "prune", change.auto_prune),
        ("--self-heal", "selfHeal", change.self_heal),
    ):
        if value is None:
            continue
        if not app_operation.auto_sync_enabled({"syncPolicy": policy}):
            raise InputError(
                f"app {name}: Cannot set {flag}: application not configured with automatic sync"
            )
        if value:
            policy["automated"][key] = True
        else:
            policy["automated"].pop(key, None)
    if policy:
        spec["syncPolicy"] = policy
    else:
        spec.pop("syncPolicy", None)


def validate(app: Json) -> None:
    """Argo CD's spec validation of a new or edited Application (reference 1.3)."""
    parsed = Application.parse(app)
    problems = parsed.spec_problems()
    if problems:
        raise InvalidSpecError(f"app {parsed.name}: " + "; ".join(problems))


def desired(obj: Json, namespace: str) -> Json:
    """The Application to create from an object of a `-f` file."""
    if obj.get("apiVersion") not in (None, API_VERSION) or obj.get("kind") != "Application":
        raise InvalidSpecError(
            f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name', '')}: expected "
            f"an {API_VERSION} Application"
        )
    Application.parse(obj)
    meta = obj["metadata"]
    app: Json = {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {"name": meta["name"], "namespace": meta.get("namespace") or namespace},
        "spec": copy.deepcopy(obj["spec"]),
    }
    for key in ("labels", "annotations", "finalizers"):
        if meta.get(key):
            app["metadata"][key] = copy.deepcopy(meta[key])
    if not app["spec"].get("project"):
        app["spec"]["project"] = "default"
    validate(app)
    return app


def upsert_patch(existing: Json, wanted: Json, *, upsert: bool) -> Json | None:
    """The patch that makes `existing` what `wanted` says, or None when they already agree;
    a difference without `upsert` is refused, as Argo CD's API server refuses it."""
    old, new = existing.get("metadata") or {}, wanted["metadata"]
    same = (existing.get("spec") or {}) == wanted["spec"] and all(
        (old.get(key) or None) == (new.get(key) or None)
        for key in ("labels", "annotations", "finalizers")
    )
    if same:
        return None
    if not upsert:
        raise InputError(
            f"app {new['name']}: existing application spec is different, use upsert flag to "
            "force update"
        )
    patch: Json = {"metadata": {"finalizers": new.get("finalizers")}}
    for key in ("labels", "annotations"):
        changed = {
            k: v for k, v in (new.get(key) or {}).items() if (old.get(key) or {}).get(k) != v
        }
        if changed:
            patch["metadata"][key] = changed
    spec = merge_diff(existing.get("spec") or {}, wanted["spec"])
    if spec:
        patch["spec"] = spec
    return patch


def merge_diff(old: Json, new: Json) -> Json:
    """The JSON merge patch (RFC 7386) that turns `old` into `new`."""
    patch: Json = {key: None for key in old if key not in new}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            nested = merge_diff(before, value)
            if nested:
                patch[key] = nested
        elif key not in old or before != value:
            patch[key] = value
    return patch
