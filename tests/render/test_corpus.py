"""Argo CD's example apps (read in place from the shared corpus) render as Argo CD renders
them: Helm charts equal a direct Helm SDK render, Kustomize apps equal `kubectl kustomize`,
and the apps we do not support yet fail with a clear message."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitferry.model.errors import RenderError
from gitferry.render.options import RenderOptions

URL = "https://github.com/argoproj/argocd-example-apps"

# app path -> (source type, number of manifests after de-duplication)
CORPUS_APPS = {
    "guestbook": ("Directory", 2),
    "helm-guestbook": ("Helm", 2),
    "kustomize-guestbook": ("Kustomize", 2),
    "sock-shop": ("Kustomize", 29),
    "sync-waves": ("Directory", 7),
    "pre-post-sync": ("Kustomize", 4),
    "helm-hooks": ("Directory", 5),
    "blue-green": ("Helm", 3),
    "apps": ("Helm", 14),
}
HELM_APPS = ["helm-guestbook", "blue-green", "apps"]
KUSTOMIZE_APPS = ["kustomize-guestbook", "sock-shop", "pre-post-sync"]


def _app(make_app: Any, path: str, **source: Any) -> Any:
    return make_app(path, source={"repoURL": URL, "path": path, **source})


def _provider(Provider: Any, examples: Path) -> Any:
    return Provider({URL: examples})


def _needs_tool(source_type: str, request: pytest.FixtureRequest) -> None:
    if source_type == "Helm":
        request.getfixturevalue("helm_sdk")
    if source_type == "Kustomize":
        request.getfixturevalue("kubectl")


@pytest.mark.parametrize(("path", "expected"), CORPUS_APPS.items(), ids=list(CORPUS_APPS))
def test_every_example_app_renders(
    path: str,
    expected: tuple[str, int],
    examples: Path,
    make_app: Any,
    Provider: Any,
    render: Any,
    request: pytest.FixtureRequest,
) -> None:
    source_type, count = expected
    _needs_tool(source_type, request)
    result = render(_app(make_app, path), _provider(Provider, examples))
    assert result.source_types == [source_type]
    assert len(result.manifests) == count
    assert all(
        "argocd.argoproj.io/tracking-id" in m["metadata"]["annotations"] for m in result.manifests
    )


def _sorted_docs(docs: list[dict[str, Any]]) -> list[str]:
    return sorted(yaml.safe_dump(d, sort_keys=True) for d in docs)


def _direct_helm(helm: Any, chart: Path, values: dict[str, Any], name: str, ns: str) -> list[Any]:
    with helm.Chart.load(str(chart)) as loaded:
        files = loaded.render(values, name=name, namespace=ns)
    docs = []
    for file_name, text in files.items():
        if not file_name.endswith("NOTES.txt"):
            docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


@pytest.mark.parametrize("path", HELM_APPS)
def test_helm_apps_equal_a_direct_sdk_render(
    path: str, examples: Path, make_app: Any, Provider: Any, renderer: Any, helm_sdk: Any
) -> None:
    app = _app(make_app, path)
    ours = asyncio.run(renderer.render_source(app, 0, _provider(Provider, examples)))
    direct = _direct_helm(helm_sdk, examples / path, {}, path, "default")
    assert _sorted_docs(ours.manifests) == _sorted_docs(direct)


def test_helm_guestbook_with_production_values_equals_a_direct_sdk_render(
    examples: Path, make_app: Any, Provider: Any, renderer: Any, helm_sdk: Any
) -> None:
    app = _app(make_app, "helm-guestbook", helm={"valueFiles": ["values-production.yaml"]})
    ours = asyncio.run(renderer.render_source(app, 0, _provider(Provider, examples)))
    production = yaml.safe_load((examples / "helm-guestbook/values-production.yaml").read_text())
    direct = _direct_helm(
        helm_sdk, examples / "helm-guestbook", production, "helm-guestbook", "default"
    )
    assert _sorted_docs(ours.manifests) == _sorted_docs(direct)
    default = asyncio.run(
        renderer.render_source(_app(make_app, "helm-guestbook"), 0, _provider(Provider, examples))
    )
    assert _sorted_docs(ours.manifests) != _sorted_docs(default.manifests)


@pytest.mark.parametrize("path", KUSTOMIZE_APPS)
def test_kustomize_apps_equal_kubectl_kustomize(
    path: str, examples: Path, make_app: Any, Provider: Any, renderer: Any, kubectl: str
) -> None:
    ours = asyncio.run(
        renderer.render_source(_app(make_app, path), 0, _provider(Provider, examples))
    )
    build = "build" if kubectl.endswith("kustomize") else "kustomize"
    out = subprocess.run([kubectl, build, str(examples / path)], capture_output=True, check=True)
    direct = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert ours.manifests == direct


def test_helm_dependency_without_its_dependency_says_what_is_missing(
    examples: Path, make_app: Any, Provider: Any, render: Any, helm_sdk: Any
) -> None:
    with pytest.raises(RenderError) as caught:
        render(_app(make_app, "helm-dependency"), _provider(Provider, examples))
    message = str(caught.value)
    assert "dependency wordpress 9.0.3" in message
    assert "https://charts.helm.sh/stable" in message
    assert "could not be fetched" in message


@pytest.mark.parametrize("path", ["jsonnet-guestbook", "jsonnet-guestbook-tla"])
def test_jsonnet_apps_fail_clearly(
    path: str, examples: Path, make_app: Any, Provider: Any, render: Any
) -> None:
    with pytest.raises(RenderError, match=rf"jsonnet is not supported yet: {path}/guestbook-ui"):
        render(_app(make_app, path), _provider(Provider, examples))


def test_plugin_sources_fail_clearly(
    examples: Path, make_app: Any, Provider: Any, render: Any
) -> None:
    app = _app(make_app, "guestbook", plugin={"name": "kasane"})
    with pytest.raises(RenderError, match="config management plugins are not supported yet"):
        render(app, _provider(Provider, examples))


def test_rendering_never_writes_into_the_snapshot(
    examples: Path, make_app: Any, Provider: Any, render: Any, kubectl: str
) -> None:
    def state() -> dict[Path, tuple[int, bytes]]:
        return {
            p: (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else b"")
            for p in examples.rglob("*")
        }

    before = state()
    app = _app(make_app, "kustomize-guestbook", kustomize={"namePrefix": "x-", "images": ["a:1"]})
    result = render(app, _provider(Provider, examples), max_files=1000)
    # The app's own namePrefix is replaced, as `kustomize edit set nameprefix` does.
    assert {m["metadata"]["name"] for m in result.manifests} == {"x-guestbook-ui"}
    assert state() == before


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        RenderOptions("label")  # type: ignore[misc]
