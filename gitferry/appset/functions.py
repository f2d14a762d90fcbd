"""The template functions Argo CD gives ApplicationSets with `goTemplate: true`.

Sprig's generic functions without `env`, `expandenv` and `getHostByName` (the controller's
environment must not leak into Applications), plus Argo CD's own:
- `normalize s` (`params.normalize`);
- `slugify [maxLen=50] [smartTruncate=true] s` (`params.slugify`; arguments are checked as
  Go's type assertions check them: `slugify 20.0 .x` fails);
- `toYaml v`: sigs.k8s.io/yaml's Marshal (`kyaml.dump`) without the final newline;
- `fromYaml s` / `fromYamlArray s`: the YAML as a map / a list of JSON values, or an error.
`ENGINE` is the engine every ApplicationSet shares (parses are cached). Used by
`templating`.
"""

from __future__ import annotations

from typing import Any

from gitferry.appset import kyaml, params
from gitferry.appset.gotemplate import SPRIG, Engine
from gitferry.appset.gotemplate.execute import MISSING_KEY_MODES
from gitferry.appset.gotemplate.funcs import FuncError, Function, define
from gitferry.appset.gotemplate.values import go_type

ARGO: dict[str, Function] = {}
REMOVED = frozenset({"env", "expandenv", "getHostByName"})


@define(ARGO, "normalize", "string")
def _normalize(name: str) -> str:
    return params.normalize(name)


@define(ARGO, "slugify", variadic="any")
def _slugify(*args: Any) -> str:
    max_length, smart, name = 50, True, ""
    for index, arg in enumerate(args):
        if index == len(args) - 1:
            name = _assert(arg, str, "string")
        elif index == 0:
            max_length = _assert(arg, int, "int")
        elif index == 1:
            smart = _assert(arg, bool, "bool")
    return params.slugify(name, max_length, smart)


def _assert(value: Any, kind: type, name: str) -> Any:
    if type(value) is not kind:
        raise FuncError(f"interface conversion: interface {{}} is {go_type(value)}, not {name}")
    return value


@define(ARGO, "toYaml", "any")
def _to_yaml(value: Any) -> str:
    try:
        return kyaml.dump(value).removesuffix("\n")
    except ValueError as err:
        raise FuncError(str(err)) from None


@define(ARGO, "fromYaml", "string")
def _from_yaml(text: str) -> dict[str, Any]:
    data = _load(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FuncError(_cannot(data, "map[string]interface {}"))
    return data


@define(ARGO, "fromYamlArray", "string")
def _from_yaml_array(text: str) -> list[Any]:
    data = _load(text)
    if data is None:
        return []
    if not isinstance(data, list):
        raise FuncError(_cannot(data, "[]interface {}"))
    return data


def _load(text: str) -> Any:
    try:
        return kyaml.load(text)
    except kyaml.YAMLError as err:
        raise FuncError(f"error converting YAML to JSON: {err}") from None


def _cannot(data: Any, target: str) -> str:
    kind = {dict: "object", list: "array", bool: "bool", str: "string"}.get(type(data), "number")
    return f"error unmarshaling JSON: json: cannot unmarshal {kind} into Go value of type {target}"


FUNCTIONS: dict[str, Function] = {
    **{name: fn for name, fn in SPRIG.items() if name not in REMOVED},
    **ARGO,
}
ENGINE = Engine(FUNCTIONS)


def render(text: str, params: Any, *, missing_key: str = "default") -> str:
    """`text` rendered as Argo CD renders a goTemplate string; `missing_key` is the value of
    a `missingkey=` option (default, invalid, zero, error). Raises gotemplate's ParseError or
    ExecError with Go's messages."""
    return ENGINE.render(text, params, missing_key=MISSING_KEY_MODES[missing_key])
