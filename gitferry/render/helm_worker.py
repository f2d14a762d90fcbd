"""The Helm job, run inside a worker process (`workers.WorkerPool`) with `helm-python-sdk`.

One job renders one chart like `helm template`: values files are parsed with Helm's own YAML
reader and deep-merged in order (maps merge, everything else is replaced), then the inline
values, then `--set`, `--set-string` and `--set-file` expressions (Helm's order), then the
chart is rendered with the release name, namespace and capabilities. It returns the rendered
files (CRDs from `crds/` first when included) or the dependencies missing from `charts/`;
the parent (`helm`) does everything else. Only this module imports `helm_python`, and only in
the worker.
"""

from __future__ import annotations

import json
from typing import Any


def merge_maps(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's `mergeMaps`: nested maps merge, any other value replaces."""
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = merge_maps(current, value)
        else:
            out[key] = value
    return out


def _values(helm: Any, job: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, text in job["values"]:
        try:
            parsed = helm.values_from_yaml(text) or {}
        except helm.HelmError as err:
            raise ValueError(f"values file {name}: {err}") from err
        values = merge_maps(values, parsed)
    if job["values_object"] is not None:
        values = merge_maps(values, job["values_object"])
    for parser, expressions in (
        (helm.parse_set_string, job["set"]),
        (helm.parse_set_string_values, job["set_string"]),
    ):
        for expression in expressions:
            try:
                values = merge_maps(values, parser(expression))
            except helm.HelmError as err:
                raise ValueError(f"parameter {expression.split('=', 1)[0]}: {err}") from err
    for name, content in job["set_file"]:
        values = merge_maps(values, helm.parse_set_literal(f"{name}={content}"))
    return values


def _render(helm: Any, chart: Any, values: dict[str, Any], job: dict[str, Any]) -> dict[str, str]:
    options: dict[str, Any] = {"name": job["release"]}
    if job["namespace"]:
        options["namespace"] = job["namespace"]
    if job["kube_version"]:
        options["kube_version"] = job["kube_version"]
    if job["api_versions"]:
        options["api_versions"] = list(job["api_versions"])
    if set(options) <= {"name", "namespace"}:
        rendered: dict[str, str] = chart.render(
            values, name=job["release"], namespace=job["namespace"] or None
        )
        return rendered
    # kube_version and api_versions are accepted by the native render but not yet exposed
    # by the Python wrapper (helm-python-sdk 0.2.2).
    from helm_python import _native

    text = _native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(options))
    result: dict[str, str] = json.loads(text)
    return result


def render(job: dict[str, Any]) -> dict[str, Any]:
    """Render one chart; see the module docstring for the job's keys."""
    import helm_python as helm

    helm.validate_release_name(job["release"])
    with helm.Chart.load(job["chart"]) as chart:
        declared = chart.metadata.get("dependencies") or []
        loaded = {dep.get("name") for dep in chart.dependencies}
        missing = [dep for dep in declared if dep.get("name") not in loaded]
        if missing:
            return {"missing": missing}
        rendered = _render(helm, chart, _values(helm, job), job)
        files: list[tuple[str, str]] = []
        if job["include_crds"]:
            files.extend((crd["filename"], crd["data"]) for crd in chart.crds)
        files.extend(sorted(rendered.items()))
    size = sum(len(text) for _, text in files)
    if size > job["max_bytes"]:
        return {"too_big": size}
    return {"files": files}
