"""YAML as Argo CD reads and writes it (sigs.k8s.io/yaml over go-yaml v2): git files
generator contents, elementsYaml, fromYaml/toYaml."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.appset import kyaml


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a: 1\nb: 2.5\nc: 1e3\nd: 0x10\ne: 012\nf: 1_000",
            {"a": 1.0, "b": 2.5, "c": 1000.0, "d": 16.0, "e": 10.0, "f": 1000.0},
        ),
        (
            "a: y\nb: N\nc: on\nd: True\ne: off",
            {"a": True, "b": False, "c": True, "d": True, "e": False},
        ),
        ("on: 1\nn: 2", {"true": 1.0, "false": 2.0}),  # keys resolve too, then become strings
        (
            "date: 2024-01-01\ntime: 2024-01-01T10:00:00Z",
            {"date": "2024-01-01", "time": "2024-01-01T10:00:00Z"},
        ),
        ("sexagesimal: 1:20\nversion: 1.10", {"sexagesimal": "1:20", "version": 1.1}),
        ("1: one\n2.5: x\nnull: z", {"1": "one", "2.5": "x", "null": "z"}),
        ("- a\n- {b: [1, ~]}", ["a", {"b": [1.0, None]}]),
        ("", None),
        (
            "base: &b {k: v}\nuse:\n  <<: *b\n  own: 1",
            {"base": {"k": "v"}, "use": {"k": "v", "own": 1.0}},
        ),
    ],
)
def test_load_gives_json_values_with_go_yaml_v2_scalars(text: str, expected: Any) -> None:
    assert kyaml.load(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1, 2", "error converting YAML to JSON: yaml: line "),
        ("a: .inf", "json: unsupported value: \\+Inf"),
    ],
)
def test_load_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(kyaml.YAMLError, match=message):
        kyaml.load(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1.0, "a": {"c": [1.0, "x"]}}, "a:\n  c:\n  - 1\n  - x\nb: 1\n"),
        (
            {"s": ["true", "", "1.5", "y", "2024-01-01", "1:20"]},
            's:\n- "true"\n- ""\n- "1.5"\n- "y"\n- "2024-01-01"\n- "1:20"\n',
        ),
        (
            {"s": ["x: y", "- z", "#c", " lead", "it's"]},
            "s:\n- 'x: y'\n- '- z'\n- '#c'\n- ' lead'\n- it's\n",
        ),
        ({"tab": "a\tb", "text": "one\ntwo"}, 'tab: "a\\tb"\ntext: |-\n  one\n  two\n'),
        ({"big": 1000000.0, "huge": 1e21, "half": 0.5}, "big: 1000000\nhalf: 0.5\nhuge: 1e+21\n"),
        ({"a10": 1, "a2": 2, "B": 3, "_": 4}, "_: 4\nB: 3\na2: 2\na10: 1\n"),
        ({"empty": {}, "none": [], "nil": None}, "empty: {}\nnil: null\nnone: []\n"),
        ([{"a": 1, "b": [{"c": 2}]}, [1, [2]]], "- a: 1\n  b:\n  - c: 2\n- - 1\n  - - 2\n"),
        ("plain", "plain\n"),
    ],
)
def test_dump_writes_go_yaml_v2_style(value: Any, expected: str) -> None:
    assert kyaml.dump(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"a": ["x", "true", "", " s ", "a\nb\n", "#", "k: v"], "n": {"m": [1.0, 2.5]}},
        [{"deep": {"er": ["yes", "no", "~", "null"]}}],
    ],
)
def test_dump_then_load_round_trips(value: Any) -> None:
    assert kyaml.load(kyaml.dump(value)) == value
