"""Objects walked with their schema: field sets, merge, diff and removal (SMD's `typed`).

Each function reproduces one structured-merge-diff v4.4.2 walker over a `schema.TypeNode`:

* `config_set` / `object_set`: `ToFieldSet` (reference 1.4), the first also type-checking an
  applied configuration as `ObjectToTyped` does;
* `merge`: `Merge` with "keep the config's value" (1.6), including keyed-list item order;
* `compare`: `Compare`, the Added / Modified / Removed path sets between two objects;
* `remove`: `RemoveItems`, deleting a set of paths (pruning, 1.9);
* `named_members`: `EnsureNamedFieldsAreMembers`, which pruning needs.

How a node is walked follows SMD: scalars, atomic structs/maps/lists, deduced lists and empty
(or null) granular values are leaves; structs and maps go key by key; `set` and `map` lists go
item by item, an item named by `fieldset.value_element` or `fieldset.key_element` (with
`schema.KEY_DEFAULTS` filling absent key fields); `UNTYPED` is SMD's deduced type. Values are
never mutated; results share untouched subtrees with the inputs. Called by `apply` and
`update`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Final

import orjson

from gitferry.apiserver.fields import fieldset
from gitferry.apiserver.fields.fieldset import DOT, LEAF, FieldSet
from gitferry.apiserver.schema import KEY_DEFAULTS, UNTYPED, Kind, TypeNode


class _Missing:
    """Go's nil Value: the side of a walk where a field is absent (JSON null is None)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
_GONE: Final = _Missing()  # RemoveItems emptied this value (Go: a nil result)

_LEAF, _MAP, _LIST = 0, 1, 2


def _members_of(node: TypeNode) -> tuple[dict[str, TypeNode] | None, TypeNode]:
    """A struct's declared fields, and the type of any other key (SMD's map ElementType)."""
    if node.kind is Kind.STRUCT:
        return node.fields, UNTYPED
    if node.kind is Kind.MAP and node.elem is not None:
        return None, node.elem
    return None, UNTYPED


def _granularity(node: TypeNode, value: Any) -> int:
    kind = node.kind
    if kind is Kind.STRUCT or kind is Kind.MAP:
        return _LEAF if node.atomic else _MAP
    if kind is Kind.LIST:
        return _LEAF if node.list_type == "atomic" else _LIST
    if kind is Kind.UNTYPED:
        return _MAP if type(value) is dict else _LEAF
    return _LEAF


class ItemError(ValueError):
    """A list item that cannot be named (SMD's listItemToPathElement errors)."""


def item_element(node: TypeNode, item: Any) -> str:
    """The path element of an item of a `set` or `map` list."""
    keys = node.list_keys
    if node.list_type == "map" and keys:
        if item is None:
            raise ItemError("associative list with keys may not have a null element")
        if type(item) is not dict:
            raise ItemError("associative list with keys may not have non-map elements")
        fields = {}
        for name in sorted(keys):
            if name in item:
                fields[name] = item[name]
            elif name in KEY_DEFAULTS:
                fields[name] = KEY_DEFAULTS[name]
            else:
                raise ItemError(
                    "associative list with keys has an element that omits key field "
                    f"{fieldset.go_quote(name)} (and doesn't have default value)"
                )
        if len(fields) == 1:
            ((name, value),) = fields.items()
            if type(value) in (str, int):
                return _single_key(name, value)
        return fieldset.key_element(fields)
    if type(item) is dict:
        raise ItemError("associative list without keys has an element that's a map type")
    if type(item) is list:
        raise ItemError("not supported: associative list with lists as elements")
    if item is None:
        raise ItemError("associative list without keys has an element that's an explicit null")
    return fieldset.value_element(item)


@functools.lru_cache(maxsize=16384, typed=True)
def _single_key(name: str, value: str | int) -> str:
    return fieldset.key_element({name: value})


# --- Field sets ---------------------------------------------------------------------------


def config_set(config: Any, node: TypeNode) -> tuple[FieldSet, list[str]]:
    """The field set of an applied configuration, and its typing errors as SMD words them
    (`.spec.foo: field not declared in schema`); the set is meaningless if there are any."""
    errors: list[str] = []
    return _set_of(config, node, [], errors, False) or {}, errors


def object_set(obj: Any, node: TypeNode) -> FieldSet:
    """The field set of a stored object (duplicated list items tolerated)."""
    return _set_of(obj, node, None, None, False) or {}


def _error(stack: list[str] | None, errors: list[str], message: str) -> None:
    path = fieldset.path_string(stack) if stack else ""
    errors.append(f"{path}: {message}" if path else message)


def _set_of(
    value: Any,
    node: TypeNode,
    stack: list[str] | None,
    errors: list[str] | None,
    member: bool,
) -> FieldSet | None:
    """The node for `value` at one path: LEAF, children (with "." if `member`) or None.
    `stack` and `errors` are given when type-checking an applied configuration."""
    shape = _granularity(node, value)
    if shape == _LEAF:
        if errors is not None and value is not None:
            _check(value, node, stack, errors)
        return LEAF
    children: FieldSet = {}
    if shape == _MAP:
        if type(value) is dict:
            fields, elem = _members_of(node)
            strict = fields is not None and not node.preserve_unknown
            for key, child_value in value.items():
                declared = fields is not None and key in fields
                pe = "f:" + key
                if strict and not declared and errors is not None:
                    _error([*(stack or ()), pe], errors, "field not declared in schema")
                    break  # SMD stops at the first undeclared field of an object
                child_node = fields[key] if declared else elem  # type: ignore[index]
                if child_node.kind is Kind.SCALAR:  # the common leaf, without a call
                    if (
                        errors is not None
                        and child_value is not None
                        and (type(child_value) is not str or child_node.scalar != "string")
                    ):
                        _check(child_value, child_node, [*(stack or ()), pe], errors)
                    children[pe] = LEAF
                    continue
                if stack is not None:
                    stack.append(pe)
                child = _set_of(child_value, child_node, stack, errors, not declared)
                if stack is not None:
                    stack.pop()
                if child is not None:
                    children[pe] = child
        elif value is not None and errors is not None:
            _error(stack, errors, f"expected map, got &{{{fieldset.go_v(value)}}}")
    elif type(value) is list:
        elem = node.item()
        for index, item in enumerate(value):
            try:
                pe = item_element(node, item)
            except ItemError as err:
                if errors is not None:
                    _error(stack, errors, f"element {index}: {err}")
                    break
                continue
            if pe in children and errors is not None:
                path = fieldset.path_string([pe])
                _error(stack, errors, f"duplicate entries for key {path}")
            if stack is not None:
                stack.append(pe)
            child = _set_of(item, elem, stack, errors, True) or LEAF
            if stack is not None:
                stack.pop()
            children[pe] = (
                child if pe not in children else fieldset.union({pe: children[pe]}, {pe: child})[pe]
            )
    elif value is not None and errors is not None:
        _error(stack, errors, f"expected list, got &{{{fieldset.go_v(value)}}}")
    if not children:
        return LEAF if member else None
    if member:
        children[DOT] = LEAF
    return children


def _check(value: Any, node: TypeNode, stack: list[str] | None, errors: list[str]) -> None:
    """Type-check a leaf: a scalar, or an atomic value (whose insides SMD still validates)."""
    kind = node.kind
    if kind is Kind.SCALAR:
        problem = _scalar_problem(node.scalar, value)
        if problem:
            _error(stack, errors, problem)
    elif kind is Kind.STRUCT or kind is Kind.MAP:
        if type(value) is not dict:
            _error(stack, errors, f"expected map, got &{{{fieldset.go_v(value)}}}")
            return
        granular = TypeNode(**{**node.__dict__, "atomic": False})
        _set_of(value, granular, stack, errors, False)
    elif kind is Kind.LIST:
        if type(value) is not list:
            _error(stack, errors, f"expected list, got &{{{fieldset.go_v(value)}}}")
            return
        elem = node.item()
        for index, item in enumerate(value):
            if stack is not None:
                stack.append(f"i:{index}")
            _set_of(item, elem, stack, errors, False)
            if stack is not None:
                stack.pop()


def _scalar_problem(scalar: str, value: Any) -> str | None:
    if scalar == "string":
        if not isinstance(value, str):
            inner = fieldset.go_sharp_v(value)
            return f"expected string, got &value.valueUnstructured{{Value:{inner}}}"
    elif scalar in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected numeric (int or float), got {fieldset.go_type(value)}"
    elif scalar == "boolean":
        if not isinstance(value, bool):
            return f"expected boolean, got &{{{fieldset.go_v(value)}}}"
    elif isinstance(value, dict | list):
        return f"expected any scalar, got &{{{fieldset.go_v(value)}}}"
    return None


# --- Merge --------------------------------------------------------------------------------


def merge(live: Any, config: Any, node: TypeNode) -> Any:
    """`live` with `config` applied over it (SMD's Merge, ruleKeepRHS)."""
    return _merge(live, config, node)


def _merge(lhs: Any, rhs: Any, node: TypeNode) -> Any:
    if rhs is MISSING:
        return lhs
    if lhs is MISSING:
        return rhs  # merging into nothing keeps every value the config gives
    if node.kind is Kind.UNTYPED:
        if type(lhs) is not dict or type(rhs) is not dict:
            return rhs  # a deduced leaf, or a value that changed shape
        shape = _MAP
    else:
        shape = _granularity(node, rhs)
    if shape == _LEAF:
        return rhs
    if shape == _MAP:
        lmap = lhs if type(lhs) is dict else None
        rmap = rhs if type(rhs) is dict else None
        if not rmap:
            return lhs if lmap else rhs  # null/{} over a non-empty map changes nothing
        if not lmap:
            return rhs
        out = dict(lmap)
        fields, elem = _members_of(node)
        for key, value in rmap.items():
            child = fields.get(key, elem) if fields is not None else elem
            if child.kind is Kind.SCALAR:
                out[key] = value  # a scalar: the config's value wins
            else:
                out[key] = _merge(lmap.get(key, MISSING), value, child)
        return out
    llist = lhs if type(lhs) is list else None
    rlist = rhs if type(rhs) is list else None
    if not rlist:
        return lhs if llist else rhs
    if not llist:
        return rhs
    return _merge_items(llist, rlist, node)


def _index(items: list[Any], node: TypeNode) -> tuple[list[str], dict[str, Any], set[str]]:
    """Item names in order, the first item of each name, and the names given twice."""
    order: list[str] = []
    found: dict[str, Any] = {}
    twice: set[str] = set()
    for item in items:
        try:
            pe = item_element(node, item)
        except ItemError:
            continue  # SMD drops items it cannot name
        if pe in found:
            twice.add(pe)
            continue
        found[pe] = item
        order.append(pe)
    return order, found, twice


def _merge_items(lhs: list[Any], rhs: list[Any], node: TypeNode) -> list[Any]:
    """SMD's item order: walk both lists; items in both come in the config's order, items
    only live stay near their live neighbours, new items land where the config puts them."""
    elem = node.item()
    r_order, r_items, _ = _index(rhs, node)
    l_order, l_items, l_twice = _index(lhs, node)
    shared = [pe for pe in r_order if pe in l_items]
    shared.reverse()
    next_shared = shared.pop() if shared else None
    out: list[Any] = []
    li = ri = 0
    while li < len(l_order) or ri < len(r_order):
        if li < len(l_order) and ri < len(r_order):
            pe = l_order[li]
            if pe == r_order[ri]:
                out.append(_merge_item(pe, l_items, r_items[pe], elem, l_twice))
                li += 1
                ri += 1
                next_shared = shared.pop() if shared else None
                continue
            if pe in r_items and next_shared is not None and next_shared != pe:
                li += 1  # shared, but not the one whose turn it is
                continue
        if li < len(l_order) and l_order[li] not in r_items:
            pe = l_order[li]
            if pe in l_twice:
                out.extend(item for item in lhs if _name(node, item) == pe)
            else:
                out.append(l_items[pe])
            li += 1
            continue
        if ri < len(r_order):
            pe = r_order[ri]
            out.append(_merge_item(pe, l_items, r_items[pe], elem, l_twice))
            ri += 1
            if next_shared == pe:
                next_shared = shared.pop() if shared else None
            continue
        li += 1  # a live item the config repeats was merged already; never loop forever
    return out


def _merge_item(
    pe: str, l_items: dict[str, Any], rhs: Any, elem: TypeNode, l_twice: set[str]
) -> Any:
    # A name the live list repeats is ambiguous: the config's item replaces all of them.
    lhs = MISSING if pe in l_twice else l_items.get(pe, MISSING)
    return _merge(lhs, rhs, elem)


def _name(node: TypeNode, item: Any) -> str | None:
    try:
        return item_element(node, item)
    except ItemError:
        return None


# --- Compare ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """What changed from one object to another (SMD's typed.Comparison)."""

    added: FieldSet
    modified: FieldSet
    removed: FieldSet

    def filtered(self, reset: FieldSet) -> Comparison:
        """Without the reset fields and everything below them (Comparison.FilterFields)."""
        if not reset:
            return self
        return Comparison(
            fieldset.recursive_difference(self.added, reset),
            fieldset.recursive_difference(self.modified, reset),
            fieldset.recursive_difference(self.removed, reset),
        )


NO_CHANGE: Final = Comparison({}, {}, {})
_Triple = tuple[FieldSet | None, FieldSet | None, FieldSet | None]


def compare(old: Any, new: Any, node: TypeNode) -> Comparison:
    """The paths added, modified (leaves only) and removed going from `old` to `new`."""
    if same(old, new):
        return NO_CHANGE
    added, modified, removed = _compare(old, new, node)
    return Comparison(added or {}, modified or {}, removed or {})


def _compare(lhs: Any, rhs: Any, node: TypeNode) -> _Triple:
    """Nodes of the three sets at one path, for two present values that are not `same`."""
    if node.kind is Kind.UNTYPED:
        ldict, rdict = type(lhs) is dict, type(rhs) is dict
        if ldict != rdict:
            # A deduced value changed shape: SMD walks it once as each shape.
            gone = _children(_everything(lhs, node)) if ldict else None
            new = _children(_everything(rhs, node)) if rdict else None
            return new, LEAF, gone
        shape = _MAP if ldict else _LEAF
    else:
        shape = _granularity(node, rhs)
    if shape == _MAP:
        lmap = lhs if type(lhs) is dict else {}
        rmap = rhs if type(rhs) is dict else {}
        if lmap or rmap:
            keys = [*lmap, *(key for key in rmap if key not in lmap)]
            return _collect(
                ("f:" + k, lmap.get(k, MISSING), rmap.get(k, MISSING), node.child(k)) for k in keys
            )
    elif shape == _LIST:
        l_order, l_items, _ = _index(lhs if type(lhs) is list else [], node)
        r_order, r_items, _ = _index(rhs if type(rhs) is list else [], node)
        if l_order or r_order:
            elem = node.item()
            names = [*l_order, *(pe for pe in r_order if pe not in l_items)]
            return _collect(
                (pe, l_items.get(pe, MISSING), r_items.get(pe, MISSING), elem) for pe in names
            )
    return None, LEAF, None  # a leaf (or empty-promoted value) that differs


def _collect(pairs: Any) -> _Triple:
    added: FieldSet = {}
    modified: FieldSet = {}
    removed: FieldSet = {}
    for pe, lhs, rhs, child in pairs:
        if lhs is MISSING:
            added[pe] = _everything(rhs, child)
        elif rhs is MISSING:
            removed[pe] = _everything(lhs, child)
        elif lhs is not rhs and not same(lhs, rhs):
            a, m, r = _compare(lhs, rhs, child)
            if a is not None:
                added[pe] = a
            if m is not None:
                modified[pe] = m
            if r is not None:
                removed[pe] = r
    return added or None, modified or None, removed or None


def _children(node: FieldSet) -> FieldSet | None:
    if DOT not in node:
        return None
    rest = dict(node)
    del rest[DOT]
    return rest


def _everything(value: Any, node: TypeNode) -> FieldSet:
    """The node of a value present on one side only: every path in it is a member."""
    shape = _granularity(node, value)
    if shape == _MAP and type(value) is dict and value:
        out: FieldSet = {DOT: LEAF}
        for key, child in value.items():
            out["f:" + key] = _everything(child, node.child(key))
        return out
    if shape == _LIST and type(value) is list and value:
        order, items, _ = _index(value, node)
        if order:
            elem = node.item()
            out = {DOT: LEAF}
            for pe in order:
                out[pe] = _everything(items[pe], elem)
            return out
    return LEAF


def same(a: Any, b: Any) -> bool:
    """Whether two JSON values are equal as SMD compares them (1 == 1.0, but true != 1)."""
    if a is b:
        return True
    if a != b:
        return False
    try:
        if orjson.dumps(a) == orjson.dumps(b):
            return True
    except orjson.JSONEncodeError:
        pass
    return _strictly_equal(a, b)


def _strictly_equal(a: Any, b: Any) -> bool:
    # Called only when a == b: what remains to catch is a bool standing for a number.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b)
    if isinstance(a, dict):
        return all(_strictly_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return all(_strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    return True


# --- Removal ------------------------------------------------------------------------------


def remove(obj: Any, paths: FieldSet, node: TypeNode, *, drop_emptied: bool) -> Any:
    """`obj` without the members of `paths` (and what is below them). A map or list that
    loses every entry becomes null, as in SMD, or with `drop_emptied` disappears from its
    parent (what a stored object ends up as once decoded into its kind)."""
    if not paths:
        return obj
    out = _remove(obj, paths, node, drop_emptied)
    return None if out is _GONE else out


def _remove(value: Any, paths: FieldSet, node: TypeNode, drop: bool) -> Any:
    kind = node.kind
    if kind is Kind.SCALAR or (kind is Kind.UNTYPED and type(value) not in (dict, list)):
        return _GONE if value is None and kind is Kind.UNTYPED else value
    shape = _granularity(node, value)
    if shape == _MAP and type(value) is dict and value:
        out: dict[str, Any] = {}
        changed = False
        for key, child in value.items():
            sub = paths.get("f:" + key)
            if sub is None:
                out[key] = child
                continue
            changed = True
            if not sub or DOT in sub:
                continue
            left = _remove(child, sub, node.child(key), drop)
            if left is _GONE:
                if drop:
                    continue
                left = None
            out[key] = left
        if not out:
            return _GONE
        return out if changed else value
    if shape == _LIST and type(value) is list and value:
        items: list[Any] = []
        for item in value:
            pe = _name(node, item)
            sub = paths.get(pe) if pe is not None else None
            if sub is None:
                items.append(item)
                continue
            if not sub or DOT in sub:
                continue
            left = _remove(item, sub, node.item(), drop)
            if left is _GONE:
                if drop:
                    continue
                left = None
            items.append(left)
        return items if items else _GONE
    return _GONE  # atomic, empty or null: SMD's walker yields nothing here


def named_members(s: FieldSet, node: TypeNode) -> FieldSet:
    """`s` with every declared struct field that has children made a member too."""
    out: FieldSet | None = None
    fields = node.fields if node.kind is Kind.STRUCT else None
    for pe, child in s.items():
        if pe == DOT or len(child) <= (DOT in child):
            continue
        if pe[0] == "f":
            named = named_members(child, node.child(pe[2:]))
            if fields is not None and pe[2:] in fields and DOT not in named:
                named = {**named, DOT: LEAF}
        elif pe[0] == "k":
            named = named_members(child, node.item())
        else:
            continue
        if named is not child:
            if out is None:
                out = dict(s)
            out[pe] = named
    return s if out is None else out
