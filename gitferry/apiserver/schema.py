"""Typed schemas of API objects, as the write paths need them.

Server-side apply, strategic merge patch, strict field validation and defaulting all walk an
object together with its schema. This module turns OpenAPI schemas into a small tree of
`TypeNode`s that answers exactly their questions: is this a struct, a map or a list; is the list
atomic, a set or a map keyed by which fields; what is the strategic-merge strategy and merge key
of this field; is this map atomic.

Built-in kinds come from the `kubernetes-validate` package's JSON schemas for Kubernetes 1.32
(they keep the `x-kubernetes-*` markers); custom resources from their CRD's
`openAPIV3Schema`. Called by `catalog` (to attach a type to every resource), `ssa`,
`strategic`, `validation` and `defaults`.
"""

from __future__ import annotations

import enum
import functools
import importlib.resources
from dataclasses import dataclass, field
from typing import Any

import orjson

K8S_SCHEMA_VERSION = "v1.32.0"

# Key fields of associative lists that the API server defaults before matching items, so that
# `{containerPort: 80}` and `{containerPort: 80, protocol: TCP}` are the same item.
KEY_DEFAULTS: dict[str, Any] = {"protocol": "TCP"}


class Kind(enum.Enum):
    """What shape of value a schema node describes."""

    SCALAR = "scalar"
    STRUCT = "struct"  # fixed, declared properties
    MAP = "map"  # string keys, all values of one type (labels, data, resources.limits)
    LIST = "list"
    UNTYPED = "untyped"  # anything goes: maps granular, lists atomic (SSA's "deduced" type)


@dataclass(eq=False)
class TypeNode:
    """One node of a typed schema.

    Field-level markers (list type, patch strategy, merge key) live on the node made for that
    field, so two fields that share an item type can still merge differently.
    """

    kind: Kind
    # STRUCT: declared properties. Filled after construction for recursive definitions.
    fields: dict[str, TypeNode] = field(default_factory=dict)
    # STRUCT that also accepts undeclared keys (x-kubernetes-preserve-unknown-fields).
    preserve_unknown: bool = False
    # MAP: the type of every value. LIST: the type of every item.
    elem: TypeNode | None = None
    # LIST: "atomic", "set" or "map" (server-side apply topology).
    list_type: str = "atomic"
    # LIST of type "map": the fields that identify an item.
    list_keys: tuple[str, ...] = ()
    # STRUCT or MAP replaced as a whole by server-side apply (x-kubernetes-map-type: atomic).
    atomic: bool = False
    # Strategic merge patch markers of the field: {"merge"}, {"replace"}, {"retainKeys"}, ...
    patch_strategy: frozenset[str] = frozenset()
    patch_merge_key: str | None = None
    # SCALAR: "string", "integer", "number", "boolean", "int-or-string", "quantity" or "any".
    scalar: str = "any"
    # Name of the OpenAPI definition this node was built from, when there is one.
    name: str = ""

    def child(self, key: str) -> TypeNode:
        """The type of the value under `key` of a struct or map (UNTYPED when unknown)."""
        if self.kind is Kind.STRUCT:
            return self.fields.get(key, UNTYPED)
        if self.kind is Kind.MAP and self.elem is not None:
            return self.elem
        return UNTYPED

    def item(self) -> TypeNode:
        """The type of the items of a list (UNTYPED when unknown)."""
        return self.elem if self.elem is not None else UNTYPED

    def declares(self, key: str) -> bool:
        """Whether `key` is allowed in this struct (strict field validation)."""
        if self.kind is not Kind.STRUCT:
            return True
        return self.preserve_unknown or key in self.fields


UNTYPED = TypeNode(Kind.UNTYPED)


def _types_of(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if declared is None:
        return set()
    if isinstance(declared, str):
        return {declared}
    return {t for t in declared if t != "null"}


class _Builder:
    """Builds TypeNodes from JSON-schema-with-$defs (built-ins) or inline schemas (CRDs)."""

    def __init__(self, definitions: dict[str, Any], *, crd: bool) -> None:
        self._defs = definitions
        self._crd = crd
        self._nodes: dict[str, TypeNode] = {}

    def definition(self, name: str) -> TypeNode:
        node = self._nodes.get(name)
        if node is not None:
            return node
        schema = self._defs[name]
        scalar = _scalar_definition(name)
        if scalar is not None:
            node = TypeNode(Kind.SCALAR, scalar=scalar, name=name)
            self._nodes[name] = node
            return node
        node = TypeNode(Kind.UNTYPED, name=name)
        self._nodes[name] = node  # registered first: definitions are recursive
        built = self.node(schema, field_schema=None)
        for attr, value in built.__dict__.items():
            if attr != "name":
                setattr(node, attr, value)
        return node

    def node(self, schema: dict[str, Any], *, field_schema: dict[str, Any] | None) -> TypeNode:
        """The node for `schema`; `field_schema` carries field-level markers when different."""
        markers = field_schema if field_schema is not None else schema
        ref = schema.get("$ref")
        if ref is not None:
            target = self.definition(ref.rsplit("/", 1)[-1])
            if not _has_field_markers(markers):
                return target
            # A field that refers to a struct but adds markers (e.g. retainKeys on strategy).
            copy = TypeNode(**{**target.__dict__})
            _apply_markers(copy, markers)
            return copy
        if schema.get("x-kubernetes-int-or-string"):
            return TypeNode(Kind.SCALAR, scalar="int-or-string")
        types = _types_of(schema)
        if "array" in types:
            items = schema.get("items") or {}
            node = TypeNode(Kind.LIST, elem=self.node(items, field_schema=None))
            _apply_list_type(node, markers, crd=self._crd)
            _apply_markers(node, markers)
            return node
        if "object" in types or "properties" in schema or "additionalProperties" in schema:
            props = schema.get("properties")
            additional = schema.get("additionalProperties")
            if props:
                node = TypeNode(
                    Kind.STRUCT,
                    preserve_unknown=bool(schema.get("x-kubernetes-preserve-unknown-fields")),
                )
                node.fields = {key: self.node(sub, field_schema=None) for key, sub in props.items()}
            elif isinstance(additional, dict):
                node = TypeNode(Kind.MAP, elem=self.node(additional, field_schema=None))
            else:
                node = TypeNode(Kind.UNTYPED)
                # An untyped object still merges key by key; keep it a granular map of anything.
                node.kind = Kind.MAP
                node.elem = UNTYPED
            _apply_markers(node, markers)
            return node
        if types:
            scalar = next(iter(types))
            if scalar == "array":
                scalar = "any"
            return TypeNode(Kind.SCALAR, scalar=scalar)
        if "oneOf" in schema or "anyOf" in schema:
            return TypeNode(Kind.SCALAR, scalar="any")
        return UNTYPED


def _scalar_definition(name: str) -> str | None:
    if name.endswith("util.intstr.IntOrString"):
        return "int-or-string"
    if name.endswith("api.resource.Quantity"):
        return "quantity"
    if name.endswith(("meta.v1.Time", "meta.v1.MicroTime")):
        return "string"
    return None


def _has_field_markers(schema: dict[str, Any]) -> bool:
    return any(
        key in schema
        for key in (
            "x-kubernetes-patch-strategy",
            "x-kubernetes-patch-merge-key",
            "x-kubernetes-map-type",
            "x-kubernetes-list-type",
        )
    )


def _apply_markers(node: TypeNode, schema: dict[str, Any]) -> None:
    strategy = schema.get("x-kubernetes-patch-strategy")
    if strategy:
        node.patch_strategy = frozenset(part.strip() for part in strategy.split(","))
    merge_key = schema.get("x-kubernetes-patch-merge-key")
    if merge_key:
        node.patch_merge_key = merge_key
    map_type = schema.get("x-kubernetes-map-type")
    if map_type is not None:
        node.atomic = map_type == "atomic"


def _apply_list_type(node: TypeNode, schema: dict[str, Any], *, crd: bool) -> None:
    list_type = schema.get("x-kubernetes-list-type")
    if list_type in ("atomic", "set", "map"):
        node.list_type = list_type
        if list_type == "map":
            node.list_keys = tuple(schema.get("x-kubernetes-list-map-keys") or ())
        return
    # Without a list type, built-in lists with a merge strategy and key are maps keyed by that
    # key (the SSA fallback); everything else, and every CRD list, is atomic.
    strategy = schema.get("x-kubernetes-patch-strategy", "")
    merge_key = schema.get("x-kubernetes-patch-merge-key")
    if not crd and "merge" in strategy and merge_key:
        node.list_type = "map"
        node.list_keys = (merge_key,)
    elif not crd and "merge" in strategy:
        node.list_type = "set"
    else:
        node.list_type = "atomic"


@dataclass(frozen=True)
class BuiltinSchemas:
    """The typed schemas of every built-in kind, and the raw definitions behind them."""

    definitions: dict[str, Any]
    by_gvk: dict[tuple[str, str, str], TypeNode]
    def_name_by_gvk: dict[tuple[str, str, str], str]


@functools.cache
def builtin() -> BuiltinSchemas:
    """Load (once per process) the Kubernetes 1.32 definitions and build their types."""
    root = importlib.resources.files("kubernetes_validate").joinpath(
        "kubernetes-json-schema", f"{K8S_SCHEMA_VERSION}-local", "_definitions.json"
    )
    definitions: dict[str, Any] = orjson.loads(root.read_bytes())["$defs"]
    builder = _Builder(definitions, crd=False)
    by_gvk: dict[tuple[str, str, str], TypeNode] = {}
    names: dict[tuple[str, str, str], str] = {}
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            key = (gvk.get("group", ""), gvk["version"], gvk["kind"])
            # Several definitions can claim one GVK (e.g. DeleteOptions); the first wins.
            if key not in by_gvk:
                by_gvk[key] = builder.definition(name)
                names[key] = name
    return BuiltinSchemas(definitions, by_gvk, names)


def object_meta() -> TypeNode:
    """The type of `metadata` (ObjectMeta), shared by every kind."""
    return builtin().by_gvk[("apps", "v1", "Deployment")].child("metadata")


def from_crd(openapi_v3_schema: dict[str, Any] | None) -> TypeNode:
    """The type of a custom resource from its CRD version's `schema.openAPIV3Schema`.

    `apiVersion`, `kind` and `metadata` are always typed as for built-ins, whatever the CRD
    says, as the API server does.
    """
    if not openapi_v3_schema:
        root = TypeNode(Kind.STRUCT, preserve_unknown=True)
    else:
        root = _Builder({}, crd=True).node(openapi_v3_schema, field_schema=None)
        if root.kind is not Kind.STRUCT:
            root = TypeNode(Kind.STRUCT, preserve_unknown=True)
    fields = dict(root.fields)
    fields["apiVersion"] = TypeNode(Kind.SCALAR, scalar="string")
    fields["kind"] = TypeNode(Kind.SCALAR, scalar="string")
    fields["metadata"] = object_meta()
    root.fields = fields
    return root
