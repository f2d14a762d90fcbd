"""Helm sources (reference 1.6): values precedence, `--set` semantics, value files, flags,
release and capabilities, charts from Helm repositories and chart dependencies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitferry.model.errors import RenderError
from gitferry.render import helm

pytestmark = pytest.mark.usefixtures("helm_sdk")

CHART_YAML = "apiVersion: v2\nname: probe\nversion: 0.1.0\n"
VALUES = "a: chart\nnested:\n  x: chart\n  w: chart\nlist: [1, 2]\n"
PROBE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: probe
data:
  values: {{ toJson .Values | quote }}
  release: {{ .Release.Name | quote }}
  namespace: {{ .Release.Namespace | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  hasX: {{ .Capabilities.APIVersions.Has "x.io/v1" | quote }}
"""
HOOK = """apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-install
    helm.sh/hook-weight: "-1"
"""
TEST_HOOK = """apiVersion: v1
kind: Pod
metadata:
  name: smoke
  annotations:
    helm.sh/hook: test
"""
CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.x.io
"""


def chart_files(prefix: str = "chart") -> dict[str, Any]:
    return {
        f"{prefix}/Chart.yaml": CHART_YAML,
        f"{prefix}/values.yaml": VALUES,
        f"{prefix}/templates/probe.yaml": PROBE,
        f"{prefix}/templates/hook.yaml": HOOK,
        f"{prefix}/templates/tests/smoke.yaml": TEST_HOOK,
        f"{prefix}/templates/NOTES.txt": "Thanks for installing {{ .Release.Name }}",
        f"{prefix}/templates/_helpers.tpl": '{{- define "x" }}x{{ end }}',
        f"{prefix}/crds/widgets.yaml": CRD,
    }


def probe(result: Any) -> dict[str, Any]:
    [found] = [m for m in result.manifests if m["metadata"]["name"] == "probe"]
    data: dict[str, Any] = found["data"]
    return {**data, "values": json.loads(data["values"])}


def helm_app(make_app: Any, helm_options: dict[str, Any] | None = None, **kw: Any) -> Any:
    source: dict[str, Any] = {"path": "chart"}
    if helm_options:
        source["helm"] = helm_options
    return make_app(kw.pop("name", "guestbook"), source=source, **kw)


# id -> (helm options, extra repository files, expected values subset)
PRECEDENCE = {
    "chart defaults": ({}, {}, {"a": "chart", "list": [1, 2]}),
    "a later values file beats an earlier one": (
        {"valueFiles": ["v1.yaml", "v2.yaml"]},
        {"chart/v1.yaml": "a: v1\nnested: {x: v1}\n", "chart/v2.yaml": "a: v2\n"},
        {"a": "v2", "nested": {"x": "v1", "w": "chart"}},
    ),
    "values beat values files": (
        {"valueFiles": ["v1.yaml"], "values": "a: inline\n"},
        {"chart/v1.yaml": "a: v1\n"},
        {"a": "inline"},
    ),
    "valuesObject wins over values": (
        {"values": "a: text\nb: text\n", "valuesObject": {"a": "object"}},
        {},
        {"a": "object", "b": None},
    ),
    "parameters beat valuesObject": (
        {"valuesObject": {"a": "object"}, "parameters": [{"name": "a", "value": "param"}]},
        {},
        {"a": "param"},
    ),
    "--set types values; forceString keeps strings": (
        {
            "parameters": [
                {"name": "n", "value": "1"},
                {"name": "s", "value": "1", "forceString": True},
                {"name": "t", "value": "true"},
            ]
        },
        {},
        {"n": 1, "s": "1", "t": True},
    ),
    "commas in parameter values are literal": (
        {"parameters": [{"name": "csv", "value": "a,b"}, {"name": "esc", "value": "c\\,d"}]},
        {},
        {"csv": "a,b", "esc": "c,d"},
    ),
    "braces make a list": (
        {"parameters": [{"name": "ports", "value": "{80,443}"}]},
        {},
        {"ports": [80, 443]},
    ),
    "dotted names and indexes": (
        {"parameters": [{"name": "nested.z", "value": "p"}, {"name": "arr[1]", "value": "q"}]},
        {},
        {"nested": {"x": "chart", "w": "chart", "z": "p"}, "arr": [None, "q"]},
    ),
    "parameters get env substitution": (
        {"parameters": [{"name": "who", "value": "$ARGOCD_APP_NAME-${ARGOCD_APP_NAMESPACE}"}]},
        {},
        {"who": "guestbook-default"},
    ),
    "null deletes a chart default": (
        {"values": "nested:\n  w: null\n"},
        {},
        {"nested": {"x": "chart"}},
    ),
    "file parameters read a file": (
        {"fileParameters": [{"name": "config", "path": "files/app.conf"}]},
        {"chart/files/app.conf": "key=value\nother=1\n"},
        {"config": "key=value\nother=1\n"},
    ),
    "value file globs expand in lexical order around explicit files": (
        {"valueFiles": ["env/*.yaml", "env/a.yaml"]},
        {"chart/env/a.yaml": "a: env-a\n", "chart/env/b.yaml": "a: env-b\n"},
        {"a": "env-a"},
    ),
    "an absolute value file counts from the repository root": (
        {"valueFiles": ["/shared/values.yaml"]},
        {"shared/values.yaml": "a: shared\n"},
        {"a": "shared"},
    ),
    "missing value files are dropped when asked": (
        {"valueFiles": ["nope.yaml", "env/*.none"], "ignoreMissingValueFiles": True},
        {},
        {"a": "chart"},
    ),
    "a value file given twice is used once": (
        {"valueFiles": ["v1.yaml", "v2.yaml", "v1.yaml"]},
        {"chart/v1.yaml": "a: v1\n", "chart/v2.yaml": "a: v2\n"},
        {"a": "v2"},
    ),
}


@pytest.mark.parametrize(
    ("options", "files", "expected"), PRECEDENCE.values(), ids=list(PRECEDENCE)
)
def test_values(
    options: dict[str, Any],
    files: dict[str, Any],
    expected: dict[str, Any],
    repo: Any,
    make_app: Any,
    render: Any,
) -> None:
    provider, _ = repo({**chart_files(), **files})
    values = probe(render(helm_app(make_app, options), provider))["values"]
    for key, value in expected.items():
        assert values.get(key) == value, key


VALUE_FILE_ERRORS = {
    "a missing value file": ({"valueFiles": ["nope.yaml"]}, r"values file nope\.yaml: not found"),
    "a glob matching nothing": (
        {"valueFiles": ["env/*.none"]},
        r"values file env/\*\.none: the pattern matched no files",
    ),
    "remote values files are refused by default": (
        {"valueFiles": ["https://example.invalid/values.yaml"]},
        r"remote values files are not allowed",
    ),
    "other URL schemes are refused": (
        {"valueFiles": ["s3://bucket/values.yaml"]},
        r"the URL scheme 's3' is not allowed",
    ),
    "malformed parameter": (
        {"parameters": [{"name": "a[x]", "value": "1"}]},
        r"parameter a\[x\]: error parsing index",
    ),
}


@pytest.mark.parametrize(
    ("options", "pattern"), VALUE_FILE_ERRORS.values(), ids=list(VALUE_FILE_ERRORS)
)
def test_value_errors(
    options: dict[str, Any], pattern: str, repo: Any, make_app: Any, render: Any
) -> None:
    provider, _ = repo(chart_files())
    with pytest.raises(RenderError, match=pattern):
        render(helm_app(make_app, options), provider)


def kinds(result: Any) -> list[str]:
    return [f"{m['kind']}/{m['metadata']['name']}" for m in result.manifests]


def test_crds_hooks_and_tests_are_kept_notes_dropped(repo: Any, make_app: Any, render: Any) -> None:
    provider, _ = repo(chart_files())
    result = render(helm_app(make_app), provider)
    assert kinds(result) == [
        "CustomResourceDefinition/widgets.x.io",
        "Job/migrate",
        "ConfigMap/probe",
        "Pod/smoke",
    ]
    [job] = [m for m in result.manifests if m["kind"] == "Job"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install"


def test_skip_crds_and_skip_tests(repo: Any, make_app: Any, render: Any) -> None:
    provider, _ = repo(chart_files())
    result = render(helm_app(make_app, {"skipCrds": True, "skipTests": True}), provider)
    assert kinds(result) == ["Job/migrate", "ConfigMap/probe"]


def test_release_and_namespace(repo: Any, make_app: Any, render: Any) -> None:
    provider, _ = repo(chart_files())
    default = probe(render(helm_app(make_app, namespace="prod"), provider))
    assert (default["release"], default["namespace"]) == ("guestbook", "prod")
    explicit = probe(
        render(helm_app(make_app, {"releaseName": "r1", "namespace": "other"}), provider)
    )
    assert (explicit["release"], explicit["namespace"]) == ("r1", "other")


def test_capabilities_come_from_the_cluster_unless_the_app_sets_them(
    repo: Any, make_app: Any, render: Any
) -> None:
    provider, _ = repo(chart_files())
    cluster = probe(
        render(helm_app(make_app), provider, kube_version="1.29.3", api_versions=("x.io/v1",))
    )
    assert (cluster["kube"], cluster["hasX"]) == ("v1.29.3", "true")
    app = probe(render(helm_app(make_app, {"kubeVersion": "1.30.1"}), provider))
    assert (app["kube"], app["hasX"]) == ("v1.30.1", "false")


def test_schema_validation_and_skipping_it(repo: Any, make_app: Any, render: Any) -> None:
    schema = '{"type": "object", "properties": {"a": {"type": "integer"}}}'
    provider, root = repo({**chart_files(), "chart/values.schema.json": schema})
    with pytest.raises(RenderError, match="schema"):
        render(helm_app(make_app), provider)
    result = render(helm_app(make_app, {"skipSchemaValidation": True}), provider)
    assert probe(result)["values"]["a"] == "chart"
    assert (root / "chart/values.schema.json").read_text() == schema


def test_an_app_name_that_is_no_release_name_needs_release_name(
    repo: Any, make_app: Any, render: Any
) -> None:
    provider, _ = repo(chart_files())
    with pytest.raises(RenderError, match="release name"):
        render(helm_app(make_app, name="x" * 60), provider)
    assert probe(render(helm_app(make_app, {"releaseName": "short"}, name="x" * 60), provider))


def test_charts_from_a_helm_repository(
    tmp_path: Any, tree: Any, make_app: Any, render: Any, Provider: Any
) -> None:
    unpacked = tree(tmp_path / "charts/probe-0.1.0", chart_files("probe"))
    provider = Provider(
        {}, charts={("https://charts.example", "probe", "0.1.0"): unpacked / "probe"}
    )
    app = make_app(
        "guestbook",
        source={
            "repoURL": "https://charts.example",
            "chart": "probe",
            "targetRevision": "0.1.0",
            "helm": {"valuesObject": {"a": "repo"}},
        },
    )
    result = render(app, provider)
    assert result.revisions == ["0.1.0"]
    assert result.source_types == ["Helm"]
    assert probe(result)["values"]["a"] == "repo"


DEPENDENT = (
    "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"
    "- name: probe\n  version: ~0.1.0\n  repository: https://charts.example\n"
)
LOCK = "dependencies:\n- name: probe\n  version: 0.1.0\n  repository: https://charts.example\n"


def test_missing_dependencies_are_fetched_through_the_provider(
    tmp_path: Any, tree: Any, make_app: Any, render: Any, Provider: Any
) -> None:
    root = tree(tmp_path / "repo", {"parent/Chart.yaml": DEPENDENT, "parent/Chart.lock": LOCK})
    unpacked = tree(tmp_path / "dl", chart_files("probe"))
    provider = Provider(
        {"https://git.example/repo.git": root},
        charts={("https://charts.example", "probe", "0.1.0"): unpacked / "probe"},
    )
    result = render(make_app("guestbook", source={"path": "parent"}), provider)
    assert "ConfigMap/probe" in kinds(result)
    assert not (root / "parent/charts").exists()
    assert provider.calls["chart"] == 1


def test_file_dependencies_come_from_the_repository(repo: Any, make_app: Any, render: Any) -> None:
    parent = DEPENDENT.replace("https://charts.example", "file://../chart")
    provider, _ = repo({**chart_files(), "parent/Chart.yaml": parent})
    result = render(make_app("guestbook", source={"path": "parent"}), provider)
    assert "ConfigMap/probe" in kinds(result)


def test_without_the_sdk_the_error_says_how_to_install_it(
    repo: Any, make_app: Any, render: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, _ = repo(chart_files())
    monkeypatch.setattr(helm, "available", lambda: False)
    with pytest.raises(RenderError, match=r"pip install 'gitferry\[helm\]'"):
        render(helm_app(make_app), provider)


def test_set_values_are_escaped_like_argo_cd() -> None:
    assert helm.clean_set_value("a,b") == "a\\,b"
    assert helm.clean_set_value("a\\,b") == "a\\,b"
    assert helm.clean_set_value("{a,b}") == "{a,b}"


def test_remote_values_files_are_fetched_when_allowed(
    tmp_path: Any, repo: Any, make_app: Any, render: Any
) -> None:
    import functools
    import http.server
    import threading

    (tmp_path / "www").mkdir()
    (tmp_path / "www/values.yaml").write_text("a: remote\n")
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www")
    )
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/values.yaml"
        provider, _ = repo(chart_files())
        app = helm_app(make_app, {"valueFiles": [url]})
        assert probe(render(app, provider, allow_remote_values=True))["values"]["a"] == "remote"
    finally:
        server.shutdown()
        server.server_close()


def test_template_errors_name_the_template_not_our_directories(
    repo: Any, make_app: Any, render: Any
) -> None:
    broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.deep }}\n"
    provider, root = repo({**chart_files(), "chart/templates/broken.yaml": broken})
    with pytest.raises(RenderError, match=r"probe/templates/broken\.yaml:4") as caught:
        render(helm_app(make_app, {"skipSchemaValidation": True}), provider)
    assert str(root) not in str(caught.value)
    assert "gitferry-helm-" not in str(caught.value)
