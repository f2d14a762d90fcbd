"""`gitferry diff -f APP.yaml --context CTX`: desired against live, before anything is synced.

The pull-request preview Argo CD users keep asking for: render the Application offline (from
the remote, or with `--local` from the working copy), ask the cluster what each object would
become with a server-side dry-run apply (so defaults and other managers' fields are
accounted for), and print a unified diff per object, coloured on a terminal. Objects the app
tracks in the cluster but no longer renders are shown as deletions. Exit status as `kubectl
diff`: 0 when equal, 1 when different, 2 on error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from gitferry.cli import common, offline
from gitferry.cluster import connect
from gitferry.cluster.client import ApiStatusError, KubeClient, object_ref
from gitferry.diff import objects as objdiff
from gitferry.model.keys import TRACKING_ID_ANNOTATION, parse_tracking_id
from gitferry.render.options import RenderOptions

# The field manager a sync applies with (Argo CD's, so ownership carries over between them).
FIELD_MANAGER = "argocd-controller"


def default_kubeconfig() -> Path:
    first = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(first) if first else Path.home() / ".kube" / "config"


@click.command("diff")
@click.option(
    "-f",
    "--file",
    "path",
    required=True,
    type=click.Path(path_type=Path, allow_dash=True),
    help="A file holding one Application (- for standard input).",
)
@click.option("--kubeconfig", type=click.Path(path_type=Path), help="Default: $KUBECONFIG.")
@click.option("--context", help="The kubeconfig context of the destination cluster.")
@offline.source_options()
@click.option(
    "--allow-exec-plugins",
    is_flag=True,
    help="Allow kubeconfig exec/auth-provider credential plugins (they run programs).",
)
@common.handle_errors(code=2)
def diff(
    path: Path,
    kubeconfig: Path | None,
    context: str | None,
    locals_: tuple[str, ...],
    repo_secrets: Path | None,
    cache_dir: Path | None,
    allow_exec_plugins: bool,
) -> None:
    """Show how the cluster would change if the Application were synced now."""
    app = offline.application_from(common.load_objects(path), path)
    target = connect.from_kubeconfig(
        kubeconfig or default_kubeconfig(), context, allow_exec=allow_exec_plugins
    )
    differences = common.run(
        compute(
            app,
            target,
            cache_dir or common.cache_dir(),
            offline.parse_locals(locals_),
            offline.repository_secrets(repo_secrets),
        )
    )
    show(differences)


def show(differences: list[objdiff.ObjectDiff]) -> None:
    """Print the diffs (coloured on a terminal) and exit as `kubectl diff` does."""
    color = sys.stdout.isatty()
    for difference in differences:
        for line in difference.text.splitlines():
            click.echo(_colour(line) if color else line)
    sys.exit(1 if differences else 0)


def _colour(line: str) -> str:
    if line.startswith(("+++", "---")):
        return click.style(line, bold=True)
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    return line


async def compute(
    app_obj: dict[str, Any],
    target: connect.ClusterTarget,
    cache_dir: Path,
    locals_: dict[str, Path],
    secrets: list[dict[str, Any]],
    *,
    control_namespace: str = "argocd",
) -> list[objdiff.ObjectDiff]:
    """The objects a sync of `app_obj` would change on the cluster `target`."""
    async with KubeClient(target) as client:
        discovery = await client.discovery()

        def scope(group: str, kind: str) -> bool | None:
            found = discovery.by_group_kind.get((group, kind))
            return None if found is None else found.namespaced

        rendered = await offline.render(
            app_obj,
            cache_dir=cache_dir,
            locals_=locals_,
            secrets=secrets,
            options=RenderOptions(is_namespaced=scope),
        )
        found: list[objdiff.ObjectDiff] = []
        desired_keys: set[str] = set()
        for manifest in rendered.result.manifests:
            key = object_ref(manifest)
            desired_keys.add(key)
            live, predicted = await _predict(client, manifest)
            result = objdiff.compare(key, live, predicted)
            if result.modified:
                found.append(result)
        instance = rendered.app.instance_name(control_namespace)
        for live in await tracked(client, instance):
            key = object_ref(live)
            if key not in desired_keys:
                found.append(objdiff.compare(key, live, None))
        return found


async def _predict(
    client: KubeClient, manifest: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The live object and what a server-side apply would make of it."""
    meta = manifest.get("metadata") or {}
    try:
        live = await client.get(
            manifest["apiVersion"], manifest["kind"], meta.get("namespace"), meta["name"]
        )
    except ApiStatusError as err:
        if err.code == 404:  # a kind the cluster does not serve yet (its CRD comes first)
            return None, manifest
        raise
    try:
        predicted = await client.apply(manifest, manager=FIELD_MANAGER, force=True, dry_run=True)
    except ApiStatusError as err:
        if err.code == 404 and live is None:  # e.g. the namespace a sync would create
            return None, manifest
        raise
    return live, predicted


async def tracked(client: KubeClient, instance: str) -> list[dict[str, Any]]:
    """Top-level live objects whose tracking id names this app instance."""
    tracked: list[dict[str, Any]] = []
    for info in (await client.discovery()).listable():
        try:
            items, _ = await client.list(info.api_version, info.kind)
        except ApiStatusError:
            continue
        for item in items:
            meta = item.get("metadata") or {}
            parsed = parse_tracking_id(
                (meta.get("annotations") or {}).get(TRACKING_ID_ANNOTATION, "")
            )
            if parsed is not None and parsed.app == instance and not meta.get("ownerReferences"):
                tracked.append(item)
    return tracked
