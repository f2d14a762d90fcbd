"""Parameter-set helpers: the names Argo CD derives, flattening for fasttemplate and post
selectors, Go-style merges and printing."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.appset import params
from gitferry.appset.gotemplate.values import StrList, StrMap


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("production_01/west", "production-01-west"),  # reference §5.4
        ("app_3", "app-3"),
        ("file_name.yaml", "file-name.yaml"),
        ("In-Cluster", "in-cluster"),
        ("-.edge.-", "edge"),
        ("Ünïcode", "-n-code".strip("-")),
        ("a" * 300, "a" * 253),
        ("", ""),
    ],
)
def test_normalize_makes_a_dns_subdomain_like_argo_cd(name: str, expected: str) -> None:
    assert params.normalize(name) == expected


@pytest.mark.parametrize(
    ("name", "max_length", "smart", "expected"),
    [
        ("Hello World", 50, True, "hello-world"),
        ("Hello_World.example", 50, True, "hello-world-example"),  # dots become dashes
        ("Hello_World", 10, True, "hello"),  # cut at the last dash within the limit
        ("Hello_World", 10, False, "hello-worl"),
        ("abcdefghijkl", 5, True, "abcde"),  # one word: cut at the limit
        ("a--b", 50, True, "a-b"),
        ("x" * 60, 0, True, "x" * 60),  # no limit
    ],
)
def test_slugify_follows_gosimple_slug(
    name: str, max_length: int, smart: bool, expected: str
) -> None:
    assert params.slugify(name, max_length, smart) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": {"b": [1.0, {"c": True}]}}, {"a.b.0": "1", "a.b.1.c": "true"}),
        (
            {"big": 1000000.0, "half": 0.5, "none": None},
            {"big": "1e+06", "half": "0.5", "none": "<nil>"},
        ),
        ({"empty": {}, "list": []}, {}),
        ({"path.basename": "x"}, {"path.basename": "x"}),  # fasttemplate keys stay as they are
        # Go's flatten only descends into map[string]interface{} and []interface{}.
        ({"labels": StrMap({"env": "prod"})}, {"labels": "map[env:prod]"}),
        ({"segments": StrList(["a", "b"])}, {"segments": "[a b]"}),
    ],
)
def test_flatten_joins_keys_with_dots_and_prints_leaves_like_go(
    value: dict[str, Any], expected: dict[str, str]
) -> None:
    assert params.flatten(value) == expected


def test_stringify_prints_top_level_values_with_percent_v() -> None:
    assert params.stringify({"a": "x", "n": 3.0, "b": False, "l": [1.0, "y"]}) == {
        "a": "x",
        "n": "3",
        "b": "false",
        "l": "[1 y]",
    }


def test_deep_merge_with_override_lets_later_merge_children_win() -> None:
    base = {"name": "a", "values": {"size": "s", "keep": "k"}, "project": "p"}
    top = {"values": {"size": "xl"}, "project": "", "extra": None}
    assert params.deep_merge(base, top) == {
        "name": "a",
        "values": {"size": "xl", "keep": "k"},
        "project": "",
        "extra": None,
    }
    assert base["values"] == {"size": "s", "keep": "k"}  # inputs untouched


def test_deep_merge_with_override_lets_the_first_matrix_child_win() -> None:
    first_child = {"name": "prod", "project": "", "path": {"path": "apps/a"}}
    second_child = {"name": "other", "project": "team", "path": {"basename": "a"}}
    assert params.deep_merge(second_child, first_child) == {
        "name": "prod",
        "project": "",
        "path": {"path": "apps/a", "basename": "a"},
    }


def test_deep_merge_without_override_only_fills_blanks() -> None:
    base = {"name": "a", "project": "", "values": {"size": ""}}
    top = {"name": "b", "project": "team", "values": {"size": "s", "more": 1.0}, "x": None}
    assert params.deep_merge(base, top, override=False) == {
        "name": "a",
        "project": "team",
        "values": {"size": "s", "more": 1.0},
    }


@pytest.mark.parametrize(
    ("go_template", "prefix", "filename", "expected"),
    [
        (
            False,
            "",
            "",
            {
                "path": "envs/dev/app",
                "path.basename": "app",
                "path.basenameNormalized": "app",
                "path[0]": "envs",
                "path[1]": "dev",
                "path[2]": "app",
            },
        ),
        (
            False,
            "git",
            "config.json",
            {
                "git.path": "a/B_c",
                "git.path.basename": "B_c",
                "git.path.filename": "config.json",
                "git.path.basenameNormalized": "b-c",
                "git.path.filenameNormalized": "config.json",
                "git.path[0]": "a",
                "git.path[1]": "B_c",
            },
        ),
        (
            True,
            "",
            "",
            {
                "path": {
                    "path": "a/B_c",
                    "basename": "B_c",
                    "basenameNormalized": "b-c",
                    "segments": ["a", "B_c"],
                }
            },
        ),
    ],
)
def test_path_params(
    go_template: bool, prefix: str, filename: str, expected: dict[str, Any]
) -> None:
    path = "envs/dev/app" if not prefix and not go_template else "a/B_c"
    assert params.path_params(path, go_template=go_template, prefix=prefix, filename=filename) == (
        expected
    )


def test_go_template_path_segments_are_a_go_string_slice() -> None:
    nested = params.path_params("a/b", go_template=True, prefix="p")
    assert isinstance(nested["p"]["path"]["segments"], StrList)


def test_as_json_turns_numbers_into_float64() -> None:
    assert params.as_json({"n": 3, "l": [1, True, None], "s": "x"}) == {
        "n": 3.0,
        "l": [1.0, True, None],
        "s": "x",
    }


def test_describe_names_a_parameter_set_in_one_short_line() -> None:
    assert params.describe({"path": "apps/a", "n": 1.0}) == '{"n":1,"path":"apps/a"}'
    long = params.describe({"k": "x" * 500})
    assert len(long) == 160 and long.endswith("...")
