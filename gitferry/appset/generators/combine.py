"""The combination generators: matrix and merge.

Matrix: exactly two children. For each set `a` of the first child (in order) the second child
is re-rendered with `a` (every string, with the ApplicationSet's engine; strings inside its
`values` only when all their references resolve, so its own generator can resolve the rest),
run, and each of its sets `b` combined with `a`: goTemplate deep-merges with `a` winning;
fasttemplate unions the `%v` strings and fails on a key with two different values. A child
with no sets gives no output.

Merge: at least two children and one `mergeKeys`. Each child's sets are indexed by the JSON
of `{key: set[key]}` over the merge keys (a missing key is null); two sets of one child with
the same index are an error. The result is the first (base) child's sets, in order, each with
the equally-indexed set of every later child merged on top (later wins: deep merge in
goTemplate, key overwrite of `%v` strings in fasttemplate); sets only in later children are
dropped.

Children carry one generator type each; a child may itself be a matrix or merge whose own
children are terminal. Child templates are ignored, child selectors apply. Called by
`dispatch`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from gitferry.appset.errors import GeneratorFailure
from gitferry.appset.generators import Context
from gitferry.appset.params import Params, deep_merge, stringify

# (child entry, context, path, interpolation params, depth) -> the child's parameter sets
ChildRunner = Callable[[dict[str, Any], Context, str, Params | None, int], Awaitable[list[Params]]]


async def matrix(
    body: dict[str, Any], ctx: Context, path: str, depth: int, child: ChildRunner
) -> list[Params]:
    children = body.get("generators") or []
    if not isinstance(children, list) or len(children) < 2:
        raise GeneratorFailure("found less than two generators, Matrix support only two")
    if len(children) > 2:
        raise GeneratorFailure("found more than two generators, Matrix support only two")
    first = await child(children[0], ctx, f"{path}.generators[0]", None, depth + 1)
    out: list[Params] = []
    for a in first:
        second = await child(children[1], ctx, f"{path}.generators[1]", a, depth + 1)
        for b in second:
            out.append(deep_merge(b, a, override=True) if ctx.go_template else _union(a, b))
    return out


def _union(a: Params, b: Params) -> Params:
    out: Params = dict(stringify(a))
    for key, value in stringify(b).items():
        current = out.get(key)
        if current is not None and current != value:
            raise GeneratorFailure(
                "failed to combine string maps with merging params for the matrix generator: "
                f"found duplicate key {key} with different value, a: {current} ,b: {value}"
            )
        out[key] = value
    return out


async def merge(
    body: dict[str, Any], ctx: Context, path: str, depth: int, child: ChildRunner
) -> list[Params]:
    children = body.get("generators") or []
    if not isinstance(children, list) or len(children) < 2:
        raise GeneratorFailure("found less than two generators, Merge requires two or more")
    keys = body.get("mergeKeys") or []
    if not isinstance(keys, list) or not keys:
        raise GeneratorFailure("no merge keys were specified, Merge requires at least one")
    merge_keys = sorted({str(k) for k in keys})
    sets = [
        await child(c, ctx, f"{path}.generators[{i}]", None, depth + 1)
        for i, c in enumerate(children)
    ]
    base = _index(merge_keys, sets[0])
    for later in sets[1:]:
        index = _index(merge_keys, later)
        for key, params in base.items():
            other = index.get(key)
            if other is None:
                continue
            if ctx.go_template:
                base[key] = deep_merge(params, other, override=True)
            else:
                base[key] = {**stringify(params), **stringify(other)}
    return list(base.values())


def _index(keys: list[str], sets: list[Params]) -> dict[str, Params]:
    out: dict[str, Params] = {}
    for params in sets:
        key = json.dumps(
            {k: params.get(k) for k in keys}, sort_keys=True, separators=(",", ":"), default=str
        )
        if key in out:
            raise GeneratorFailure(
                "the parameters from a generator were not unique by the given mergeKeys, "
                f"Merge requires all param sets to be unique. Duplicate key was {key}"
            )
        out[key] = params
    return out
