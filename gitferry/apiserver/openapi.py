"""The OpenAPI v3 documents of the embedded cluster: `/openapi/v3` and one per group-version.

kubectl reads them before every write: client-side apply takes the strategic-merge metadata
(`x-kubernetes-patch-merge-key`, `-patch-strategy`, list types) of built-in kinds from them,
`--validate=strict` sends `fieldValidation=Strict` only when a PATCH operation for the kind's
group-version-kind lists that parameter, and `kubectl explain` renders the schemas. The
documents are therefore built from the real Kubernetes 1.32 definitions (`schema.builtin()`),
reshaped the way the real server publishes them:

- JSON-Schema type arrays (`["string", "null"]`) become a single `type` (explain crashes on
  arrays); `#/$defs/` references point to `#/components/schemas/`, and a reference that carries
  its own description or markers is wrapped in `allOf`, as OpenAPI 3.0 ignores `$ref` siblings;
- a document holds the definitions its kinds reach (ObjectMeta and the other meta/v1 types
  included), plus `paths` with the list, create, read, replace, patch and delete operations of
  each resource and its subresources;
- custom resources get a schema made from their CRD's `openAPIV3Schema`, with the standard
  `apiVersion`, `kind` and `metadata` properties, and a `<Kind>List` schema.

`OpenAPI` is called by the API server's `/openapi/v3` handler. Documents are built on first
request and kept as serialised bytes; the server calls `invalidate()` when CRDs change, which
also changes the hashes the index advertises so that kubectl's HTTP cache refetches.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from gitferry.apiserver import schema
from gitferry.apiserver.catalog import Catalog, ResourceType

_DEFS = "#/$defs/"
_SCHEMAS = "#/components/schemas/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_SCALE = "io.k8s.api.autoscaling.v1.Scale"
_SCALE_GVK = {"group": "autoscaling", "version": "v1", "kind": "Scale"}

# Schema keywords whose values are schemas (or maps / lists of schemas); nothing else is walked,
# so property names such as `$ref` or `type` (JSONSchemaProps has both) stay untouched.
_SCHEMA_MAPS = ("properties", "patternProperties")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONE = ("items", "additionalProperties", "not")

_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)

# name -> (in, type, description) of every query and path parameter the server understands.
# Operations list them inline: kubectl's fieldValidation check does not follow parameter `$ref`s.
# fmt: off
_PARAMETERS: dict[str, tuple[str, str, str]] = {
    "name": ("path", "string", "name of the resource"),
    "namespace": ("path", "string", "object name and auth scope, such as for teams and projects"),
    "pretty": ("query", "string", "If 'true', then the output is pretty printed."),
    "dryRun": ("query", "string", "When present (value All), modifications are not persisted."),
    "fieldManager": ("query", "string", "Name of the actor making the change."),
    "fieldValidation": ("query", "string", "How to handle unknown or duplicate fields in the "
                        "request body: Ignore, Warn or Strict."),
    "force": ("query", "boolean", "Re-acquire conflicting fields owned by other managers "
              "(apply requests only)."),
    "labelSelector": ("query", "string", "A selector to restrict the list by labels."),
    "fieldSelector": ("query", "string", "A selector to restrict the list by fields."),
    "limit": ("query", "integer", "Maximum number of items to return in one page."),
    "continue": ("query", "string", "The continue token of the previous page."),
    "resourceVersion": ("query", "string", "Which resource versions the request may be "
                        "served from."),
    "resourceVersionMatch": ("query", "string", "How resourceVersion is applied to a list."),
    "timeoutSeconds": ("query", "integer", "Timeout of the list or watch call."),
    "watch": ("query", "boolean", "Watch for changes instead of listing."),
    "allowWatchBookmarks": ("query", "boolean", "Ask for BOOKMARK watch events."),
    "gracePeriodSeconds": ("query", "integer", "Seconds before the object is deleted."),
    "propagationPolicy": ("query", "string", "Whether and how garbage collection is performed: "
                          "Orphan, Background or Foreground."),
}
_LIST = ("labelSelector", "fieldSelector", "limit", "continue", "resourceVersion",
         "resourceVersionMatch", "timeoutSeconds", "watch", "allowWatchBookmarks")
_WRITE = ("dryRun", "fieldManager", "fieldValidation")
_DELETE = ("dryRun", "gracePeriodSeconds", "propagationPolicy")

# x-kubernetes-action -> (HTTP method, operationId verb, query parameters, response codes)
_OPERATIONS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "list": ("get", "list", _LIST, ("200",)),
    "post": ("post", "create", _WRITE, ("200", "201", "202")),
    "deletecollection": ("delete", "deleteCollection", (*_DELETE, *_LIST), ("200",)),
    "get": ("get", "read", (), ("200",)),
    "put": ("put", "replace", _WRITE, ("200", "201")),
    "patch": ("patch", "patch", (*_WRITE, "force"), ("200", "201")),
    "delete": ("delete", "delete", _DELETE, ("200", "202")),
}
# fmt: on
_STATUS_TEXT = {"200": "OK", "201": "Created", "202": "Accepted"}


class OpenAPI:
    """The `/openapi/v3` index and per-group-version documents of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._documents: dict[str, bytes] = {}
        self._index: bytes | None = None

    def invalidate(self) -> None:
        """Forget every built document (the catalog's custom resources changed)."""
        self._documents.clear()
        self._index = None

    def index(self) -> bytes:
        """`{"paths": {"apis/apps/v1": {"serverRelativeURL": ".../apis/apps/v1?hash=H"}}}`."""
        if self._index is None:
            paths: dict[str, Any] = {}
            for path in self._group_version_paths():
                document = self.document(path)
                assert document is not None  # the path comes from the catalog
                digest = hashlib.sha512(document).hexdigest().upper()
                paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
            self._index = orjson.dumps({"paths": paths})
        return self._index

    def document(self, group_version_path: str) -> bytes | None:
        """The document of `api/v1` or `apis/<group>/<version>` (no query); None if not served."""
        path = group_version_path.strip("/")
        cached = self._documents.get(path)
        if cached is not None:
            return cached
        parts = path.split("/")
        if parts[0] == "api" and len(parts) == 2:
            group, version = "", parts[1]
        elif parts[0] == "apis" and len(parts) == 3 and parts[1]:
            group, version = parts[1], parts[2]
        else:
            return None
        resources = self._catalog.in_group_version(group, version)
        if not resources:
            return None
        built = orjson.dumps(_build(f"/{path}", version, resources))
        self._documents[path] = built
        return built

    def _group_version_paths(self) -> list[str]:
        paths = []
        for group, versions in self._catalog.groups().items():
            for version in versions:
                paths.append(f"apis/{group}/{version}" if group else f"api/{version}")
        return sorted(paths)


def _build(prefix: str, version: str, resources: list[ResourceType]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    roots = {_META + "Status", _META + "DeleteOptions", _META + "Patch", _META + "ListMeta"}
    paths: dict[str, Any] = {}
    for resource in resources:
        if resource.builtin:
            gvk = (resource.group, version, resource.kind)
            kind_name = schema.builtin().def_name_by_gvk[gvk]
            list_name = schema.builtin().def_name_by_gvk[(*gvk[:2], resource.kind + "List")]
            roots.update((kind_name, list_name))
        else:
            kind_name, list_name = _custom_schemas(resource, version, schemas)
            roots.add(_META + "ObjectMeta")
        if "scale" in resource.subresources:
            roots.add(_SCALE)
        paths.update(_resource_paths(prefix, version, resource, kind_name, list_name))
    for name in _closure(roots):
        schemas[name] = _definitions()[name]
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": schema.K8S_SCHEMA_VERSION},
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


# --- schemas ----------------------------------------------------------------------------------


@functools.cache
def _definitions() -> dict[str, Any]:
    """Every built-in definition, reshaped for OpenAPI 3.0 (built once per process)."""
    definitions = {name: _reshape(body) for name, body in schema.builtin().definitions.items()}
    for body in definitions.values():
        # The JSON-schema generator pins apiVersion and kind with enums; the real server does not.
        for key in ("apiVersion", "kind"):
            body.get("properties", {}).get(key, {}).pop("enum", None)
    return definitions


@functools.cache
def _references() -> dict[str, frozenset[str]]:
    """The definitions each definition refers to directly."""
    return {name: frozenset(_refs_in(body)) for name, body in _definitions().items()}


def _closure(roots: Iterable[str]) -> list[str]:
    references = _references()
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(references[name] - seen)
    return sorted(seen)


def _reshape(node: Any) -> Any:
    """An OpenAPI 3.0 schema from a JSON-Schema one (see the module docstring)."""
    if not isinstance(node, dict):
        return node  # `additionalProperties: true`
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            if len(types) == 1:
                out[key] = types[0]
        elif key == "$ref":
            out[key] = _SCHEMAS + value.removeprefix(_DEFS)
        elif key in _SCHEMA_MAPS:
            out[key] = {name: _reshape(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            out[key] = [_reshape(sub) for sub in value]
        elif key in _SCHEMA_ONE:
            out[key] = [_reshape(s) for s in value] if isinstance(value, list) else _reshape(value)
        else:
            out[key] = value
    ref = out.get("$ref")
    if ref is not None and len(out) > 1:
        del out["$ref"]
        out["allOf"] = [{"$ref": ref}]
    return out


def _refs_in(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref.removeprefix(_SCHEMAS)
        for key in (*_SCHEMA_MAPS, *_SCHEMA_LISTS, *_SCHEMA_ONE):
            value = node.get(key)
            if isinstance(value, dict) and key in _SCHEMA_MAPS:
                for sub in value.values():
                    yield from _refs_in(sub)
            elif isinstance(value, list):
                for sub in value:
                    yield from _refs_in(sub)
            elif value is not None:
                yield from _refs_in(value)


def _custom_schemas(
    resource: ResourceType, version: str, schemas: dict[str, Any]
) -> tuple[str, str]:
    """Add the object and list schemas of a custom resource; return their names."""
    prefix = ".".join(reversed(resource.group.split("."))) + "." + version
    kind_name, list_name = f"{prefix}.{resource.kind}", f"{prefix}.{resource.kind}List"
    body = _reshape(resource.crd_schema or {})
    if not body.get("properties"):
        body["x-kubernetes-preserve-unknown-fields"] = True
    body["type"] = "object"
    body["properties"] = {**body.get("properties", {}), **_type_meta(), "metadata": _object_meta()}
    body["x-kubernetes-group-version-kind"] = [
        {"group": resource.group, "version": version, "kind": resource.kind}
    ]
    schemas[kind_name] = body
    schemas[list_name] = {
        "description": f"{resource.kind}List is a list of {resource.kind}",
        "type": "object",
        "required": ["items"],
        "properties": {
            **_type_meta(),
            "items": {"type": "array", "items": {"$ref": _SCHEMAS + kind_name}},
            "metadata": {"allOf": [{"$ref": _SCHEMAS + _META + "ListMeta"}]},
        },
        "x-kubernetes-group-version-kind": [
            {"group": resource.group, "version": version, "kind": resource.kind + "List"}
        ],
    }
    return kind_name, list_name


def _type_meta() -> dict[str, Any]:
    deployment = _definitions()[schema.builtin().def_name_by_gvk[("apps", "v1", "Deployment")]]
    keep = ("description", "type")
    return {
        key: {k: v for k, v in deployment["properties"][key].items() if k in keep}
        for key in ("apiVersion", "kind")
    }


def _object_meta() -> dict[str, Any]:
    return {
        "description": "Standard object's metadata. More info: https://git.k8s.io/community/"
        "contributors/devel/sig-architecture/api-conventions.md#metadata",
        "allOf": [{"$ref": _SCHEMAS + _META + "ObjectMeta"}],
    }


# --- paths ------------------------------------------------------------------------------------


def _resource_paths(
    prefix: str, version: str, resource: ResourceType, kind_name: str, list_name: str
) -> dict[str, Any]:
    gvk = {"group": resource.group, "version": version, "kind": resource.kind}
    gv_id = _group_version_id(resource.group, version)
    ident = gv_id + ("Namespaced" if resource.namespaced else "") + resource.kind
    scope = ("namespace",) if resource.namespaced else ()
    collection = prefix + ("/namespaces/{namespace}/" if resource.namespaced else "/")
    collection += resource.plural
    status, options = _META + "Status", _META + "DeleteOptions"
    paths: dict[str, Any] = {
        collection: {
            "parameters": _parameters((*scope, "pretty")),
            **_op("list", ident, gvk, list_name),
            **_op("post", ident, gvk, kind_name, body=kind_name),
            **_op("deletecollection", ident, gvk, status, body=options),
        }
    }
    if resource.namespaced:
        paths[f"{prefix}/{resource.plural}"] = {
            "parameters": _parameters(("pretty",)),
            **_op("list", f"{gv_id}{resource.kind}ForAllNamespaces", gvk, list_name),
        }
    # Custom resources take no strategic merge patch: kubectl sends them merge patches.
    patch_types = [t for t in _PATCH_TYPES if resource.builtin or "strategic" not in t]
    item = collection + "/{name}"
    for sub in ("", *sorted(resource.subresources)):
        target_gvk, ref = (_SCALE_GVK, _SCALE) if sub == "scale" else (gvk, kind_name)
        name = ident + sub.capitalize()
        operations = {
            "parameters": _parameters(("name", *scope, "pretty")),
            **_op("get", name, target_gvk, ref),
            **_op("put", name, target_gvk, ref, body=ref),
            **_op("patch", name, target_gvk, ref, body=_META + "Patch", media=patch_types),
        }
        if not sub:
            deleted = kind_name if resource.returns_deleted else status
            operations |= _op("delete", name, gvk, deleted, body=options)
        paths[f"{item}/{sub}" if sub else item] = operations
    return paths


def _op(
    action: str,
    name: str,
    gvk: dict[str, str],
    response: str,
    *,
    body: str | None = None,
    media: Iterable[str] = ("*/*",),
) -> dict[str, Any]:
    """`{method: operation}` for one `x-kubernetes-action` of a path."""
    method, verb, parameters, codes = _OPERATIONS[action]
    reply = {"content": {"application/json": {"schema": {"$ref": _SCHEMAS + response}}}}
    operation: dict[str, Any] = {
        "operationId": verb + name,
        "parameters": _parameters(parameters),
        "responses": {code: {"description": _STATUS_TEXT[code], **reply} for code in codes},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
    }
    if body is not None:
        content = {media_type: {"schema": {"$ref": _SCHEMAS + body}} for media_type in media}
        operation["requestBody"] = {"content": content, "required": method != "delete"}
    return {method: operation}


def _parameters(names: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": _PARAMETERS[name][0],
            "description": _PARAMETERS[name][2],
            "schema": {"type": _PARAMETERS[name][1]},
            **({"required": True} if _PARAMETERS[name][0] == "path" else {}),
        }
        for name in names
    ]


def _group_version_id(group: str, version: str) -> str:
    """The operationId infix of a group-version: `AppsV1`, `CoreV1`, `ArgoprojIoV1alpha1`."""
    words = (group.removesuffix(".k8s.io") or "core").replace("-", ".").split(".")
    return "".join(word.capitalize() for word in words) + version.capitalize()
