"""From a template and a parameter set to an Application (Argo CD's RenderTemplateParams).

- `Renderer` renders one string with the ApplicationSet's engine: fasttemplate, or Go's
  text/template with `goTemplateOptions` (only `missingkey=...` exists; anything else is an
  error, where Go would panic). Errors read like Argo CD's (`failed to execute go template
  {{.x}}: template: :1:2: executing "" at <.x>: map has no entry for key "x"`).
- `render_tree` renders every string of a structure, map keys included; null map values are
  dropped (Go skips nil map entries and omits nil fields).
- `merge_template` is mergo's "fill the blanks": fields set in the generator's template win,
  zero values (empty string, false, 0, null, empty list or map) are taken from
  `spec.template`, maps merge key by key; opaque values (`valuesObject`) are not merged into.
- `build_application`: the rendered Application (apiVersion, kind, metadata name, namespace,
  labels, annotations, finalizers, spec). An empty parameter set leaves the template as it
  is; otherwise the resources finalizer is added when the template has no finalizers and the
  ApplicationSet does not preserve resources on deletion. `templatePatch` is rendered with the
  same engine, read as YAML (or JSON), and applied as a strategic merge patch (maps merged,
  lists replaced, null deletes, `$patch: replace|delete`); `spec.project` is restored
  afterwards. `metadata.namespace` is always the ApplicationSet's namespace.
Called by `generate` and the matrix generator (to interpolate its second child).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from gitferry.appset import fasttemplate, functions, gotemplate, kyaml
from gitferry.appset.params import Params

RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
_OPAQUE_KEYS = frozenset({"valuesObject"})
_META_KEYS = ("name", "namespace", "labels", "annotations", "finalizers")


class RenderFailure(Exception):
    """A string, tree or patch could not be rendered; the message is Argo CD's."""


class Renderer:
    """Renders strings with one ApplicationSet's engine and options."""

    def __init__(self, *, go_template: bool, options: Sequence[str] = ()) -> None:
        self.go_template = go_template
        try:
            self.missing_key = gotemplate.missing_key_option(tuple(options))
        except gotemplate.TemplateError as err:
            raise RenderFailure(
                f"goTemplateOptions: {err} (the only option is missingkey=default|invalid|"
                "zero|error)"
            ) from None

    def render(self, text: str, params: Mapping[str, Any]) -> str:
        """One string rendered against `params`."""
        if "{{" not in text:
            return text
        if not self.go_template:
            try:
                return fasttemplate.render(text, params)
            except fasttemplate.FastTemplateError as err:
                raise RenderFailure(str(err)) from None
        try:
            return functions.ENGINE.render(text, params, missing_key=self.missing_key)
        except gotemplate.ParseError as err:
            raise RenderFailure(f"failed to parse template {text}: {err}") from None
        except gotemplate.ExecError as err:
            raise RenderFailure(f"failed to execute go template {text}: {err}") from None

    def render_lenient(self, text: str, params: Mapping[str, Any]) -> str:
        """`text` rendered if every reference in it resolves, else unchanged (a matrix's
        second child's `values`, which its own generator resolves later)."""
        if not self.go_template:
            return self.render(text, params)
        if "{{" not in text:
            return text
        try:
            return functions.ENGINE.render(text, params, missing_key="error")
        except gotemplate.TemplateError:
            return text

    def render_tree(self, value: Any, params: Mapping[str, Any]) -> Any:
        """Every string of `value` (map keys included) rendered; null map values dropped."""
        if isinstance(value, str):
            return self.render(value, params) if "{{" in value else value
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                if item is None:
                    continue
                if isinstance(key, str) and "{{" in key:
                    key = self.render(key, params)
                if isinstance(item, (dict, list)) or (isinstance(item, str) and "{{" in item):
                    item = self.render_tree(item, params)
                out[key] = item
            return out
        if isinstance(value, list):
            return [self.render_tree(item, params) for item in value]
        return value


# -- templates -----------------------------------------------------------------------------


def merge_template(generator_template: Any, spec_template: Any) -> dict[str, Any]:
    """The generator's template with its blanks filled from `spec.template`."""
    merged = _fill(copy.deepcopy(generator_template or {}), spec_template or {})
    return merged if isinstance(merged, dict) else {}


def _zero(value: Any) -> bool:
    """Go's zero value: nil, false, 0, "", and (for mergo) empty lists and maps."""
    if value is None or value is False:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0
    return isinstance(value, (str, list, dict)) and len(value) == 0


def _fill(dest: Any, src: Any) -> Any:
    if _zero(dest):
        return copy.deepcopy(src)
    if not (isinstance(dest, dict) and isinstance(src, dict)):
        return dest
    for key, value in src.items():
        current = dest.get(key)
        if key in _OPAQUE_KEYS and not _zero(current):
            continue
        dest[key] = _fill(current, value)
    return dest


def build_application(
    template: Mapping[str, Any],
    params: Params,
    renderer: Renderer,
    *,
    sync_policy: Mapping[str, Any] | None,
    template_patch: str | None,
    namespace: str,
) -> dict[str, Any]:
    """The Application one parameter set makes (raises RenderFailure)."""
    meta_template = template.get("metadata") or {}
    metadata = {
        key: meta_template[key]
        for key in _META_KEYS
        if isinstance(meta_template, dict) and not _zero(meta_template.get(key))
    }
    spec = template.get("spec") or {}
    if not params:  # rendering builds new containers; an unrendered template is copied
        metadata, spec = copy.deepcopy(metadata), copy.deepcopy(spec)
    else:
        metadata = renderer.render_tree(metadata, params)
        spec = renderer.render_tree(spec, params)
        preserve = bool((sync_policy or {}).get("preserveResourcesOnDeletion"))
        if not metadata.get("finalizers") and not preserve:
            metadata["finalizers"] = [RESOURCES_FINALIZER]
    app: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata,
        "spec": spec,
    }
    if template_patch:
        app = _apply_patch(app, renderer.render(template_patch, params))
    app["metadata"]["namespace"] = namespace
    app["metadata"] = {
        **{k: app["metadata"][k] for k in _META_KEYS if not _zero(app["metadata"].get(k))},
        **{k: v for k, v in app["metadata"].items() if k not in _META_KEYS},
    }
    if not namespace:
        app["metadata"].pop("namespace", None)
    return app


def _apply_patch(app: dict[str, Any], text: str) -> dict[str, Any]:
    try:
        patch = _whole_numbers(kyaml.load(text)) if text.strip() else None
    except kyaml.YAMLError as err:
        raise RenderFailure(f"templatePatch: {err}") from None
    if patch is None:
        return app
    if not isinstance(patch, dict):
        raise RenderFailure("templatePatch must render to a mapping (part of an Application)")
    project = app["spec"].get("project")
    patched = strategic_merge(app, patch)
    if not isinstance(patched, dict):
        raise RenderFailure("templatePatch deleted the whole Application")
    for section in ("metadata", "spec"):
        value = patched.get(section)
        if value is None:
            patched[section] = {}
        elif not isinstance(value, dict):
            raise RenderFailure(
                f"error unmarshalling patched application: {section} must be a mapping, "
                f"not {type(value).__name__}"
            )
    if project is not None:
        patched["spec"]["project"] = project
    return patched


def strategic_merge(original: Any, patch: Any) -> Any:
    """A strategic merge patch on a type without merge keys: maps merged, lists and scalars
    replaced, null deletes, `$patch: replace` replaces a map, `$patch: delete` removes it."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    body = {k: v for k, v in patch.items() if not str(k).startswith("$")}
    if directive == "replace" or not isinstance(original, dict):
        return _without_nulls(body)
    out = dict(original)
    for key, value in body.items():
        if value is None:
            out.pop(key, None)
            continue
        merged = strategic_merge(out.get(key), value)
        if merged is None and isinstance(value, dict):
            out.pop(key, None)
        else:
            out[key] = merged
    return out


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return copy.deepcopy(value)


def _whole_numbers(value: Any) -> Any:
    """JSON numbers decoded into the Application's integer fields: whole floats as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value
