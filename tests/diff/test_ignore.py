"""`ignoreDifferences` (reference 4.4): glob matching, JSON pointers, jq path expressions,
managed-fields managers, and the system rules of argocd-cm."""

from __future__ import annotations

import copy
import time
from typing import Any

import jsonpatch
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitferry.diff import ignore, jqpaths, pointers
from gitferry.diff.ignore import IgnoreRule, IgnoreRules
from gitferry.diff.settings import CompareSettings
from gitferry.model.errors import InvalidSpecError

GLOBS = {
    "literal": ("apps", "apps", True),
    "star matches anything, dots and slashes too": ("*", "networking.k8s.io/x", True),
    "empty matches only the core group": ("", "", True),
    "empty does not match a named group": ("", "apps", False),
    "star matches the core group": ("*", "", True),
    "suffix star": ("*.k8s.io", "networking.k8s.io", True),
    "question mark is one character": ("Deploymen?", "Deployment", True),
    "class": ("[DS]*", "Secret", True),
    "negated class": ("[!D]*", "Deployment", False),
    "alternatives": ("{Deployment,StatefulSet}", "StatefulSet", True),
    "alternatives are exact": ("{Deployment,StatefulSet}", "DaemonSet", False),
    "escaped star is literal": ("a\\*", "a*", True),
    "escaped star does not glob": ("a\\*", "ab", False),
    "malformed pattern matches nothing": ("[abc", "a", False),
    "whole-string match": ("apps", "apps.x", False),
}


@pytest.mark.parametrize(("pattern", "text", "matches"), GLOBS.values(), ids=GLOBS.keys())
def test_globs_follow_gobwas(pattern: str, text: str, matches: bool) -> None:
    assert ignore.glob_match(pattern, text) is matches


DOC = {"a": {"b/c": 1, "m~n": 2, "list": [10, 20, 30]}, "keep": True}
POINTERS = {
    "nested field": ("/keep", {"a": DOC["a"]}),
    "slash escaped as ~1": ("/a/b~1c", {"a": {"m~n": 2, "list": [10, 20, 30]}, "keep": True}),
    "tilde escaped as ~0": ("/a/m~0n", {"a": {"b/c": 1, "list": [10, 20, 30]}, "keep": True}),
    "list index": ("/a/list/1", {"a": {**DOC["a"], "list": [10, 30]}, "keep": True}),
    "negative index from the end": (
        "/a/list/-1",
        {"a": {**DOC["a"], "list": [10, 20]}, "keep": True},
    ),
    "missing key is ignored": ("/a/nope", DOC),
    "index out of range is ignored": ("/a/list/9", DOC),
    "into a scalar is ignored": ("/keep/x", DOC),
    "not a pointer is ignored": ("keep", DOC),
    "the whole document is not removed": ("", DOC),
}


@pytest.mark.parametrize(("pointer", "expected"), POINTERS.values(), ids=POINTERS.keys())
def test_json_pointer_removal_is_copy_on_write(pointer: str, expected: dict[str, Any]) -> None:
    before = copy.deepcopy(DOC)
    result = pointers.remove_pointer(DOC, pointer)
    assert result == expected
    assert before == DOC
    if expected is DOC:
        assert result is DOC


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


def _paths(doc: Any, prefix: str = "") -> list[str]:
    found = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, f"{prefix}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, f"{prefix}/{index}")
    return found


@given(st.dictionaries(st.text(max_size=3), JSON, min_size=1, max_size=4), st.data())
def test_pointer_removal_agrees_with_json_patch(doc: dict[str, Any], data: st.DataObject) -> None:
    pointer = data.draw(st.sampled_from(_paths(doc)))
    before = copy.deepcopy(doc)
    expected = jsonpatch.apply_patch(doc, [{"op": "remove", "path": pointer}])
    assert pointers.remove_pointer(doc, pointer) == expected
    assert doc == before


def deployment(name: str = "web", namespace: str = "prod") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": 3},
    }


RULES = {
    "group and kind": (IgnoreRule(group="apps", kind="Deployment"), True),
    "empty group is core only": (IgnoreRule(kind="Deployment"), False),
    "glob kind": (IgnoreRule(group="apps", kind="*"), True),
    "name must be equal": (IgnoreRule(group="*", kind="*", name="web"), True),
    "other name": (IgnoreRule(group="*", kind="*", name="api"), False),
    "names are not globs": (IgnoreRule(group="*", kind="*", name="w*"), False),
    "namespace must be equal": (IgnoreRule(group="*", kind="*", namespace="dev"), False),
}


@pytest.mark.parametrize(("rule", "matches"), RULES.values(), ids=RULES.keys())
def test_rule_matching(rule: IgnoreRule, matches: bool) -> None:
    assert rule.matches("apps", "Deployment", "web", "prod") is matches


def test_matching_rules_are_unioned_in_order() -> None:
    rules = IgnoreRules(
        [
            IgnoreRule(
                group="apps",
                kind="Deployment",
                json_pointers=("/spec/replicas",),
                managed_fields_managers=("hpa",),
            ),
            IgnoreRule(
                group="*",
                kind="*",
                jq_path_expressions=(".metadata.labels",),
                managed_fields_managers=("hpa", "vpa"),
            ),
            IgnoreRule(group="", kind="Service", json_pointers=("/spec",)),
        ]
    )
    matched = rules.matching_object(deployment())
    assert [(kind, text) for kind, text, _ in matched.patches] == [
        ("pointer", "/spec/replicas"),
        ("jq", ".metadata.labels"),
    ]
    assert matched.managers == ("hpa", "vpa")
    service = rules.matching("", "Service", "s", "prod")
    assert [text for _, text, _ in service.patches] == [".metadata.labels", "/spec"]


def test_app_rules_parse_and_reject_malformed_entries() -> None:
    rules = ignore.parse_app_rules(
        [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]
    )
    assert rules == (
        IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas",)),
    )
    with pytest.raises(InvalidSpecError, match=r"spec.ignoreDifferences\[0\].jsonPointers"):
        ignore.parse_app_rules([{"kind": "Deployment", "jsonPointers": "/spec"}])


def test_pointer_rules_apply_without_a_jq_runner() -> None:
    rules = IgnoreRules(
        [IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas", "/nope"))]
    )
    doc, failures = ignore.apply(deployment(), rules.matching_object(deployment()), None)
    assert doc["spec"] == {}
    assert failures == ()


JQ = {
    "removes the selected field": (".spec.replicas", {"spec": {}}, ""),
    "removes selected list items": (
        '.spec.template.spec.containers[] | select(.name == "sidecar")',
        {"spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "app"}]}}}},
        "",
    ),
    "a path that does not exist leaves the object alone": (".spec.nope.deeper", None, ""),
    "an error skips the patch": (".spec.replicas[]", None, "JQ patch returned error"),
    "several outputs skip the patch": (".a) | (., .", None, "JQ patch returned multiple objects"),
    "a non-object output skips the patch": (".a) | (.spec.replicas", None, "not an object"),
    "a malformed expression is reported": (".spec[", None, "failed to compile"),
}


@pytest.mark.parametrize(("expression", "expected_spec", "failure"), JQ.values(), ids=JQ.keys())
def test_jq_path_expressions(
    jq_runner: jqpaths.JqRunner, expression: str, expected_spec: dict[str, Any] | None, failure: str
) -> None:
    doc = deployment()
    doc["spec"]["template"] = {"spec": {"containers": [{"name": "app"}, {"name": "sidecar"}]}}
    rules = IgnoreRules([IgnoreRule(group="apps", kind="*", jq_path_expressions=(expression,))])
    result, failures = ignore.apply(doc, rules.matching_object(doc), jq_runner)
    if failure:
        assert result == doc
        assert len(failures) == 1 and failure in failures[0] and failures[0].startswith(expression)
    else:
        assert failures == ()
        expected = doc if expected_spec is None else {**doc, **expected_spec}
        if expression == ".spec.replicas":
            expected = {**doc, "spec": {"template": doc["spec"]["template"]}}
        assert result == expected


@pytest.mark.usefixtures("jq_module")
def test_malformed_jq_is_a_problem_of_the_rules() -> None:
    rules = IgnoreRules([IgnoreRule(group="*", kind="*", jq_path_expressions=(".ok", ".bad["))])
    problems = rules.problems()
    assert len(problems) == 1 and "'.bad['" in problems[0]


@pytest.mark.usefixtures("jq_module")
def test_runaway_jq_times_out_promptly_and_the_worker_recovers() -> None:
    with jqpaths.JqRunner(timeout=0.5) as runner:
        assert runner.delete(".a", {"a": 1}).document == {}
        started = time.monotonic()
        result = runner.delete("[range(1e9)]", {"a": 1})
        assert time.monotonic() - started < 3
        assert result.document is None
        assert result.error == "JQ patch execution timed out (500ms)"
        assert runner.delete(".a", {"a": 1, "b": 2}).document == {"b": 2}
        assert runner.restarts == 2


@pytest.mark.usefixtures("jq_module")
def test_jq_memory_is_capped() -> None:
    with jqpaths.JqRunner(timeout=20, memory_limit=256 << 20) as runner:
        result = runner.delete('[range(1e8) | tostring] | join("")', {})
        assert result.document is None
        assert "JQ patch" in result.error and "timed out" not in result.error


SPLIT = "resource.customizations.ignoreDifferences."
SYSTEM = {
    "nothing configured: status ignored for every kind": (
        {},
        [IgnoreRule(group="*", kind="*", json_pointers=("/status",))],
    ),
    "split key with group": (
        {
            SPLIT + "apps_Deployment": "jsonPointers: [/spec/replicas]",
            "resource.compareoptions": "ignoreResourceStatusField: none",
        },
        [IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas",))],
    ),
    "split key for a core kind, both spellings": (
        {
            SPLIT + "Secret": "jsonPointers: [/data]",
            SPLIT + "_ConfigMap": "jqPathExpressions: [.data.x]",
            "resource.compareoptions": "ignoreResourceStatusField: 'off'",
        },
        [
            IgnoreRule(kind="Secret", json_pointers=("/data",)),
            IgnoreRule(kind="ConfigMap", jq_path_expressions=(".data.x",)),
        ],
    ),
    "all means every kind; managers kept": (
        {
            SPLIT + "all": "managedFieldsManagers: [kube-controller-manager]",
            "resource.compareoptions": "ignoreResourceStatusField: false",
        },
        [IgnoreRule(group="*", kind="*", managed_fields_managers=("kube-controller-manager",))],
    ),
    "legacy map, replaced by a split key for the same kind": (
        {
            "resource.customizations": (
                "apps/Deployment:\n  ignoreDifferences: |\n    jsonPointers: [/spec/a]\n"
                "Service:\n  ignoreDifferences: |\n    jsonPointers: [/spec/b]\n"
                "x.io/Widget:\n  health.lua: return {}\n"
            ),
            SPLIT + "apps_Deployment": "jsonPointers: [/spec/c]",
            "resource.compareoptions": "ignoreResourceStatusField: none",
        },
        [
            IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/c",)),
            IgnoreRule(kind="Service", json_pointers=("/spec/b",)),
        ],
    ),
    "status ignored for CRDs only": (
        {"resource.compareoptions": "ignoreResourceStatusField: crd"},
        [
            IgnoreRule(
                group="apiextensions.k8s.io",
                kind="CustomResourceDefinition",
                json_pointers=("/status", "/spec/preserveUnknownFields"),
            )
        ],
    ),
    "unknown status setting behaves as all": (
        {"resource.compareoptions": "ignoreResourceStatusField: sometimes"},
        [IgnoreRule(group="*", kind="*", json_pointers=("/status",))],
    ),
}


@pytest.mark.parametrize(("data", "rules"), SYSTEM.values(), ids=SYSTEM.keys())
def test_system_rules_from_argocd_cm(data: dict[str, str], rules: list[IgnoreRule]) -> None:
    assert list(CompareSettings.from_configmap(data).rules) == rules


def test_compare_options_and_malformed_settings() -> None:
    settings = CompareSettings.from_configmap(
        {"resource.compareoptions": "ignoreAggregatedRoles: true"}
    )
    assert settings.ignore_aggregated_roles
    with pytest.raises(InvalidSpecError, match="apps_Deployment"):
        CompareSettings.from_configmap({SPLIT + "apps_Deployment": "[oops"})
    with pytest.raises(InvalidSpecError, match="a_b_c"):
        CompareSettings.from_configmap({SPLIT + "a_b_c": "jsonPointers: []"})
