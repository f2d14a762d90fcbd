"""Kustomize sources (reference 1.7): every Application option, applied as Argo CD's
`kustomize edit` calls apply it, then built by the real kustomize."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gitferry.model.errors import RenderError
from gitferry.render import kustomize_edit

pytestmark = pytest.mark.usefixtures("kubectl")

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
"""
FILES = {
    "base/deployment.yaml": DEPLOYMENT,
    "base/kustomization.yaml": "resources:\n- deployment.yaml\n",
    "app/kustomization.yaml": (
        "resources:\n- ../base\ncommonLabels:\n  owner: base\ncommonAnnotations:\n  note: base\n"
    ),
    "components/extra/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- cm.yaml\n"
    ),
    "components/extra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n",
}
REPLICAS_PATCH = '[{"op": "replace", "path": "/spec/replicas", "value": 5}]'

Check = Callable[[dict[str, Any], list[dict[str, Any]], str], Any]


def deployment(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    [found] = [m for m in manifests if m["kind"] == "Deployment"]
    return found


def image(d: dict[str, Any]) -> str:
    return str(d["spec"]["template"]["spec"]["containers"][0]["image"])


# id -> (kustomize options, (deployment, all manifests, revision) -> expected, expected)
OPTIONS: dict[str, tuple[dict[str, Any], Check, Any]] = {
    "namePrefix replaces the app's": (
        {"namePrefix": "p-"},
        lambda d, m, r: d["metadata"]["name"],
        "p-web",
    ),
    "nameSuffix": ({"nameSuffix": "-s"}, lambda d, m, r: d["metadata"]["name"], "web-s"),
    "image tag": ({"images": ["nginx:1.27"]}, lambda d, m, r: image(d), "nginx:1.27"),
    "image rename": (
        {"images": ["nginx=registry.example/nginx:2"]},
        lambda d, m, r: image(d),
        "registry.example/nginx:2",
    ),
    "image digest": (
        {"images": ["nginx@sha256:0123"]},
        lambda d, m, r: image(d),
        "nginx@sha256:0123",
    ),
    "image with the revision": (
        {"images": ["nginx:${ARGOCD_APP_REVISION_SHORT}"]},
        lambda d, m, r: image(d) == f"nginx:{r[:7]}",
        True,
    ),
    "image tag Go's YAML would read as a number": (
        {"images": ["nginx:1234e56"]},
        lambda d, m, r: image(d),
        "nginx:1234e56",
    ),
    "replicas from a string count": (
        {"replicas": [{"name": "web", "count": "3"}]},
        lambda d, m, r: d["spec"]["replicas"],
        3,
    ),
    "common labels reach selectors and templates": (
        {"commonLabels": {"team": "a"}},
        lambda d, m, r: (
            d["metadata"]["labels"].get("team"),
            d["spec"]["selector"]["matchLabels"].get("team"),
            d["spec"]["template"]["metadata"]["labels"].get("team"),
        ),
        ("a", "a", "a"),
    ),
    "labels without selector": (
        {"commonLabels": {"team": "a"}, "labelWithoutSelector": True},
        lambda d, m, r: (
            d["metadata"]["labels"].get("team"),
            d["spec"]["selector"]["matchLabels"].get("team"),
            d["spec"]["template"]["metadata"]["labels"].get("team"),
        ),
        ("a", None, None),
    ),
    "labels without selector but in templates": (
        {
            "commonLabels": {"team": "a"},
            "labelWithoutSelector": True,
            "labelIncludeTemplates": True,
        },
        lambda d, m, r: (
            d["spec"]["selector"]["matchLabels"].get("team"),
            d["spec"]["template"]["metadata"]["labels"].get("team"),
        ),
        (None, "a"),
    ),
    "label values get env substitution": (
        {"commonLabels": {"app-name": "$ARGOCD_APP_NAME"}},
        lambda d, m, r: d["metadata"]["labels"]["app-name"],
        "guestbook",
    ),
    "an existing label is overwritten with force": (
        {"commonLabels": {"owner": "app"}, "forceCommonLabels": True},
        lambda d, m, r: d["metadata"]["labels"]["owner"],
        "app",
    ),
    "annotations are literal without envsubst": (
        {"commonAnnotations": {"who": "$ARGOCD_APP_NAME"}},
        lambda d, m, r: d["metadata"]["annotations"]["who"],
        "$ARGOCD_APP_NAME",
    ),
    "annotations with envsubst": (
        {"commonAnnotations": {"who": "$ARGOCD_APP_NAME"}, "commonAnnotationsEnvsubst": True},
        lambda d, m, r: d["metadata"]["annotations"]["who"],
        "guestbook",
    ),
    "an existing annotation is overwritten with force": (
        {"commonAnnotations": {"note": "app"}, "forceCommonAnnotations": True},
        lambda d, m, r: d["metadata"]["annotations"]["note"],
        "app",
    ),
    "namespace": ({"namespace": "ns1"}, lambda d, m, r: d["metadata"]["namespace"], "ns1"),
    "patches": (
        {"patches": [{"target": {"kind": "Deployment"}, "patch": REPLICAS_PATCH}]},
        lambda d, m, r: d["spec"]["replicas"],
        5,
    ),
    "components": (
        {"components": ["../components/extra"]},
        lambda d, m, r: sorted(x["metadata"]["name"] for x in m),
        ["extra", "web"],
    ),
    "missing components are skipped when asked": (
        {
            "components": ["../components/none", "../components/extra"],
            "ignoreMissingComponents": True,
        },
        lambda d, m, r: len(m),
        2,
    ),
}


@pytest.mark.parametrize(("options", "check", "expected"), OPTIONS.values(), ids=list(OPTIONS))
def test_kustomize_options(
    options: dict[str, Any],
    check: Check,
    expected: Any,
    repo: Any,
    make_app: Any,
    renderer: Any,
) -> None:
    import asyncio

    provider, _ = repo(FILES)
    app = make_app("guestbook", source={"path": "app", "kustomize": options})
    rendered = asyncio.run(renderer.render_source(app, 0, provider))
    assert rendered.source_type == "Kustomize"
    found = check(deployment(rendered.manifests), rendered.manifests, rendered.revision)
    assert found == expected


OPTION_ERRORS = {
    "an existing label without force": (
        {"commonLabels": {"owner": "app"}},
        "label owner already in kustomization file",
    ),
    "an existing annotation without force": (
        {"commonAnnotations": {"note": "app"}},
        "annotation note already in kustomization file",
    ),
    "templates without labelWithoutSelector": (
        {"commonLabels": {"a": "b"}, "labelIncludeTemplates": True},
        "labelIncludeTemplates needs labelWithoutSelector",
    ),
    "a missing component": ({"components": ["../components/none"]}, "has no match"),
    "a bad image": ({"images": ["nginx"]}, "invalid format"),
    "a bad replica count": ({"replicas": [{"name": "web", "count": "x"}]}, "expected integer"),
}


@pytest.mark.parametrize(("options", "message"), OPTION_ERRORS.values(), ids=list(OPTION_ERRORS))
def test_kustomize_option_errors(
    options: dict[str, Any], message: str, repo: Any, make_app: Any, render: Any
) -> None:
    provider, _ = repo(FILES)
    with pytest.raises(RenderError, match=message):
        render(make_app("guestbook", source={"path": "app", "kustomize": options}), provider)


def test_options_leave_the_repository_untouched(repo: Any, make_app: Any, render: Any) -> None:
    provider, root = repo(FILES)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    app = make_app("guestbook", source={"path": "app", "kustomize": {"namePrefix": "x-"}})
    render(app, provider)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_build_errors_name_repository_paths_only(repo: Any, make_app: Any, render: Any) -> None:
    provider, root = repo({**FILES, "app/kustomization.yaml": "resources:\n- missing.yaml\n"})
    with pytest.raises(RenderError) as caught:
        render(make_app(source={"path": "app", "kustomize": {"namePrefix": "x-"}}), provider)
    assert "gitferry-kustomize-" not in str(caught.value)
    assert str(root) not in str(caught.value)


# (argument, parsed image entry) as `kustomize edit set image` reads them
IMAGES = [
    ("nginx:1.27", {"name": "nginx", "newTag": "1.27"}),
    ("nginx=reg/nginx:2", {"name": "nginx", "newName": "reg/nginx", "newTag": "2"}),
    ("nginx=reg/nginx", {"name": "nginx", "newName": "reg/nginx"}),
    ("nginx@sha256:ab", {"name": "nginx", "digest": "sha256:ab"}),
    ("reg:5000/app:v1", {"name": "reg:5000/app", "newTag": "v1"}),
]


@pytest.mark.parametrize(("arg", "expected"), IMAGES)
def test_image_arguments(arg: str, expected: dict[str, str]) -> None:
    assert kustomize_edit.parse_image(arg) == expected
