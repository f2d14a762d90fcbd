"""Parsing rendered or stored YAML and JSON into manifests, as Argo CD's repo-server does.

`parse_stream` splits a multi-document YAML (or JSON) text strictly, like `kube.SplitYAML`:
empty documents are skipped and a document that is not an object with a `kind` is an
error. `parse_directory_file` adds the directory rules (reference 1.5: JSON files hold one
object; YAML that fails before any good document and does not look like a manifest is
ignored). `flatten_lists` expands `List` objects. Errors name the file (relative to the
repository) and, for malformed YAML, the line. Uses PyYAML's C loader, with timestamps and
binary kept as strings so manifests stay JSON. Called by the three renderers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import yaml

from gitferry.model.errors import ManifestError

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.CSafeLoader):
    """The C loader, keeping timestamps and binary as the strings the YAML holds."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor(_TIMESTAMP, _scalar)
_Loader.add_constructor("tag:yaml.org,2002:binary", _scalar)

SKIP_MARKER = b"+argocd:skip-file-rendering"


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) or BOM-marked UTF-16, as Argo CD's utfutil reads files."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    return data.decode("utf-8-sig", errors="replace")


def _check(doc: Any, where: str, number: int) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ManifestError(
            f"{where}: document {number} is a {type(doc).__name__}, not a Kubernetes object"
        )
    if not doc.get("kind") or not isinstance(doc.get("kind"), str):
        raise ManifestError(f"{where}: document {number} has no kind (Object 'Kind' is missing)")
    return doc


def _documents(text: str, where: str) -> Iterator[Any]:
    try:
        yield from yaml.load_all(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = err.problem or err.context or "invalid YAML"
        raise ManifestError(f"{where}{line}: malformed YAML: {problem}") from err
    except yaml.YAMLError as err:
        raise ManifestError(f"{where}: malformed YAML: {err}") from err


def parse_stream(text: str, where: str) -> list[dict[str, Any]]:
    """Every non-empty document of a YAML stream; any bad document is an error."""
    result = []
    for number, doc in enumerate(_documents(text, where), start=1):
        if doc is None:
            continue
        result.append(_check(doc, where, number))
    return result


def _looks_like_manifest(data: bytes) -> bool:
    return b"apiVersion:" in data and b"kind:" in data and b"metadata:" in data


def parse_directory_file(data: bytes, name: str, where: str) -> list[dict[str, Any]]:
    """The manifests of one file of a directory app (`name` is its base name)."""
    if name.endswith(".json"):
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as err:
            if err.msg.startswith(("unexpected content after document", "trailing characters")):
                raise ManifestError(
                    f"{where}: found multiple objects; a JSON file holds one object"
                ) from err
            raise ManifestError(f"{where}:{err.lineno}: malformed JSON: {err.msg}") from err
        return [_check(doc, where, 1)]
    result: list[dict[str, Any]] = []
    try:
        for number, doc in enumerate(_documents(decode(data), where), start=1):
            if doc is not None:
                result.append(_check(doc, where, number))
    except ManifestError:
        if result or _looks_like_manifest(data):
            raise
        return []  # an unrelated YAML file, ignored as Argo CD does
    return result


def _is_list(manifest: dict[str, Any]) -> bool:
    return isinstance(manifest.get("items"), list)


def _is_null_list(manifest: dict[str, Any]) -> bool:
    return (
        "spec" not in manifest
        and "status" not in manifest
        and "items" in manifest
        and manifest["items"] is None
    )


def flatten_lists(manifests: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """Objects with an `items` list are replaced by their items; `items: null` lists vanish."""
    if not any(_is_list(m) or _is_null_list(m) for m in manifests):
        return manifests
    result: list[dict[str, Any]] = []
    for manifest in manifests:
        if _is_list(manifest):
            for item in manifest["items"]:
                if not isinstance(item, dict):
                    raise ManifestError(f"{where}: {manifest.get('kind')} item is not an object")
                result.append(item)
        elif not _is_null_list(manifest):
            result.append(manifest)
    return result


def dumps(manifests: list[dict[str, Any]]) -> bytes:
    """Canonical JSON bytes (non-string keys become strings, as in Kubernetes' YAML)."""
    try:
        return orjson.dumps(manifests, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(manifests, default=str).encode()
