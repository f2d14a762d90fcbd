"""The Helm renderer: `helm template` semantics through `helm-python-sdk` in worker processes.

The parent side (this module) resolves everything that touches files: the chart directory is
checked (symlinks, file cap), values files and file parameters are read (`valuefiles`), and
the job is built: release name (default: the app name), namespace (`helm.namespace`, else the
destination's), capabilities, values in Helm's precedence (parameters > valuesObject >
values > valueFiles > the chart's values.yaml) with `--set` expressions escaped as Argo CD
escapes them. The worker (`helm_worker`) renders. Dependencies missing from `charts/` are
fetched through the provider's `chart()` into a temporary copy and the render is retried,
as Argo CD runs `helm dependency build`. The output keeps hooks with their `helm.sh/hook`
annotations, drops NOTES.txt, and drops test hooks with `skipTests`. Called by
`renderer.Renderer`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitferry.model.errors import GitFerryError, RenderError, RenderLimitError
from gitferry.model.source import HelmOptions
from gitferry.render import envsubst, manifests, paths, valuefiles, workers
from gitferry.render.options import RenderOptions, SourceProvider

INSTALL_HINT = "Helm charts need helm-python-sdk: pip install 'gitferry[helm]'"
_FETCHABLE = ("http://", "https://", "oci://")
_TEST_HOOKS = {"test", "test-success"}


def available() -> bool:
    return importlib.util.find_spec("helm_python") is not None


def clean_set_value(value: str) -> str:
    """Argo CD's `cleanSetParameters`: escape commas not already escaped, unless the value
    is a `{a,b}` list."""
    if value.startswith("{") and value.endswith("}"):
        return value
    out: list[str] = []
    previous = ""
    for char in value:
        out.append("\\," if char == "," and previous != "\\" else char)
        previous = char
    return "".join(out)


@dataclass(frozen=True)
class HelmSource:
    """What to render: a chart directory inside a repository root."""

    root: Path
    chart: Path
    release: str
    namespace: str


def _job(
    place: valuefiles.Place, options: HelmOptions, target: HelmSource, render: RenderOptions
) -> dict[str, Any]:
    values = valuefiles.value_files(place, options)
    if options.values_object is None and options.values.strip():
        values.append(("spec.source.helm.values", options.values))
    set_exprs: list[str] = []
    string_exprs: list[str] = []
    for parameter in options.parameters:
        expression = (
            f"{parameter.name}={clean_set_value(envsubst.expand(parameter.value, place.env))}"
        )
        (string_exprs if parameter.force_string else set_exprs).append(expression)
    files = [(p.name, valuefiles.file_parameter(place, p.path)) for p in options.file_parameters]
    return {
        "chart": str(target.chart),
        "release": target.release,
        "namespace": target.namespace,
        "kube_version": options.kube_version or render.kube_version,
        "api_versions": list(options.api_versions or render.api_versions),
        "values": values,
        "values_object": options.values_object,
        "set": set_exprs,
        "set_string": string_exprs,
        "set_file": files,
        "include_crds": not options.skip_crds,
        "max_bytes": render.max_manifest_bytes,
    }


def _is_test_hook(manifest: dict[str, Any]) -> bool:
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    hooks = {h.strip() for h in str(annotations.get("helm.sh/hook", "")).split(",")}
    return bool(hooks & _TEST_HOOKS)


def _parse(files: list[tuple[str, str]], skip_tests: bool) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for name, text in files:
        if name.endswith("NOTES.txt"):
            continue
        for manifest in manifests.parse_stream(text, name):
            if not (skip_tests and _is_test_hook(manifest)):
                result.append(manifest)
    return result


def _locked_versions(chart: Path) -> dict[str, str]:
    lock = chart / "Chart.lock"
    if not lock.is_file():
        return {}
    data = yaml.load(lock.read_bytes(), Loader=yaml.CSafeLoader) or {}
    return {str(d.get("name")): str(d.get("version")) for d in data.get("dependencies") or []}


async def _dependency_dir(
    target: HelmSource, dependency: dict[str, Any], version: str, provider: SourceProvider
) -> Path:
    name = str(dependency.get("name") or "")
    repository = str(dependency.get("repository") or "")
    what = f"chart {paths.relative(target.root, target.chart)}: dependency {name} {version}"
    if repository.startswith("file://"):
        found = paths.resolve(target.root, target.chart, repository[7:], f"{what}:")
        if not (found / "Chart.yaml").is_file():
            raise RenderError(f"{what}: {repository} holds no chart")
        return found
    if not repository.startswith(_FETCHABLE):
        raise RenderError(
            f"{what} is missing from charts/ and its repository {repository or '(none)'!r} "
            "cannot be fetched; vendor it into charts/"
        )
    try:
        return await provider.chart(repository, name, version)
    except GitFerryError as err:
        raise RenderError(
            f"{what} is missing from charts/ and could not be fetched from {repository}: {err}"
        ) from err


def _working_copy(target: HelmSource, work: Path, strip_schemas: bool) -> Path:
    """A hard-linked copy of the chart's repository (relative symlinks keep working)."""
    copy_root = work / "repo"
    paths.linked_copy(target.root, copy_root)
    chart = copy_root / os.path.relpath(target.chart, target.root)
    if strip_schemas:
        for schema in chart.rglob("values.schema.json"):
            schema.unlink()  # unlinking a hard link leaves the snapshot untouched
    return chart


async def render_helm(
    target: HelmSource,
    place: valuefiles.Place,
    options: HelmOptions,
    render: RenderOptions,
    provider: SourceProvider,
    pool: workers.WorkerPool,
) -> list[dict[str, Any]]:
    """The manifests `helm template` gives for the chart."""
    if not available():
        raise RenderError(INSTALL_HINT)
    what = f"chart {paths.relative(target.root, target.chart)}"
    await asyncio.to_thread(paths.check_tree, target.root, target.chart, render.max_files, what)
    job = await asyncio.to_thread(_job, place, options, target, render)
    work = Path(tempfile.mkdtemp(prefix="gitferry-helm-", dir=render.work_dir))
    try:
        if options.skip_schema_validation:
            copy = await asyncio.to_thread(_working_copy, target, work, True)
            job["chart"] = str(copy)
        for attempt in range(2):
            reply = await _call(pool, job, render.timeout_seconds, what, (work, target.root))
            if "missing" not in reply:
                break
            if attempt:
                names = ", ".join(str(d.get("name")) for d in reply["missing"])
                raise RenderError(f"{what}: dependencies still missing from charts/: {names}")
            job["chart"] = str(
                await _add_dependencies(target, job, reply["missing"], provider, work, render)
            )
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
    if "too_big" in reply:
        raise RenderLimitError(f"{what}: manifests exceed {render.max_manifest_bytes} bytes")
    return _parse(reply["files"], options.skip_tests)


async def _add_dependencies(
    target: HelmSource,
    job: dict[str, Any],
    missing: list[dict[str, Any]],
    provider: SourceProvider,
    work: Path,
    render: RenderOptions,
) -> Path:
    locked = _locked_versions(target.chart)
    found = []
    for dependency in missing:
        name = str(dependency.get("name") or "")
        version = locked.get(name) or str(dependency.get("version") or "")
        directory = await _dependency_dir(target, dependency, version, provider)
        where = f"chart dependency {name}"
        await asyncio.to_thread(paths.check_tree, directory, directory, render.max_files, where)
        found.append((name, directory))
    chart = Path(job["chart"])
    if not chart.is_relative_to(work):
        chart = await asyncio.to_thread(_working_copy, target, work, False)
    for name, directory in found:
        await asyncio.to_thread(paths.linked_copy, directory, chart / "charts" / name)
    return chart


async def _call(
    pool: workers.WorkerPool,
    job: dict[str, Any],
    timeout: float,
    what: str,
    hidden: tuple[Path, ...],
) -> Any:
    try:
        return await asyncio.to_thread(pool.call, job, timeout)
    except workers.WorkerError as err:
        if err.kind == "ModuleNotFoundError":
            raise RenderError(INSTALL_HINT) from err
        message = str(err)
        for path in hidden:  # name files as the repository does, not our directories
            message = message.replace(f"{path}{os.sep}", "").replace(str(path), ".")
        raise RenderError(f"helm template {what}: {message}") from err
