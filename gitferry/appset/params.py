"""Parameter sets: what generators produce and templates consume, in Argo CD's two shapes.

fasttemplate mode (`goTemplate` absent or false) uses flat maps of strings whose keys may
contain dots (`path.basename`, `metadata.labels.env`, `values.size`); goTemplate mode uses
nested maps of JSON values (`.path.basename`). Numbers are float64 in both, as after JSON
(a `replicas: 1000000` in a git file is `"1e+06"` in fasttemplate mode, like Argo CD).

Also here: `normalize` and `slugify` (the names Argo CD derives for clusters and paths),
`flatten` (jeremywohl/flatten with dots, values printed with Go's %v: used for fasttemplate
git files and for post-selectors), the path parameters of git generators, and `describe`,
which names a parameter set in error messages. Called by the generators, the renderer and
`generate`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from gitferry.appset.gotemplate import gojson
from gitferry.appset.gotemplate.values import StrList, StrMap, fmt_v

Params = dict[str, Any]
ParamSet = Params  # the name some callers use

_INVALID_DNS = re.compile(r"[^-a-z0-9.]")


def normalize(name: str) -> str:
    """Argo CD's SanitizeName: lower case, every character outside [-a-z0-9.] becomes `-`,
    at most 253 bytes, no leading or trailing `-` or `.`."""
    text = _INVALID_DNS.sub("-", _go_lower(name))
    data = text.encode()
    if len(data) > 253:
        text = data[:253].decode(errors="ignore")
    return text.strip("-.")


def _go_lower(text: str) -> str:
    return "".join(lo if len(lo := c.lower()) == 1 else c for c in text)


_NOT_SLUG = re.compile(r"[^a-zA-Z0-9\-_]")
_DASHES = re.compile(r"-+")


def slugify(name: str, max_length: int = 50, smart_truncate: bool = True) -> str:
    """Argo CD's `slugify [maxLength] [smartTruncate] name`: `normalize`, then gosimple/slug
    (dots become dashes, runs of dashes collapse; cut at `max_length`, at a dash when
    `smart_truncate`)."""
    text = normalize(name).strip()
    if not smart_truncate and max_length > 0 and len(text) >= max_length:
        text = text[:max_length]
    text = _DASHES.sub("-", _NOT_SLUG.sub("-", text)).strip("-_")
    if max_length > 0 and smart_truncate and len(text) > max_length:
        cut = text.rfind("-", 0, max_length + 1)
        text = text[:cut] if cut >= 0 else text[:max_length]
    return text


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """jeremywohl/flatten with dots, every leaf printed with %v: `{a: {b: [1]}}` ->
    `{"a.b.0": "1"}`. Only map[string]interface{} and []interface{} are descended into (a
    map[string]string, such as cluster labels in goTemplate mode, prints whole, as in Go)."""
    out: dict[str, str] = {}
    _flatten_into(out, value, prefix, top=True)
    return out


def _flatten_into(out: dict[str, str], value: Any, prefix: str, top: bool) -> None:
    if isinstance(value, dict) and not isinstance(value, StrMap):
        items: Any = value.items()
    elif isinstance(value, list) and not isinstance(value, StrList):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        out[prefix] = fmt_v(value)
        return
    for key, item in items:
        name = key if top and not prefix else f"{prefix}.{key}"
        if (isinstance(item, dict) and not isinstance(item, StrMap)) or (
            isinstance(item, list) and not isinstance(item, StrList)
        ):
            _flatten_into(out, item, name, top=False)
        else:
            out[name] = fmt_v(item)


def path_params(path: str, *, go_template: bool, prefix: str = "", filename: str = "") -> Params:
    """The parameters of a git directory (`filename` empty) or of a git file's directory.

    fasttemplate: `path`, `path.basename`, `path.basenameNormalized`, `path[n]` for each
    non-empty segment (and `path.filename`, `path.filenameNormalized` for files), all under
    `PREFIX.` when a pathParamPrefix is set. goTemplate: the same under `.path` (segments
    as `.path.segments`), nested as `.PREFIX.path` with a prefix.
    """
    basename = _base(path)
    if go_template:
        nested: Params = {"path": path, "basename": basename}
        if filename:
            nested["filename"] = filename
        nested["basenameNormalized"] = normalize(basename)
        if filename:
            nested["filenameNormalized"] = normalize(filename)
        nested["segments"] = StrList(path.split("/"))
        return {prefix: {"path": nested}} if prefix else {"path": nested}
    name = f"{prefix}.path" if prefix else "path"
    flat: Params = {name: path, f"{name}.basename": basename}
    if filename:
        flat[f"{name}.filename"] = filename
    flat[f"{name}.basenameNormalized"] = normalize(basename)
    if filename:
        flat[f"{name}.filenameNormalized"] = normalize(filename)
    for i, segment in enumerate(path.split("/")):
        if segment:
            flat[f"{name}[{i}]"] = segment
    return flat


def _base(path: str) -> str:
    """Go's path.Base."""
    if path == "":
        return "."
    stripped = path.rstrip("/")
    return stripped.rsplit("/", 1)[-1] if stripped else "/"


def go_dir(path: str) -> str:
    """Go's path.Dir (for the directory of a git file)."""
    from gitferry.appset.gotemplate.sprig.misc import go_dir as _dir

    return _dir(path)


def as_json(value: Any) -> Any:
    """A value as Argo CD's generators see it after JSON: numbers become float64."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return float(value)
    return value


json_values = as_json


def stringify(params: Mapping[str, Any]) -> dict[str, str]:
    """Argo CD's ConvertToMapStringString: every top-level value printed with Go's %v."""
    return {key: value if isinstance(value, str) else fmt_v(value) for key, value in params.items()}


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any], *, override: bool = True) -> Params:
    """Two goTemplate parameter sets merged as dario.cat/mergo merges maps; nested maps merge
    key by key and the inputs are not changed.

    `override=True` is `mergo.Merge(&base, top, mergo.WithOverride)`: `top`'s values replace
    `base`'s (a nil one too). Argo CD's merge generator uses it (later children win), and so
    does its matrix generator, as `deep_merge(b, a)` (the first child wins). `override=False`
    is plain `mergo.Merge(&base, top)`: `top` only fills what `base` lacks or holds empty
    (`""`, 0, false, nil, empty maps and lists).
    """
    from gitferry.appset.gotemplate.sprig.collections import merge_into

    out = copy.deepcopy(dict(base))
    merge_into(out, dict(top), override=override)
    return out


def describe(params: Mapping[str, Any], limit: int = 160) -> str:
    """A parameter set in one short line (for error messages)."""
    try:
        text = gojson.marshal(dict(params), escape_html=False)
    except ValueError:
        text = fmt_v(dict(params))
    return text if len(text) <= limit else text[: limit - 3] + "..."
