"""Running one generator entry (Argo CD's `Transform`).

An entry may set several generator types; they run in the fixed order list, clusters, git,
scmProvider, clusterDecisionResource, pullRequest, plugin, matrix, merge, each giving its own
result (parameter sets and the template merged from its `template` and the spec's). Before a
matrix's second child runs, the whole child is re-rendered with the first child's parameter
set (`interpolate`). The entry's `selector` (as written, not re-rendered) then keeps the sets
whose flattened form matches. Inside matrix and merge every child must set exactly one type,
and only one level of matrix/merge nesting is allowed.

The SCM provider, pull request, cluster decision resource and plugin generators need live
services and are not supported: they fail with a clear error. Called by `generate` and
`combine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gitferry.appset import selectors
from gitferry.appset.errors import GeneratorFailure
from gitferry.appset.generators import Context, clusters, combine, git, listgen
from gitferry.appset.params import Params, flatten
from gitferry.appset.templating import RenderFailure, merge_template

TYPES = (
    "list",
    "clusters",
    "git",
    "scmProvider",
    "clusterDecisionResource",
    "pullRequest",
    "plugin",
    "matrix",
    "merge",
)
_UNSUPPORTED = {"scmProvider", "clusterDecisionResource", "pullRequest", "plugin"}
_VALUES_OWNERS = {"clusters", "git"}
_MAX_NESTING = 2  # top level (0), matrix/merge child (1), their terminal children (2)


class Failure(GeneratorFailure):
    """A GeneratorFailure that knows which generator raised it."""

    def __init__(self, message: str, generator: str, *, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable)
        self.generator = generator


@dataclass(frozen=True)
class Result:
    generator: str  # e.g. "generators[0].git"
    params: list[Params]
    template: dict[str, Any]


def types_of(entry: dict[str, Any]) -> list[str]:
    return [t for t in TYPES if entry.get(t) is not None]


async def transform(
    entry: Any,
    ctx: Context,
    path: str,
    *,
    base_template: Any,
    interpolation: Params | None = None,
    depth: int = 0,
) -> list[Result]:
    """The results of every generator type the entry sets."""
    if not isinstance(entry, dict):
        raise Failure("a generator entry must be a mapping", path)
    try:
        selector = selectors.parse(entry["selector"]) if entry.get("selector") is not None else None
    except selectors.SelectorError as err:
        raise Failure(f"error parsing label selector: {err}", path) from None
    kinds = types_of(entry)
    if not kinds:
        unknown = ", ".join(sorted(str(k) for k in entry if k != "selector")) or "none"
        raise Failure(f"contains unrecognized generators: {unknown}", path)
    if interpolation:
        entry = interpolate(entry, interpolation, ctx)
    results = []
    for kind in kinds:
        where = f"{path}.{kind}"
        body = entry[kind]
        if not isinstance(body, dict):
            raise Failure(f"the {kind} generator must be a mapping", where)
        template = merge_template(body.get("template"), base_template)
        try:
            params = await _run(kind, body, ctx, where, depth)
        except Failure:
            raise
        except GeneratorFailure as err:
            raise Failure(str(err), where, retryable=err.retryable) from err
        if selector is not None:
            params = [p for p in params if selector.matches(flatten(p))]
        results.append(Result(where, params, template))
    return results


async def child_params(
    entry: dict[str, Any], ctx: Context, path: str, interpolation: Params | None, depth: int
) -> list[Params]:
    """The parameter sets of a matrix or merge child."""
    if not isinstance(entry, dict):
        raise Failure("a child generator must be a mapping", path)
    kinds = types_of(entry)
    if len(kinds) > 1:
        raise Failure("found more than one generator in matrix.Generators", path)
    if depth >= _MAX_NESTING and kinds and kinds[0] in ("matrix", "merge"):
        raise Failure(
            "matrix and merge generators can be nested only one level deep; the children of "
            "a nested matrix or merge must be list, clusters, git, ...",
            path,
        )
    results = await transform(
        entry, ctx, path, base_template={}, interpolation=interpolation, depth=depth
    )
    return results[0].params


async def _run(kind: str, body: dict[str, Any], ctx: Context, path: str, depth: int) -> list[Any]:
    if kind in _UNSUPPORTED:
        raise GeneratorFailure(
            f"the {kind} generator is not supported by gitferry (it needs a live service); "
            "use list, clusters, git, matrix or merge"
        )
    if kind == "list":
        return await listgen.generate(body, ctx)
    if kind == "clusters":
        return await clusters.generate(body, ctx)
    if kind == "git":
        return await git.generate(body, ctx)
    if kind == "matrix":
        return await combine.matrix(body, ctx, path, depth, child_params)
    return await combine.merge(body, ctx, path, depth, child_params)


def interpolate(entry: dict[str, Any], params: Params, ctx: Context) -> dict[str, Any]:
    """The entry with its strings rendered against `params` (the selector is not)."""
    out: dict[str, Any] = {}
    try:
        for key, value in entry.items():
            if key == "selector":
                out[key] = value
            elif key in _VALUES_OWNERS and isinstance(value, dict):
                out[key] = {
                    k: _lenient(v, params, ctx)
                    if k == "values"
                    else ctx.renderer.render_tree(v, params)
                    for k, v in value.items()
                }
            else:
                out[key] = ctx.renderer.render_tree(value, params)
    except RenderFailure as err:
        raise GeneratorFailure(f"failed to replace parameters in generator: {err}") from None
    return out


def _lenient(values: Any, params: Params, ctx: Context) -> Any:
    if not isinstance(values, dict):
        return values
    return {
        k: ctx.renderer.render_lenient(v, params) if isinstance(v, str) else v
        for k, v in values.items()
    }
