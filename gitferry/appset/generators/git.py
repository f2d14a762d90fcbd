"""The git generator: `directories` or `files` of `repoURL` at `revision`.

Directories: the repository's directories (hidden ones and their contents excluded, in the
order of a directory walk) kept when they match at least one include item and no
`exclude: true` item, with Go's `path.Match` (`*` never crosses `/`). Parameters per
directory `p` (fasttemplate / goTemplate):

    path                      .path.path                p
    path.basename             .path.basename            last segment
    path.basenameNormalized   .path.basenameNormalized  normalize(last segment)
    path[n]                   index .path.segments n    n-th segment ([]string)

Files: files matching an include pattern and no exclude pattern (`filematch`), in sorted path
order. Each file is YAML or JSON, only its first document read (as sigs.k8s.io/yaml does): a
list of objects gives one set per object, an object one set, an empty file one empty set;
anything else is an error naming the file. fasttemplate flattens the object (`a.b`, `a.0`,
values as `%v`), goTemplate keeps it nested (numbers float64). Path parameters describe the
file's directory (`path`, `path.basename`, `path[n]`/`.path.segments`) plus `path.filename`
and `path.filenameNormalized`, and overwrite same-named file keys.

With `pathParamPrefix: X` fasttemplate keys become `X.path...` and goTemplate nests them as
`.X.path...`. `values` are rendered against each set, as for clusters. Called by `dispatch`.
"""

from __future__ import annotations

from typing import Any

import yaml

from gitferry.appset import kyaml
from gitferry.appset.errors import GeneratorFailure
from gitferry.appset.generators import Context
from gitferry.appset.generators.clusters import add_values
from gitferry.appset.params import Params, as_json, flatten, go_dir, path_params
from gitferry.policy import globs


async def generate(body: dict[str, Any], ctx: Context) -> list[Params]:
    url = body.get("repoURL")
    if not isinstance(url, str) or not url:
        raise GeneratorFailure("repoURL is required")
    revision = str(body.get("revision") or "HEAD")
    prefix = str(body.get("pathParamPrefix") or "")
    if body.get("directories"):
        items = _items(body["directories"], "directories")
        found = await ctx.git.directories(url, revision)
        selected = [d for d in found if _selected(d, items)]
        return [
            add_values(
                path_params(d, go_template=ctx.go_template, prefix=prefix),
                body.get("values"),
                ctx,
            )
            for d in selected
        ]
    if body.get("files"):
        items = _items(body["files"], "files")
        files = await ctx.git.files(url, revision, items, doublestar=ctx.new_git_file_globbing)
        out: list[Params] = []
        for path in sorted(files):
            for obj in _objects(path, files[path]):
                params = _file_params(obj, path, prefix, ctx.go_template)
                out.append(add_values(params, body.get("values"), ctx))
        return out
    raise GeneratorFailure("the git generator needs directories or files")


def _items(raw: Any, field: str) -> list[tuple[str, bool]]:
    if not isinstance(raw, list):
        raise GeneratorFailure(f"{field} must be a list of {{path, exclude}}")
    items: list[tuple[str, bool]] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise GeneratorFailure(f"each {field} item needs a path")
        items.append((item["path"], bool(item.get("exclude"))))
    return items


def _selected(directory: str, items: list[tuple[str, bool]]) -> bool:
    included = any(not ex and globs.path_match(p, directory) for p, ex in items)
    return included and not any(ex and globs.path_match(p, directory) for p, ex in items)


def _file_params(obj: dict[str, Any], file: str, prefix: str, go_template: bool) -> Params:
    directory = go_dir(file)
    filename = file.rsplit("/", 1)[-1]
    paths = path_params(directory, go_template=go_template, prefix=prefix, filename=filename)
    if go_template:
        return {**as_json(obj), **paths}
    return {**flatten(as_json(obj)), **paths}


def _objects(path: str, content: bytes) -> list[dict[str, Any]]:
    """The parameter objects of one file (its first YAML document)."""
    try:
        data = kyaml.load(first_document(content.decode("utf-8")))
    except (UnicodeDecodeError, yaml.YAMLError, kyaml.YAMLError) as err:
        raise GeneratorFailure(
            f"unable to process file '{path}': unable to parse file: {err}"
        ) from None
    if data is None:
        return [{}]
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return data or [{}]
    raise GeneratorFailure(
        f"unable to process file '{path}': unable to parse file: expected an object or a list "
        f"of objects, found {type(data).__name__}"
    )


def first_document(text: str) -> str:
    """The text of the first YAML document (go-yaml v2's Unmarshal reads only that one)."""
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.DocumentEndEvent) and event.end_mark is not None:
            return text[: event.end_mark.index]
    return text
