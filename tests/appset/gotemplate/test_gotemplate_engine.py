"""The engine's own contract, beyond Go's language: options, caching, limits, Go-typed values
the generators produce, and Argo CD's function table."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gitferry.appset import functions
from gitferry.appset.gotemplate import (
    SPRIG,
    Engine,
    ExecError,
    Function,
    Limits,
    ParseError,
    TemplateError,
    missing_key_option,
)
from gitferry.appset.gotemplate.values import StrList, StrMap

CLUSTER = {  # a goTemplate cluster parameter set: labels are a Go map[string]string
    "name": "prod-east",
    "server": "https://east.example",
    "metadata": {"labels": StrMap({"environment": "production"})},
    "replicas": 3.0,
    "path": {"segments": StrList(["apps", "web"])},
}


@pytest.mark.parametrize(
    ("options", "mode"),
    [
        ([], "invalid"),
        (["missingkey=default"], "invalid"),
        (["missingkey=zero"], "zero"),
        (["missingkey=error"], "error"),
        (["missingkey=zero", "missingkey=error"], "error"),
    ],
)
def test_go_template_options_select_the_missing_key_mode(options: list[str], mode: str) -> None:
    assert missing_key_option(options) == mode


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["missingkey=maybe"], "unrecognized option: missingkey=maybe"),
        (["strict"], "unrecognized option: strict"),
        ([""], "empty option string"),
    ],
)
def test_unknown_go_template_options_are_errors_not_panics(
    options: list[str], message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        missing_key_option(options)


@pytest.mark.parametrize(
    ("template", "missing_key", "expected"),
    [
        ("{{ .nope }}", "default", "<no value>"),
        ("{{ .nope }}", "zero", "<no value>"),  # zero of interface{} is nil: Go's quirk
        ("{{ .metadata.labels.tier }}", "zero", ""),  # zero of a string map entry
        ("{{ .metadata.labels.tier }}", "default", "<no value>"),
    ],
)
def test_missing_keys_follow_the_mode(template: str, missing_key: str, expected: str) -> None:
    assert functions.render(template, CLUSTER, missing_key=missing_key) == expected


def test_missing_key_error_names_the_key_and_where() -> None:
    with pytest.raises(ExecError) as err:
        functions.render("name: {{ .path.basename }}", CLUSTER, missing_key="error")
    assert str(err.value) == (
        'template: :1:14: executing "" at <.path.basename>: map has no entry for key "basename"'
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ index .metadata.labels "environment" }}', "production"),
        ('{{ index .metadata.labels "none" }}', ""),
        ("{{ index .path.segments 1 }}", "web"),
        ("{{ .metadata.labels }}", "map[environment:production]"),
        ('{{ printf "%T %T" .metadata.labels .path.segments }}', "map[string]string []string"),
        ('{{ hasKey .metadata "labels" }}', "true"),
        ('{{ .replicas }} {{ add .replicas 1 }} {{ printf "%T" .replicas }}', "3 4 float64"),
        ("{{ range .path.segments }}<{{ . }}>{{ end }}", "<apps><web>"),
    ],
)
def test_generator_values_keep_their_go_types(template: str, expected: str) -> None:
    assert functions.render(template, CLUSTER, missing_key="error") == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        # Sprig's get wants map[string]interface{}: cluster labels are map[string]string.
        (
            '{{ get .metadata.labels "environment" }}',
            "wrong type for value; expected map[string]interface {}; got map[string]string",
        ),
        # Parameters come through JSON: 3 is a float64, and eq refuses to mix it with an int.
        ("{{ if eq .replicas 3 }}three{{ end }}", "incompatible types for comparison"),
        ("{{ .metadata.labels.environment.x }}", "can't evaluate field x in type string"),
    ],
)
def test_go_type_errors_happen_where_argo_cd_meets_them(template: str, message: str) -> None:
    with pytest.raises(ExecError, match=re.escape(message)):
        functions.render(template, CLUSTER, missing_key="error")


def test_parses_are_cached_and_the_cache_is_bounded() -> None:
    engine = Engine(SPRIG, cache_size=2)
    first = engine.parse("{{ .a }}")
    assert engine.parse("{{ .a }}") is first
    engine.parse("{{ .b }}")
    engine.parse("{{ .c }}")
    assert engine.parse("{{ .a }}") is not first


def test_text_without_actions_is_returned_as_is() -> None:
    engine = Engine({})
    assert engine.render("plain {text} }}", {}) == "plain {text} }}"


def test_caller_functions_shadow_builtins_like_go_funcs() -> None:
    engine = Engine({"len": Function("len", lambda v: "mine", ("any",))})
    assert engine.render("{{ len .a }}", {"a": [1, 2]}) == "mine"


def test_limits_stop_runaway_templates() -> None:
    engine = Engine(SPRIG, limits=Limits(steps=50, output=100, depth=3))
    with pytest.raises(ExecError, match="evaluation exceeded 50 steps"):
        engine.render("{{ range until 100 }}x{{ end }}", {})
    with pytest.raises(ExecError, match="output exceeded 100 characters"):
        engine.render('{{ repeat 101 "x" }}', {})
    with pytest.raises(ExecError, match=r"exceeded maximum template depth \(3\)"):
        engine.render('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}', {})


def test_parse_errors_and_exec_errors_are_both_template_errors() -> None:
    assert issubclass(ParseError, TemplateError)
    assert issubclass(ExecError, TemplateError)
    with pytest.raises(ParseError, match=r'template: :1: function "nope" not defined'):
        functions.render("{{ nope }}", {})


@pytest.mark.parametrize("name", ["env", "expandenv", "getHostByName"])
def test_argo_cd_keeps_the_environment_out_of_templates(name: str) -> None:
    assert name not in functions.FUNCTIONS
    with pytest.raises(ParseError, match=f'function "{name}" not defined'):
        functions.render(f'{{{{ {name} "HOME" }}}}', {})


@pytest.mark.parametrize("name", ["normalize", "slugify", "toYaml", "fromYaml", "fromYamlArray"])
def test_argo_cd_adds_its_own_functions(name: str) -> None:
    assert name in functions.FUNCTIONS


@pytest.mark.parametrize(
    ("template", "data", "expected"),
    [
        ("{{ .path.basename | normalize }}", {"path": {"basename": "Team_A"}}, "team-a"),
        ('{{ slugify 12 true "my very long name" }}', {}, "my-very-long"),
        ("{{ toYaml .v }}", {"v": {"b": [1.0, "x"], "a": True}}, "a: true\nb:\n- 1\n- x"),
        (
            "{{ range $k, $v := fromYaml .y }}{{ $k }}={{ $v }};{{ end }}",
            {"y": "size: 2\non: yes\n"},  # go-yaml v2: `on` is a boolean, even as a key
            "size=2;true=true;",
        ),
        ('{{ index (fromYamlArray "[a, b]") 1 }}', {}, "b"),
    ],
)
def test_argo_cd_functions(template: str, data: dict[str, Any], expected: str) -> None:
    assert functions.render(template, data, missing_key="error") == expected
