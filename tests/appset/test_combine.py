"""Matrix, merge and post selectors (reference/argocd-policy.md sections 5.1 to 5.3)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gitferry.appset import generate
from gitferry.appset.errors import ParamsGenerationError
from gitferry.source.repositories import Resolved


class Repo:
    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        self.resolved: list[tuple[str, str]] = []

    async def resolve(self, url: str, revision: str = "HEAD") -> Resolved:
        self.resolved.append((url, revision))
        return Resolved("b" * 40)

    async def list_paths(self, url: str, sha: str, prefix: str = "") -> list[str]:
        root = url.rsplit("/", 1)[-1] + "/"  # one tree per repository: "<repo>/<path>"
        return sorted(p.removeprefix(root) for p in self.files if p.startswith(root))

    async def read_file(self, url: str, sha: str, path: str) -> bytes:
        return self.files[url.rsplit("/", 1)[-1] + "/" + path].encode()


def run(generators: list[dict[str, Any]], *, go: bool = False, git: Any = None) -> list[dict]:
    appset = {
        "metadata": {"name": "set", "namespace": "argocd"},
        "spec": {"goTemplate": go, "generators": generators, "template": {}},
    }
    result = asyncio.run(generate.generate(appset, git=git))
    return [p.params for p in result.parameters]


def listgen(*elements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"list": {"elements": list(elements)}, **extra}


def test_generators_side_by_side_are_concatenated_without_deduplication() -> None:
    found = run([listgen({"a": "1"}), listgen({"a": "1"}, {"a": "2"})])
    assert found == [{"a": "1"}, {"a": "1"}, {"a": "2"}]


def test_two_types_in_one_entry_behave_like_two_entries_in_fixed_order() -> None:
    repo = Repo({"r/app/x.yaml": ""})
    entry = {
        "git": {"repoURL": "https://h/r", "directories": [{"path": "*"}]},
        "list": {"elements": [{"path": "from-list"}]},
    }
    assert [p["path"] for p in run([entry], git=repo)] == ["from-list", "app"]


MATRIX_CASES = {
    "cartesian product in nested-loop order": (
        [listgen({"c": "dev"}, {"c": "prod"}), listgen({"app": "a"}, {"app": "b"})],
        False,
        [
            {"c": "dev", "app": "a"},
            {"c": "dev", "app": "b"},
            {"c": "prod", "app": "a"},
            {"c": "prod", "app": "b"},
        ],
    ),
    "second child templated with the first's parameters": (
        [listgen({"c": "dev"}), {"list": {"elements": [{"name": "{{c}}-x"}]}}],
        False,
        [{"c": "dev", "name": "dev-x"}],
    ),
    "goTemplate: first child wins on conflicts, maps merge": (
        [
            listgen({"k": "first", "m": {"a": "1"}}),
            listgen({"k": "second", "m": {"b": "2"}, "only": "b"}),
        ],
        True,
        [{"k": "first", "m": {"a": "1", "b": "2"}, "only": "b"}],
    ),
    "same key and same value is fine in fasttemplate": (
        [listgen({"k": "v", "x": "1"}), listgen({"k": "v"})],
        False,
        [{"k": "v", "x": "1"}],
    ),
    "a child without parameter sets gives nothing": (
        [listgen({"c": "dev"}), {"list": {"elements": []}}],
        False,
        [],
    ),
    "child selectors apply": (
        [
            listgen({"c": "dev"}, {"c": "prod"}, selector={"matchLabels": {"c": "prod"}}),
            listgen({"a": "1"}),
        ],
        False,
        [{"c": "prod", "a": "1"}],
    ),
    "elementsYaml rendered from the first child (goTemplate)": (
        [
            listgen({"apps": ["a", "b"]}),
            {"list": {"elementsYaml": "{{ range .apps }}- app: {{ . }}\n{{ end }}"}},
        ],
        True,
        [{"apps": ["a", "b"], "app": "a"}, {"apps": ["a", "b"], "app": "b"}],
    ),
}


@pytest.mark.parametrize("case", MATRIX_CASES)
def test_matrix(case: str) -> None:
    children, go, expected = MATRIX_CASES[case]
    assert run([{"matrix": {"generators": children}}], go=go) == expected


@pytest.mark.parametrize(
    ("children", "message"),
    [
        ([listgen({"a": "1"})], "found less than two generators, Matrix support only two"),
        ([listgen({"a": "1"})] * 3, "found more than two generators, Matrix support only two"),
        (
            [listgen({"k": "1"}), listgen({"k": "2"})],
            "found duplicate key k with different value, a: 1 ,b: 2",
        ),
        (
            [{**listgen({"a": "1"}), "clusters": {}}, listgen({"b": "1"})],
            "found more than one generator in matrix.Generators",
        ),
        (
            [
                listgen({"a": "1"}),
                {"matrix": {"generators": [listgen({"b": "1"}), {"matrix": {"generators": []}}]}},
            ],
            "nested only one level deep",
        ),
    ],
)
def test_matrix_errors(children: list, message: str) -> None:
    with pytest.raises(ParamsGenerationError, match=message):
        run([{"matrix": {"generators": children}}])


def test_matrix_of_two_git_generators_needs_prefixes_and_reads_each_revision_once() -> None:
    repo = Repo({"r/a/x": "", "r/b/x": "", "s/one/x": ""})
    child = {"git": {"repoURL": "https://h/s", "directories": [{"path": "*"}]}}
    child["git"]["pathParamPrefix"] = "other"
    first = {"git": {"repoURL": "https://h/r", "directories": [{"path": "*"}]}}
    found = run([{"matrix": {"generators": [first, child]}}], git=repo)
    assert [(p["path"], p["other.path"]) for p in found] == [("a", "one"), ("b", "one")]
    assert repo.resolved == [("https://h/r", "HEAD"), ("https://h/s", "HEAD")]


def test_matrix_second_child_values_resolve_what_they_can() -> None:
    repo = Repo({"r/a/x": ""})
    git = {
        "git": {
            "repoURL": "https://h/r",
            "directories": [{"path": "*"}],
            "values": {"both": "{{ .env }}-{{ .path.basename }}", "own": "{{ .path.basename }}"},
        }
    }
    options = {"goTemplateOptions": ["missingkey=error"]}
    appset = {
        "metadata": {"name": "set"},
        "spec": {
            "goTemplate": True,
            **options,
            "generators": [{"matrix": {"generators": [listgen({"env": "prod"}), git]}}],
            "template": {},
        },
    }
    # A value mixing both children's parameters resolves with neither alone: with
    # missingkey=error it fails when the git generator renders it, as in Argo CD.
    with pytest.raises(ParamsGenerationError, match='map has no entry for key "env"'):
        asyncio.run(generate.generate(appset, git=repo))
    git["git"]["values"] = {"own": "{{ .path.basename }}", "env": "{{ .env }}"}
    result = asyncio.run(generate.generate(appset, git=repo))
    assert result.parameters[0].params["values"] == {"own": "a", "env": "prod"}


MERGE_CASES = {
    "base sets only, later children override on equal keys": (
        {
            "mergeKeys": ["server"],
            "generators": [
                listgen({"server": "s1", "v": "base"}, {"server": "s2", "v": "base"}),
                listgen({"server": "s2", "v": "override"}, {"server": "s3", "v": "dropped"}),
            ],
        },
        False,
        [{"server": "s1", "v": "base"}, {"server": "s2", "v": "override"}],
    ),
    "several merge keys, a missing key is null": (
        {
            "mergeKeys": ["a", "b"],
            "generators": [
                listgen({"a": "1"}, {"a": "1", "b": "2"}),
                listgen({"a": "1", "x": "y"}),
            ],
        },
        False,
        [{"a": "1", "x": "y"}, {"a": "1", "b": "2"}],
    ),
    "goTemplate deep merge, later wins": (
        {
            "mergeKeys": ["name"],
            "generators": [
                listgen({"name": "a", "m": {"k": "base", "keep": "1"}}),
                listgen({"name": "a", "m": {"k": "later"}}),
            ],
        },
        True,
        [{"name": "a", "m": {"k": "later", "keep": "1"}}],
    ),
}


@pytest.mark.parametrize("case", MERGE_CASES)
def test_merge(case: str) -> None:
    body, go, expected = MERGE_CASES[case]
    assert run([{"merge": body}], go=go) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"mergeKeys": ["a"], "generators": [listgen({"a": "1"})]}, "less than two generators"),
        ({"generators": [listgen({"a": "1"}), listgen({"a": "1"})]}, "no merge keys"),
        (
            {"mergeKeys": ["a"], "generators": [listgen({"a": "1"}, {"a": "1"}), listgen()]},
            'not unique by the given mergeKeys.*Duplicate key was {"a":"1"}',
        ),
    ],
)
def test_merge_errors(body: dict, message: str) -> None:
    with pytest.raises(ParamsGenerationError, match=message):
        run([{"merge": body}])


SELECTOR_CASES = {
    "matchLabels on flat keys": ({"matchLabels": {"env": "prod"}}, False, ["b"]),
    "values are not validated (URLs match)": (
        {"matchLabels": {"url": "https://x.example:6443"}},
        False,
        ["a"],
    ),
    "nested goTemplate parameters are flattened": (
        {"matchExpressions": [{"key": "meta.tier", "operator": "In", "values": ["1"]}]},
        True,
        ["a"],
    ),
    "DoesNotExist": (
        {"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]},
        False,
        ["a"],
    ),
    "empty selector keeps everything": ({}, False, ["a", "b"]),
}


@pytest.mark.parametrize("case", SELECTOR_CASES)
def test_post_selector(case: str) -> None:
    selector, go, expected = SELECTOR_CASES[case]
    first = {"name": "a", "url": "https://x.example:6443"}
    second = {"name": "b", "env": "prod"}
    if go:
        first["meta"] = {"tier": "1"}  # type: ignore[assignment]
    found = run([listgen(first, second, selector=selector)], go=go)
    assert [p["name"] for p in found] == expected


def test_post_selector_with_bad_operator_is_a_generation_error() -> None:
    selector = {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}
    with pytest.raises(ParamsGenerationError, match="not a valid label selector operator"):
        run([listgen({"a": "1"}, selector=selector)])
