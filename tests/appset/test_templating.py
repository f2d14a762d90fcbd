"""Rendering templates into Applications: fasttemplate's rules, goTemplate's missingkey, the
generator template merge, finalizers and templatePatch (reference section 5.2 to 5.6)."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.appset import fasttemplate
from gitferry.appset.templating import (
    RESOURCES_FINALIZER,
    Renderer,
    RenderFailure,
    build_application,
    merge_template,
    strategic_merge,
)

FLAT = {"name": "dev", "path.basename": "app", "path[0]": "apps", "n": 3}

FASTTEMPLATE_CASES = [
    ("{{name}}-{{path.basename}}", "dev-app"),
    ("{{ name }}", "dev"),  # spaces around the tag are trimmed
    ("{{  name\t}}", "dev"),
    ("{{path[0]}}", "apps"),
    ("{{ missing }}", "{{ missing }}"),  # unknown keys are left as they are, spaces included
    ("{{Name}}", "{{Name}}"),  # case-sensitive
    ("{{n}}", "{{n}}"),  # only string parameters are used
    ("{{}} and {{ }}", "{{}} and {{ }}"),
    ("{{ {{name}} }}", "{{ {{name}} }}"),  # the tag is " {{name": unknown
    ("no template", "no template"),
    ("{{name}\n}}", "{{name}\n}}"),  # no line holds {{...}}: untouched
    ("{{name}}\n{{ name", None),  # processed, and a tag is unclosed: error
]


@pytest.mark.parametrize(("text", "expected"), FASTTEMPLATE_CASES)
def test_fasttemplate(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(fasttemplate.FastTemplateError, match="cannot find end tag"):
            fasttemplate.render(text, FLAT)
    else:
        assert fasttemplate.render(text, FLAT) == expected


NESTED = {"path": {"basename": "app", "segments": ["apps", "app"]}, "env": "prod"}

GO_CASES = [
    ("{{ .path.basename }}", (), "app"),
    ("{{ index .path.segments 0 }}", (), "apps"),
    ("{{ .missing }}", (), "<no value>"),
    ("{{ .missing }}", ("missingkey=default",), "<no value>"),
    ("{{ .missing }}", ("missingkey=zero",), "<no value>"),
    ("{{ .missing }}", ("missingkey=error",), 'map has no entry for key "missing"'),
    ("{{ .env | upper | normalize }}", (), "prod"),
    ('{{ slugify 8 false "Hello World.example" }}', (), "hello-wo"),
    ('{{ toYaml (dict "b" 1 "a" (list "x")) }}', (), "a:\n- x\nb: 1"),
    ('{{ (fromYaml "a: 1").a }}', (), "1"),
    ('{{ env "HOME" }}', (), 'function "env" not defined'),
]


@pytest.mark.parametrize(("text", "options", "expected"), GO_CASES)
def test_go_template_renderer(text: str, options: tuple[str, ...], expected: str) -> None:
    renderer = Renderer(go_template=True, options=options)
    if expected.endswith(("not defined", '"missing"')):
        with pytest.raises(RenderFailure, match=expected):
            renderer.render(text, NESTED)
    else:
        assert renderer.render(text, NESTED) == expected


def test_unknown_go_template_option_is_an_error() -> None:
    with pytest.raises(RenderFailure, match="unrecognized option: missingkey=maybe"):
        Renderer(go_template=True, options=["missingkey=maybe"])


def test_render_tree_renders_map_keys_and_drops_nulls() -> None:
    renderer = Renderer(go_template=False)
    tree = {"labels": {"team-{{name}}": "{{name}}"}, "list": ["{{name}}", 3], "gone": None}
    assert renderer.render_tree(tree, FLAT) == {"labels": {"team-dev": "dev"}, "list": ["dev", 3]}


MERGE_CASES = [
    # generator template fields win; blanks are filled from spec.template
    (
        {"metadata": {}, "spec": {"source": {"path": "{{path}}"}}},
        {
            "metadata": {"name": "n"},
            "spec": {"project": "p", "source": {"path": "x", "repoURL": "r"}},
        },
        {
            "metadata": {"name": "n"},
            "spec": {"project": "p", "source": {"path": "{{path}}", "repoURL": "r"}},
        },
    ),
    # maps merge key by key, generator keys winning
    (
        {"metadata": {"labels": {"a": "gen"}}},
        {"metadata": {"labels": {"a": "spec", "b": "spec"}}},
        {"metadata": {"labels": {"a": "gen", "b": "spec"}}},
    ),
    # a non-empty list replaces; false cannot override true
    (
        {"spec": {"syncPolicy": {"syncOptions": ["A"], "automated": {"prune": False}}}},
        {"spec": {"syncPolicy": {"syncOptions": ["B", "C"], "automated": {"prune": True}}}},
        {"spec": {"syncPolicy": {"syncOptions": ["A"], "automated": {"prune": True}}}},
    ),
    (None, {"spec": {"project": "p"}}, {"spec": {"project": "p"}}),
]


@pytest.mark.parametrize(("generator", "spec", "expected"), MERGE_CASES)
def test_merge_template_fills_the_blanks(generator: Any, spec: Any, expected: Any) -> None:
    assert merge_template(generator, spec) == expected


TEMPLATE = {
    "metadata": {"name": "{{name}}-app", "labels": {"env": "{{name}}"}},
    "spec": {"project": "default", "destination": {"server": "https://x", "namespace": "ns"}},
}

FINALIZER_CASES = [
    ("no finalizers, no syncPolicy", None, None, [RESOURCES_FINALIZER]),
    (
        "preserveResourcesOnDeletion false",
        None,
        {"preserveResourcesOnDeletion": False},
        [RESOURCES_FINALIZER],
    ),
    ("preserveResourcesOnDeletion true", None, {"preserveResourcesOnDeletion": True}, None),
    (
        "template finalizers kept",
        ["resources-finalizer.argocd.argoproj.io/background"],
        None,
        ["resources-finalizer.argocd.argoproj.io/background"],
    ),
    (
        "non-resources finalizer kept",
        ["non-resources-finalizer"],
        None,
        ["non-resources-finalizer"],
    ),
]


@pytest.mark.parametrize(("case", "finalizers", "policy", "expected"), FINALIZER_CASES)
def test_finalizers(case: str, finalizers: Any, policy: Any, expected: Any) -> None:
    template = {**TEMPLATE, "metadata": {**TEMPLATE["metadata"], "finalizers": finalizers}}
    app = build_application(
        template,
        {"name": "dev"},
        Renderer(go_template=False),
        sync_policy=policy,
        template_patch=None,
        namespace="argocd",
    )
    assert app["metadata"].get("finalizers") == expected


def test_application_shape_and_namespace_forced() -> None:
    template = {**TEMPLATE, "metadata": {**TEMPLATE["metadata"], "namespace": "elsewhere"}}
    app = build_application(
        template,
        {"name": "dev"},
        Renderer(go_template=False),
        sync_policy=None,
        template_patch=None,
        namespace="argocd",
    )
    assert list(app) == ["apiVersion", "kind", "metadata", "spec"]
    assert app["metadata"] == {
        "name": "dev-app",
        "namespace": "argocd",
        "labels": {"env": "dev"},
        "finalizers": [RESOURCES_FINALIZER],
    }


def test_empty_parameter_set_leaves_the_template_unrendered_without_finalizer() -> None:
    app = build_application(
        TEMPLATE,
        {},
        Renderer(go_template=False),
        sync_policy=None,
        template_patch=None,
        namespace="argocd",
    )
    assert app["metadata"] == {
        "name": "{{name}}-app",
        "namespace": "argocd",
        "labels": {"env": "{{name}}"},
    }


PATCH = """
{{- if .autoSync }}
spec:
  syncPolicy:
    automated: {prune: {{ .prune }}}
{{- end }}
  project: cannot-change
  revisionHistoryLimit: 3
metadata:
  labels:
    env: null
    added: "yes"
"""


def test_template_patch_is_a_strategic_merge_rendered_with_the_parameters() -> None:
    template = {**TEMPLATE, "metadata": {"name": "{{ .name }}", "labels": {"env": "{{ .name }}"}}}
    app = build_application(
        template,
        {"name": "dev", "autoSync": True, "prune": True},
        Renderer(go_template=True),
        sync_policy=None,
        template_patch=PATCH,
        namespace="argocd",
    )
    assert app["spec"]["syncPolicy"] == {"automated": {"prune": True}}
    assert app["spec"]["project"] == "default"  # restored after the patch
    assert app["spec"]["revisionHistoryLimit"] == 3
    assert app["metadata"]["labels"] == {"added": "yes"}


def test_template_patch_must_be_a_mapping() -> None:
    with pytest.raises(RenderFailure, match="must render to a mapping"):
        build_application(
            TEMPLATE,
            {"name": "dev"},
            Renderer(go_template=False),
            sync_policy=None,
            template_patch="- a\n- b\n",
            namespace="argocd",
        )


@pytest.mark.parametrize(
    ("original", "patch", "expected"),
    [
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}}, {"a": {"b": 3, "c": 2}}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": 1, "b": 2}, {"a": None}, {"b": 2}),
        ({"a": {"b": 1}}, {"a": {"$patch": "replace", "c": 2}}, {"a": {"c": 2}}),
        ({"a": {"b": 1}, "x": 1}, {"a": {"$patch": "delete"}}, {"x": 1}),
        ({}, {"a": {"b": None, "c": 1}}, {"a": {"c": 1}}),
    ],
)
def test_strategic_merge(original: dict, patch: dict, expected: dict) -> None:
    assert strategic_merge(original, patch) == expected
