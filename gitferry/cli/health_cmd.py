"""`gitferry health -f OBJECT.yaml`: the health Argo CD would give a live object.

Reads one object (or several, or a `List`) from a YAML or JSON file, `-` for standard input,
for example the output of `kubectl get deploy web -o yaml`, and prints one line per object:
`Healthy: <message>`, or `no health check for <group>/<Kind>` for kinds Argo CD does not
assess. `-o yaml|json` prints each object's identity and `health` (`null` without a check).
The exit status is 0 whenever the objects could be assessed, whatever their health, and 1
with one `error: ...` line when the input cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gitferry.cli import common
from gitferry.health import assess, status
from gitferry.model import errors


@click.command("health")
@click.option(
    "-f",
    "--file",
    "path",
    required=True,
    type=click.Path(path_type=Path, allow_dash=True),
    help="A YAML or JSON file holding the live object (- for standard input).",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["yaml", "json"]),
    default=None,
    help="Print the result as data instead of a line per object.",
)
@common.handle_errors()
def health(path: Path, output: str | None) -> None:
    """Assess the health of live Kubernetes objects as Argo CD does."""
    objects = common.load_objects(path)
    if not objects:
        raise errors.InputError(f"{path}: no object found")
    for index, obj in enumerate(objects):
        if not isinstance(obj.get("kind"), str) or not obj["kind"]:
            raise errors.InputError(
                f"{path}: object {index + 1} has no kind; give a Kubernetes object as "
                "`kubectl get ... -o yaml` prints it"
            )
    results = [(obj, assess.assess(obj)) for obj in objects]
    if output is not None:
        common.print_objects([_as_data(obj, result) for obj, result in results], output)
        return
    for obj, result in results:
        line = _line(obj, result)
        click.echo(f"{_subject(obj)}: {line}" if len(results) > 1 else line)


def _line(obj: dict[str, Any], result: status.Health | None) -> str:
    if result is None:
        group, _, kind = assess.group_version_kind(obj)
        return f"no health check for {group}/{kind}" if group else f"no health check for {kind}"
    if result.message:
        return f"{result.status}: {result.message}"
    return str(result.status)


def _identity(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return "", ""
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _subject(obj: dict[str, Any]) -> str:
    namespace, name = _identity(obj)
    return f"{obj['kind']}/{namespace}/{name}" if namespace else f"{obj['kind']}/{name}"


def _as_data(obj: dict[str, Any], result: status.Health | None) -> dict[str, Any]:
    namespace, name = _identity(obj)
    return {
        "apiVersion": obj.get("apiVersion") or "",
        "kind": obj["kind"],
        "namespace": namespace,
        "name": name,
        "health": None if result is None else result.as_dict(),
    }
