"""`gitferry proj ...`: AppProjects, offline from files or from the management cluster.

* `proj windows -f PROJECT.yaml --app A --namespace NS --cluster SERVER [--at TIME]
  [--manual]`: whether a sync of that app may run at TIME (RFC 3339, default now) under the
  project's sync windows, the reason, and the windows that apply and are active.
* `proj check -f PROJECT.yaml -f APP.yaml [--local REPO=PATH ...]`: whether the project
  permits the app: source repos, the app's namespace, the destination, and every kind and
  namespace the app renders to (rendered offline as `gitferry render` does). Prints one
  line per refusal with Argo CD's message and the rule it breaks.
* `proj list` / `proj get NAME` (in `proj_read`): the AppProjects of the control plane.

Exit status of `windows` and `check`, for scripts and CI gates: 0 when the sync may run /
the app is permitted, 1 when it may not / is refused, 2 with one `error: ...` line when the
input cannot be used (unreadable file, no AppProject, a malformed project, a bad --at, a
render failure). Invalid sync windows are not bad input: they block the apps they apply to
(exit 1, the error as the reason) and are reported as warnings otherwise. `-o json` prints
`{"allowed", "reason", "activeWindows", "matchingWindows", "errors"}` for `windows` and
`{"permitted", "violations", "problems"}` for `check`.

Registered on the root command by `main`.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from gitferry._kit import clock
from gitferry.cli import common, offline, proj_read
from gitferry.model.application import Application
from gitferry.model.errors import GitFerryError, InputError
from gitferry.model.keys import ResourceKey
from gitferry.policy import validation, violations
from gitferry.policy.project import Project
from gitferry.policy.windows import WindowTarget
from gitferry.render import normalize

_FILES = click.option(
    "-f",
    "--file",
    "paths",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path, allow_dash=True),
    help="A YAML or JSON file with the AppProject (and, for check, the Application).",
)
_OUTPUT = click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@click.group("proj")
def proj() -> None:
    """AppProjects: sync windows and permissions, offline; list and get from the cluster."""


@proj.command("windows")
@_FILES
@click.option("--app", "app_name", required=True, help="The Application's name.")
@click.option("--namespace", default="", help="The app's destination namespace.")
@click.option("--cluster", default="", help="The app's destination server URL (or name).")
@click.option("--at", "at_text", help="The time to decide for (RFC 3339; default now).")
@click.option("--manual", is_flag=True, help="A sync started by a user, not auto-sync.")
@_OUTPUT
@common.handle_errors(code=2)
def windows(
    paths: tuple[Path, ...],
    app_name: str,
    namespace: str,
    cluster: str,
    at_text: str | None,
    manual: bool,
    output: str,
) -> None:
    """Whether an app may sync at a time under the project's sync windows."""
    project = _project(_objects(paths), paths)
    now = _time(at_text) if at_text else clock.SystemClock().now()
    target = WindowTarget(app_name, namespace, server=cluster)
    decision = project.sync_windows.can_sync(target, manual=manual, now=now)
    for error in project.sync_windows.errors:
        if error not in decision.errors:
            click.echo(f"warning: project {project.name}: {error}", err=True)
    if output == "json":
        click.echo(json.dumps({**decision.as_dict(), "at": clock.rfc3339(now)}, indent=2))
    else:
        verdict = "allowed" if decision.allowed else "blocked"
        click.echo(f"{verdict}: {decision.reason}")
        for window in decision.active:
            click.echo(f"active: {window.name} {window.schedule!r} for {window.duration}")
    sys.exit(0 if decision.allowed else 1)


@proj.command("check")
@_FILES
@click.option(
    "--control-namespace",
    default="argocd",
    show_default=True,
    help="The control-plane namespace (apps there may use any project).",
)
@offline.source_options()
@_OUTPUT
@common.handle_errors(code=2)
def check(
    paths: tuple[Path, ...],
    control_namespace: str,
    locals_: tuple[str, ...],
    repo_secrets: Path | None,
    cache_dir: Path | None,
    output: str,
) -> None:
    """Whether a project permits an app and everything it renders."""
    objects = _objects(paths)
    project = _project(objects, paths)
    app_obj = offline.application_from(objects, Path(", ".join(map(str, paths))))
    app = Application.parse(app_obj)
    warnings = [f"project {project.name}: {p}" for p in validation.problems(project)]
    warnings += [f"project {project.name}: {p}" for p in project.problems]
    if app.project != project.name:
        warnings.append(f"app {app.name} uses project {app.project!r}, not {project.name!r}")
    found = violations.violations(project, app, control_namespace=control_namespace)
    try:
        rendered = common.run(
            offline.render(
                app_obj,
                cache_dir=cache_dir or common.cache_dir(),
                locals_=offline.parse_locals(locals_),
                secrets=offline.repository_secrets(repo_secrets),
            )
        )
    except GitFerryError as err:
        if not found:
            raise
        warnings.append(f"the rendered resources were not checked: {err}")
    else:
        found = violations.violations(
            project,
            app,
            _resources(rendered.result.manifests),
            control_namespace=control_namespace,
        )
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if output == "json":
        data = {
            "permitted": not found,
            "violations": [v.as_dict() for v in found],
            "problems": warnings,
        }
        click.echo(json.dumps(data, indent=2))
    elif not found:
        click.echo(f"permitted: project {project.name} permits app {app.name}")
    else:
        for violation in found:
            click.echo(f"{violation.rule}: {violation.message}")
    sys.exit(1 if found else 0)


proj.add_command(proj_read.list_)
proj.add_command(proj_read.get)


def _objects(paths: tuple[Path, ...]) -> list[dict[str, Any]]:
    return [obj for path in paths for obj in common.load_objects(path)]


def _project(objects: list[dict[str, Any]], paths: tuple[Path, ...]) -> Project:
    found = [obj for obj in objects if obj.get("kind") == "AppProject"]
    if len(found) != 1:
        where = ", ".join(map(str, paths))
        raise InputError(f"{where}: expected exactly one AppProject, found {len(found)}")
    return Project.parse(found[0])


def _time(text: str) -> datetime:
    try:
        moment = clock.parse_rfc3339(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InputError(
            f"--at {text!r}: not an RFC 3339 time with a zone (e.g. 2026-03-06T12:00:00Z)"
        )
    return moment


def _resources(manifests: list[dict[str, Any]]) -> list[tuple[ResourceKey, bool]]:
    """Keys of rendered manifests and whether each kind is namespaced, from the built-in
    kinds and the CRDs rendered alongside (offline: no cluster discovery)."""
    custom: dict[tuple[str, str], bool] = {}
    for obj in manifests:
        spec = obj.get("spec") or {}
        if obj.get("kind") == "CustomResourceDefinition" and isinstance(spec, dict):
            names = spec.get("names") or {}
            custom[(str(spec.get("group") or ""), str(names.get("kind") or ""))] = (
                spec.get("scope") != "Cluster"
            )
    resources = []
    for obj in manifests:
        key = ResourceKey.of(obj)
        namespaced = custom.get((key.group, key.kind))
        if namespaced is None:
            namespaced = normalize.builtin_scope(key.group, key.kind) is not False
        resources.append((key, namespaced))
    return resources
