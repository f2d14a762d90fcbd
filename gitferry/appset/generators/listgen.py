"""The list generator: `elements` in order, then the YAML list `elementsYaml`.

goTemplate: each element is used as it is (numbers are float64, as Argo CD reads the JSON).
fasttemplate: every top-level value must be a string (else "error parsing value as string"),
and a `values` key must be a map of strings, flattened to `values.<k>`. Elements of
`elementsYaml` are appended unconverted in both modes. Called by `dispatch`.
"""

from __future__ import annotations

from typing import Any

import yaml

from gitferry.appset import kyaml
from gitferry.appset.errors import GeneratorFailure
from gitferry.appset.generators import Context, git
from gitferry.appset.params import Params, as_json


async def generate(body: dict[str, Any], ctx: Context) -> list[Params]:
    out: list[Params] = []
    for element in body.get("elements") or []:
        if not isinstance(element, dict):
            raise GeneratorFailure(
                f"error unmarshling list element: {type(element).__name__} is not an object"
            )
        out.append(as_json(element) if ctx.go_template else _flat(element))
    text = body.get("elementsYaml")
    if text:
        out.extend(_yaml_elements(text))
    return out


def _flat(element: dict[str, Any]) -> Params:
    params: Params = {}
    for key, value in element.items():
        if key == "values":
            if not isinstance(value, dict):
                raise GeneratorFailure("error parsing values map")
            for name, item in value.items():
                if not isinstance(item, str):
                    raise GeneratorFailure("error parsing value as string <nil>")
                params[f"values.{name}"] = item
        elif isinstance(value, str):
            params[str(key)] = value
        else:
            raise GeneratorFailure("error parsing value as string <nil>")
    return params


def _yaml_elements(text: Any) -> list[Params]:
    if not isinstance(text, str):
        raise GeneratorFailure("error unmarshling decoded ElementsYaml: not a string")
    try:
        data = kyaml.load(git.first_document(text))
    except (yaml.YAMLError, kyaml.YAMLError) as err:
        raise GeneratorFailure(f"error unmarshling decoded ElementsYaml: {err}") from None
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise GeneratorFailure("error unmarshling decoded ElementsYaml: expected a list of objects")
    return list(data)
