"""Decoding request bodies as kube-apiserver does: JSON, YAML or protobuf, size limits, the
object's apiVersion and kind against the endpoint, and unknown fields by `fieldValidation`.

Called by the HTTP handlers before a body reaches `registry`. Errors are the 400/413/422/500
answers of the real server for the same input.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml

from gitferry.apiserver import errors, protobuf
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.schema import Kind, TypeNode

# kube-apiserver refuses bodies over 3 MiB (etcd's default request limit).
MAX_BODY_BYTES = 3 * 1024 * 1024
FIELD_VALIDATIONS = ("Ignore", "Warn", "Strict")


def check_size(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise errors.too_large(f"Request entity too large: limit is {MAX_BODY_BYTES}")


def json_body(body: bytes) -> Any:
    """A JSON body, or 400 with the parser's complaint."""
    check_size(body)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {err}") from err


def yaml_body(body: bytes) -> Any:
    """A YAML (or JSON) body, decoded as YAML 1.1 like sigs.k8s.io/yaml (so `n` is false).

    kubectl sends JSON, which is YAML: it is parsed as JSON first (fast), and only bodies
    that are not JSON go through the YAML parser."""
    check_size(body)
    if body.lstrip()[:1] in (b"{", b"["):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # YAML flow style also starts with a brace
    try:
        return yaml.load(body, Loader=_Loader)
    except yaml.YAMLError as err:
        raise errors.bad_request(f"error decoding YAML: {_one_line(err)}") from err


def object_body(body: bytes, content_type: str) -> dict[str, Any]:
    """The object of a POST or PUT, decoded by its content type: JSON, YAML, or protobuf
    (kubectl's generator commands send protobuf and never retry as JSON)."""
    if "protobuf" in content_type:
        check_size(body)
        return protobuf.decode(body)
    value = yaml_body(body) if "yaml" in content_type else json_body(body)
    if not isinstance(value, dict):
        raise errors.bad_request(
            "the object provided is unrecognized (must be a JSON or YAML object)"
        )
    return value


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader, keeping timestamps as strings as a JSON-typed decoder does."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


def check_type(resource: ResourceType, version: str, obj: dict[str, Any]) -> None:
    """The body's apiVersion and kind must be the endpoint's (empty ones are filled in)."""
    kind = obj.get("kind") or resource.kind
    api_version = obj.get("apiVersion") or resource.api_version(version)
    expected = resource.api_version(version)
    if kind != resource.kind:
        raise errors.bad_request(
            f'{kind} in version "{version}" cannot be handled as a {resource.kind}: '
            f"the object provided is unrecognized (must be of type {resource.kind})"
        )
    if api_version != expected:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({expected})"
        )
    obj["kind"] = kind
    obj["apiVersion"] = api_version


def field_validation(value: str | None) -> str:
    """The `fieldValidation` query parameter (Warn when absent), or 422."""
    if not value:
        return "Warn"
    if value not in FIELD_VALIDATIONS:
        raise errors.options_invalid(
            "CreateOptions",
            "fieldValidation",
            "FieldValueNotSupported",
            f'Unsupported value: "{value}": supported values: "Ignore", "Strict", "Warn"',
        )
    return value


def drop_unknown_fields(node: TypeNode, obj: Any, path: str = "") -> list[str]:
    """Remove keys the schema does not declare; return their paths (`spec.foo`,
    `spec.template.spec.containers[0].foo`) in object order, as strict decoding names them."""
    found: list[str] = []
    if node.kind is Kind.STRUCT and isinstance(obj, dict):
        for key in list(obj):
            child_path = f"{path}.{key}" if path else key
            if not node.declares(key):
                found.append(child_path)
                del obj[key]
            elif key in node.fields:
                found.extend(drop_unknown_fields(node.fields[key], obj[key], child_path))
    elif node.kind is Kind.MAP and isinstance(obj, dict) and node.elem is not None:
        for key, value in obj.items():
            found.extend(drop_unknown_fields(node.elem, value, f"{path}.{key}"))
    elif node.kind is Kind.LIST and isinstance(obj, list) and node.elem is not None:
        for index, value in enumerate(obj):
            found.extend(drop_unknown_fields(node.elem, value, f"{path}[{index}]"))
    return found


def strict_message(paths: list[str]) -> str:
    return "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in paths)


def unknown_fields(
    resource: ResourceType, version: str, obj: dict[str, Any], validation: str
) -> list[str]:
    """Apply `fieldValidation` to a decoded POST/PUT body: unknown fields are dropped, and
    reported as warnings (Warn) or refused with 400 (Strict). Returns the warnings."""
    paths = drop_unknown_fields(resource.type, obj)
    if not paths or validation == "Ignore":
        return []
    if validation == "Strict":
        raise errors.bad_request(
            f'{resource.kind} in version "{version}" cannot be handled as a {resource.kind}: '
            + strict_message(paths)
        )
    return [f'unknown field "{p}"' for p in paths]
