"""Helm values files and file parameters: from spec strings to contents (reference 1.6, 1.9).

A value file is `$ref/<path>` (a file of the multi-source repository with that `ref`, from
its root), an http(s) URL (fetched only when remote values are allowed), or a path relative
to the chart (an absolute path counts from the repository root, as in Argo CD). Env
substitution applies (for `$ref` paths after the ref is picked). Doublestar globs expand in
lexical order, skipping files also listed explicitly; a value file is used once; missing
files and empty globs are dropped with `ignoreMissingValueFiles`, else they are errors.
Every local path must stay inside its repository. Called by `helm`.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gitferry.model.errors import RenderError, RenderLimitError
from gitferry.model.source import HelmOptions
from gitferry.render import envsubst, globbing, manifests, paths

REMOTE_SCHEMES = ("http", "https")
_REMOTE_TIMEOUT = 30.0


@dataclass(frozen=True)
class Place:
    """Where a chart's relative paths are resolved."""

    root: Path  # the chart's repository root (or the chart itself for Helm repositories)
    chart: Path  # the chart directory
    refs: Mapping[str, Path]  # "$name" -> repository root of the source with `ref: name`
    env: Mapping[str, str]
    allow_remote: bool
    max_bytes: int


@dataclass(frozen=True)
class _Resolved:
    shown: str  # the name in messages
    path: Path | None = None
    url: str = ""


def _locate(place: Place, raw: str) -> tuple[Path, Path, str]:
    """(repository root, base directory, path) of a local value file spec."""
    head = raw.split("/", 1)[0]
    if raw.startswith("$") and head in place.refs:
        rest = "/" + raw.split("/", 1)[1] if "/" in raw else "/"
        return place.refs[head], place.refs[head], envsubst.expand(rest, place.env)
    return place.root, place.chart, envsubst.expand(raw, place.env)


def _remote(place: Place, raw: str, what: str) -> str | None:
    if raw.startswith("$") and raw.split("/", 1)[0] in place.refs:
        return None
    value = envsubst.expand(raw, place.env)
    scheme = urllib.parse.urlsplit(value).scheme
    if not scheme or len(scheme) == 1:  # no scheme (a Windows drive letter is not one)
        return None
    if scheme not in REMOTE_SCHEMES:
        raise RenderError(f"{what} {raw}: the URL scheme '{scheme}' is not allowed")
    if not place.allow_remote:
        raise RenderError(
            f"{what} {raw}: remote values files are not allowed (enable allow_remote_values)"
        )
    return value


def _expand(place: Place, raw: str, explicit: set[Path], ignore_missing: bool) -> list[_Resolved]:
    url = _remote(place, raw, "values file")
    if url is not None:
        return [_Resolved(raw, url=url)]
    root, base, path = _locate(place, raw)
    if not globbing.has_magic(path):
        resolved = paths.resolve(root, base, path, "values file")
        if not resolved.is_file():
            if ignore_missing:
                return []
            raise RenderError(f"values file {raw}: not found")
        return [_Resolved(raw, resolved)]
    anchor = root if path.startswith("/") else base
    found = []
    for rel in globbing.doublestar_glob(anchor, path.lstrip("/"), root):
        resolved = paths.resolve(root, anchor, rel, "values file")
        if resolved.is_file() and resolved not in explicit:
            found.append(_Resolved(paths.relative(root, resolved), resolved))
    if not found and not ignore_missing:
        raise RenderError(f"values file {raw}: the pattern matched no files")
    return found


def _read(place: Place, item: _Resolved) -> str:
    if item.url:
        with urllib.request.urlopen(item.url, timeout=_REMOTE_TIMEOUT) as response:
            data = response.read(place.max_bytes + 1)
    else:
        assert item.path is not None
        with open(item.path, "rb") as handle:
            data = handle.read(place.max_bytes + 1)
    if len(data) > place.max_bytes:
        raise RenderLimitError(f"values file {item.shown}: larger than {place.max_bytes} bytes")
    return manifests.decode(data)


def value_files(place: Place, options: HelmOptions) -> list[tuple[str, str]]:
    """(name, text) of every values file, in the order Helm merges them."""
    explicit: set[Path] = set()
    for raw in options.value_files:
        if _remote(place, raw, "values file") is None:
            root, base, path = _locate(place, raw)
            if not globbing.has_magic(path):
                explicit.add(paths.resolve(root, base, path, "values file"))
    seen: set[str] = set()
    texts: list[tuple[str, str]] = []
    for raw in options.value_files:
        for item in _expand(place, raw, explicit, options.ignore_missing_value_files):
            key = item.url or str(item.path)
            if key in seen:
                continue
            seen.add(key)
            texts.append((item.shown, _read(place, item)))
    return texts


def file_parameter(place: Place, raw: str) -> str:
    """The content of a `fileParameters[].path`."""
    url = _remote(place, raw, "file parameter")
    if url is not None:
        return _read(place, _Resolved(raw, url=url))
    root, base, path = _locate(place, raw)
    resolved = paths.resolve(root, base, path, "file parameter")
    if not resolved.is_file():
        raise RenderError(f"file parameter {raw}: not found")
    return _read(place, _Resolved(raw, resolved))
