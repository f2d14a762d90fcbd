"""Strategic merge patch (`application/strategic-merge-patch+json`) of built-in kinds.

Called by the PATCH handler of the API server (`registry.patch`) with the stored object, the
decoded patch object and the kind's `TypeNode`. It reproduces the server half of
k8s.io/apimachinery v0.32 `strategicpatch` (reference/kubernetes-write-semantics.md section 2):
maps merge key by key and `null` deletes; a value of another JSON type replaces; lists are
replaced unless the field's `patchStrategy` has `merge`, when primitives are unioned and maps
merged item by item on the single `patchMergeKey`, new items going before the original items
after the last matched one (so usually first). The directives `$patch`, `$retainKeys`,
`$setElementOrder/<field>` and `$deleteFromPrimitiveList/<field>` are honoured, never stored.

Failures are raised as the API server maps the library's errors: malformed directives 400,
a list of lists the generic 422, anything else a raw 500 with Go's message (values rendered
as Go's `%v` does: `map: map[image:z] does not contain declared merge key: name`).

Where Go leaves directive keys and nested nulls inside replaced values for decoding into the
typed object to drop, we strip them here; and where Go's sort against a `$setElementOrder`
list that misses items is ill-defined, such items keep their relative order after the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.schema import Kind, TypeNode

PATCH = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER = "$setElementOrder"
DELETE_FROM = "$deleteFromPrimitiveList"

_DROP = object()  # what `_clean` returns for a map that must vanish with its key


def apply(original: dict[str, Any], patch: dict[str, Any], node: TypeNode) -> dict[str, Any]:
    """The object `original` becomes under `patch`; `node` is the kind's type.

    Neither input is mutated; the result shares untouched subtrees with `original`.
    A top-level `$patch: replace` replaces the whole object, `$patch: delete` empties it.
    """
    return _merge_map(original, patch, node)


# -- maps ------------------------------------------------------------------------------


def _merge_map(original: dict[str, Any], patch: dict[str, Any], node: TypeNode) -> dict[str, Any]:
    if PATCH in patch:
        directive = patch[PATCH]
        if directive == "replace":
            rest = {key: value for key, value in patch.items() if key != PATCH}
            replaced: dict[str, Any] = _clean(rest, drop_directive_maps=False)
            return replaced
        if directive == "delete":
            return {}
        raise errors.internal(f"unknown patch type: {_go(directive)} in map: {_go(patch)}")
    result = dict(original)
    if RETAIN_KEYS in patch:
        _retain_keys(result, patch)
    # Go orders lists first, removing each ordered list from the patch.
    ordered: set[str] = set()
    for key, value in patch.items():
        if key.startswith(SET_ORDER):
            field = _directive_field(key, SET_ORDER, "invalid patch format of setElementOrder list")
            _set_element_order(result, patch, field, value, node.child(field))
            ordered.add(field)
    for key, value in patch.items():
        if key == RETAIN_KEYS or key.startswith(SET_ORDER) or key in ordered:
            continue
        if key.startswith(DELETE_FROM):
            field = _directive_field(key, DELETE_FROM, "invalid patch format of primitive list")
            _merge_field(result, field, value, node, deleting=True)
        else:
            _merge_field(result, key, value, node, deleting=False)
    return result


def _merge_field(
    result: dict[str, Any], key: str, value: Any, node: TypeNode, *, deleting: bool
) -> None:
    """Merge `value` into `result[key]`; `deleting` when it came as a deletion list, which
    never creates or retypes a field but merges like a merge list whatever the strategy."""
    if value is None:
        result.pop(key, None)
        return
    if key not in result or type(result[key]) is not type(value):
        if deleting:
            return
        cleaned = _clean(value, drop_directive_maps=True)
        if cleaned is _DROP:
            result.pop(key, None)
        else:
            result[key] = cleaned
        return
    field = node.child(key)
    if isinstance(value, dict):
        if "replace" in field.patch_strategy:
            result[key] = _clean(value, drop_directive_maps=False)
        else:
            result[key] = _merge_map(result[key], value, field)
    elif isinstance(value, list):
        if "merge" in field.patch_strategy or deleting:
            result[key] = _merge_list(result[key], value, field, deleting=deleting)
        else:
            result[key] = _clean(value, drop_directive_maps=False)
    else:
        result[key] = value


def _retain_keys(result: dict[str, Any], patch: dict[str, Any]) -> None:
    """`$retainKeys`: every key the patch sets must be listed; unlisted keys are cleared."""
    listed = patch[RETAIN_KEYS]
    if not isinstance(listed, list):
        raise errors.bad_request("invalid patch format of retainKeys")
    keep = {key for key in listed if isinstance(key, str)}
    for key, value in patch.items():
        if value is None or key == RETAIN_KEYS or key.startswith((DELETE_FROM, SET_ORDER)):
            continue
        if key not in keep:
            raise errors.bad_request("invalid patch format of retainKeys")
    for key in [key for key in result if key not in keep]:
        del result[key]


def _directive_field(key: str, prefix: str, bad_format: str) -> str:
    head, slash, field = key.partition("/")
    if not slash or head != prefix:
        raise errors.bad_request(bad_format)
    return field


# -- lists -----------------------------------------------------------------------------


def _merge_list(
    original: list[Any], patch: list[Any], node: TypeNode, *, deleting: bool
) -> list[Any]:
    """Go's mergeSlice for a field with merge strategy (or a deletion list)."""
    if not original and not patch:
        return original
    merge_key = node.patch_merge_key or ""
    if _element_type(original, patch) is not dict:
        if deleting:
            gone = {_identity(value) for value in patch}
            return [value for value in original if _identity(value) not in gone]
        # Order does not matter here: `_order` sorts every item by one of the two lists.
        merged = list({_identity(value): value for value in (*original, *patch)}.values())
    else:
        if not merge_key:
            # Go names the Go kind of the item type; merge lists without key hold strings.
            item = node.item()
            kind = "string" if item.kind is Kind.SCALAR and item.scalar == "string" else "struct"
            raise errors.internal(f"cannot merge lists without merge key for {kind}")
        original, patch = _special_elements(original, patch, merge_key)
        merged = _merge_items(original, patch, merge_key, node.item())
    ident = _identity_of(merge_key)
    in_patch = {ident(item) for item in patch}
    patch_items = [item for item in merged if ident(item) in in_patch]
    server_only = [item for item in merged if ident(item) not in in_patch]
    return _order(patch_items, server_only, patch, original, ident)


def _special_elements(
    original: list[Any], patch: list[Any], merge_key: str
) -> tuple[list[Any], list[Any]]:
    """Apply the `$patch` items of a merge list: (original left, patch items left)."""
    rest: list[Any] = []
    gone: set[Hashable] = set()
    replace = False
    for item in patch:
        if PATCH not in item:
            rest.append(item)
            continue
        directive = item[PATCH]
        if directive == "delete":
            if merge_key not in item:
                raise errors.internal(_no_merge_key(item, merge_key))
            gone.add(_identity(item[merge_key]))
        elif directive == "replace":
            replace = True  # keep going: later items may still be malformed
        elif directive == "merge":
            raise errors.internal("merging lists cannot yet be specified in the patch")
        else:
            raise errors.internal(f"unknown patch type: {_go(directive)} in map: {_go(item)}")
    if replace:
        return [_clean(item, drop_directive_maps=False) for item in rest], []
    if gone:
        # Every item with a deleted key goes, duplicates included.
        original = [
            item
            for item in original
            if merge_key not in item or _identity(item[merge_key]) not in gone
        ]
    return original, rest


def _merge_items(
    original: list[Any], patch: list[Any], merge_key: str, item_node: TypeNode
) -> list[Any]:
    """Merge each patch item into the first item with its key, or append it."""
    merged = list(original)
    at: dict[Hashable, int] = {}
    for index, item in enumerate(merged):
        if merge_key in item:
            at.setdefault(_identity(item[merge_key]), index)
    for item in patch:
        if merge_key not in item:
            raise errors.internal(_no_merge_key(item, merge_key))
        key = _identity(item[merge_key])
        found = at.get(key)
        if found is None:
            # Later patch items with the same key merge into this one, as in Go.
            at[key] = len(merged)
            merged.append(_clean(item, drop_directive_maps=False))
        else:
            merged[found] = _merge_map(merged[found], item, item_node)
    return merged


def _set_element_order(
    result: dict[str, Any], patch: dict[str, Any], field: str, order: Any, node: TypeNode
) -> None:
    """`$setElementOrder/<field>`: merge the field's patch list, then sort the named items
    by `order`, interleaving the server-only items at their original positions."""
    if not isinstance(order, list):
        raise errors.internal(_bad_arg("[]interface {}", order))
    original, changes = result.get(field), patch.get(field)
    for value, present in ((original, field in result), (changes, field in patch)):
        if present and not isinstance(value, list):
            raise errors.internal(_bad_arg("[]interface {}", value))
    merge_key = node.patch_merge_key or ""
    _check_patch_order(changes or [], order, merge_key)
    if changes is None:
        if original is None:
            return
        merged = original
    elif original is None:
        merged = _clean(changes, drop_directive_maps=True)
    elif "merge" in node.patch_strategy:
        merged = _merge_list(original, changes, node, deleting=False)
    else:
        merged = _clean(changes, drop_directive_maps=False)
    ident = _identity_of(merge_key)
    named = {ident(item) for item in order}
    in_order = [item for item in merged if ident(item) in named]
    server_only = [item for item in merged if ident(item) not in named]
    _element_type(original or [], changes or [])
    result[field] = _order(in_order, server_only, order, original or [], ident)


def _check_patch_order(changes: list[Any], order: list[Any], merge_key: str) -> None:
    """The patch list's items must appear in `$setElementOrder` in the same order."""
    if not changes or not order:
        return
    items = changes
    if merge_key:
        for item in items:
            if not isinstance(item, dict):
                raise errors.internal(_bad_arg("map[string]interface {}", item))
        items = [item for item in items if item.get(PATCH) != "delete"]
    ident = _identity_of(merge_key)
    position = 0
    for expected in order:
        while position < len(items) and isinstance(items[position], dict):
            if PATCH not in items[position]:
                break
            position += 1
        if position == len(items):
            return
        if ident(items[position]) == ident(expected):
            position += 1
    if position < len(items):
        raise errors.internal(
            f"The order in patch list:\n{_go(changes)}\n doesn't match {SET_ORDER} list:\n"
            f"{_go(order)}\n"
        )


def _order(
    patch_items: list[Any],
    server_only: list[Any],
    patch_order: list[Any],
    server_order: list[Any],
    ident: Callable[[Any], Hashable],
) -> list[Any]:
    """Go's normalizeElementOrder: patch items sorted by `patch_order`, server-only items by
    `server_order`, then merged so that a server-only item goes first only when it came
    before the next patch item in `server_order`; new items therefore land before the
    original items that follow the last matched one."""
    patch_rank, server_rank = _positions(patch_order, ident), _positions(server_order, ident)
    left = sorted(server_only, key=lambda item: server_rank.get(ident(item), len(server_rank)))
    right = sorted(patch_items, key=lambda item: patch_rank.get(ident(item), len(patch_rank)))
    result: list[Any] = []
    i = j = 0
    while i < len(left) and j < len(right):
        mine, theirs = server_rank.get(ident(left[i])), server_rank.get(ident(right[j]))
        if mine is not None and theirs is not None and mine < theirs:
            result.append(left[i])
            i += 1
        else:
            result.append(right[j])
            j += 1
    return result + left[i:] + right[j:]


def _positions(items: list[Any], ident: Callable[[Any], Hashable]) -> dict[Hashable, int]:
    """The first position of each identity in `items`."""
    positions: dict[Hashable, int] = {}
    for index, item in enumerate(items):
        positions.setdefault(ident(item), index)
    return positions


def _element_type(original: list[Any], patch: list[Any]) -> type:
    """The one JSON type of the items of both lists (Go's sliceElementType)."""
    first: type | None = None
    for item in (*original, *patch):
        if first is None:
            if isinstance(item, list):
                raise errors.generic_invalid()  # "lists of lists are not supported"
            first = type(item)
        elif type(item) is not first:
            raise errors.internal(f"list element types are not identical: {_go([original, patch])}")
    if first is None:
        raise errors.internal("no elements in any of the given slices")
    return first


def _identity(value: Any) -> Hashable:
    """What Go's `==` on decoded JSON compares: the type and the value (so 1 is neither
    1.0 nor true). Go panics on maps and lists; we compare them by content."""
    if isinstance(value, (dict, list)):
        return (type(value), json.dumps(value, sort_keys=True))
    return (type(value), value)


def _identity_of(merge_key: str) -> Callable[[Any], Hashable]:
    """How items of a list are told apart: by value, or by the value of their merge key."""
    if not merge_key:
        return _identity

    def by_key(item: Any) -> Hashable:
        if not isinstance(item, dict):
            raise errors.internal(_bad_arg("map[string]interface {}", item))
        if merge_key not in item:
            raise errors.internal(_no_merge_key(item, merge_key))
        return _identity(item[merge_key])

    return by_key


# -- cleaning patch values before they are stored ---------------------------------------


def _is_directive(key: str) -> bool:
    return key in (PATCH, RETAIN_KEYS) or key.startswith((SET_ORDER, DELETE_FROM))


def _clean(value: Any, *, drop_directive_maps: bool) -> Any:
    """A copy of a patch value fit to store: no null map values, no directive keys.

    `drop_directive_maps` for values that land where the original had nothing (Go's
    removeDirectives): a map carrying `$patch` then vanishes instead of losing the key."""
    if isinstance(value, dict):
        if drop_directive_maps and PATCH in value:
            return _DROP
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            if item is None or _is_directive(key):
                continue
            item = _clean(item, drop_directive_maps=drop_directive_maps)
            if item is not _DROP:
                cleaned[key] = item
        return cleaned
    if isinstance(value, list):
        items = (_clean(item, drop_directive_maps=drop_directive_maps) for item in value)
        return [item for item in items if item is not _DROP]
    return value


# -- Go's renderings, for error messages -------------------------------------------------


def _no_merge_key(item: dict[str, Any], merge_key: str) -> str:
    return f"map: {_go(item)} does not contain declared merge key: {merge_key}"


def _bad_arg(expected: str, actual: Any) -> str:
    return f"expected a {expected}, but received a {_go_type(actual)}"


_GO_TYPES = {
    dict: "map[string]interface {}",
    list: "[]interface {}",
    str: "string",
    bool: "bool",
    int: "int64",
    float: "float64",
}


def _go_type(value: Any) -> str:
    """`reflect.TypeOf(value)` of a decoded JSON value, as `%s` prints it."""
    return _GO_TYPES.get(type(value), "%!s(<nil>)")


def _go(value: Any) -> str:
    """A decoded JSON value as Go's `%v` prints it: `map[a:1 b:[x y]]`, `<nil>`, `1e+06`."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{_go(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go(item) for item in value) + "]"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(value: float) -> str:
    """Go's shortest `%g`: exponent form below 1e-4 and from 1e6 on, no trailing `.0`."""
    number = Decimal(repr(value)).normalize()
    exponent = number.adjusted()
    if -4 <= exponent < 6:
        return format(number, "f")
    return f"{format(number.scaleb(-exponent), 'f')}e{exponent:+03d}"
