"""Source type detection and parameter-override files (reference 1.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitferry.model.errors import RenderError
from gitferry.model.source import ApplicationSource
from gitferry.render import detect

CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
KUST = "resources: []\n"

# id -> (files at the app root, source blocks, expected type)
DETECTION = {
    "plain files are a Directory": ({"a.yaml": ""}, {}, "Directory"),
    "Chart.yaml is Helm": ({"Chart.yaml": CHART}, {}, "Helm"),
    "a name ending in Chart.yaml is Helm": ({"MyChart.yaml": ""}, {}, "Helm"),
    "kustomization.yaml is Kustomize": ({"kustomization.yaml": KUST}, {}, "Kustomize"),
    "kustomization.yml is Kustomize": ({"kustomization.yml": KUST}, {}, "Kustomize"),
    "Kustomization is Kustomize": ({"Kustomization": KUST}, {}, "Kustomize"),
    "both: Kustomize wins (sorts after Chart.yaml)": (
        {"Chart.yaml": CHART, "kustomization.yaml": KUST},
        {},
        "Kustomize",
    ),
    "only the root counts": ({"sub/Chart.yaml": CHART}, {}, "Directory"),
    "an explicit block wins over discovery": (
        {"Chart.yaml": CHART},
        {"directory": {"recurse": True}},
        "Directory",
    ),
    "an empty block does not force a type": ({"Chart.yaml": CHART}, {"kustomize": {}}, "Helm"),
    "an explicit helm block": ({}, {"helm": {"releaseName": "r"}}, "Helm"),
}


@pytest.mark.parametrize(("files", "blocks", "expected"), DETECTION.values(), ids=list(DETECTION))
def test_source_type(
    files: dict[str, str], blocks: dict[str, Any], expected: str, tmp_path: Path, tree: Any
) -> None:
    tree(tmp_path, {**files, "keep/.x": ""})
    source = ApplicationSource.parse({"repoURL": "r", "path": ".", **blocks})
    assert detect.source_type(source, tmp_path) == expected


def test_several_blocks_are_an_error(tmp_path: Path) -> None:
    source = ApplicationSource.parse(
        {
            "repoURL": "r",
            "path": ".",
            "helm": {"releaseName": "x"},
            "kustomize": {"namePrefix": "p"},
        }
    )
    with pytest.raises(RenderError, match="multiple application sources defined: Kustomize,Helm"):
        detect.source_type(source, tmp_path)


def test_plugins_are_refused(tmp_path: Path) -> None:
    source = ApplicationSource.parse({"repoURL": "r", "path": ".", "plugin": {}})
    with pytest.raises(RenderError, match="config management plugins are not supported yet"):
        detect.source_type(source, tmp_path)


def test_override_files_merge_in_order(tmp_path: Path, tree: Any) -> None:
    tree(
        tmp_path,
        {
            "app/.argocd-source.yaml": (
                "helm:\n  parameters:\n  - name: a\n    value: shared\n  releaseName: shared\n"
                "path: elsewhere\nrepoURL: https://evil.example\n"
            ),
            "app/.argocd-source-guestbook.yaml": "helm:\n  releaseName: mine\n",
        },
    )
    source = ApplicationSource.parse({"repoURL": "https://r", "path": "app"})
    merged = detect.merge_overrides(source, tmp_path, tmp_path / "app", "guestbook")
    assert merged.helm is not None
    assert merged.helm.release_name == "mine"
    assert [(p.name, p.value) for p in merged.helm.parameters] == [("a", "shared")]
    assert (merged.repo_url, merged.path) == ("https://r", "app")
    assert detect.source_type(merged, tmp_path / "app") == "Helm"


def test_another_apps_override_file_is_ignored(tmp_path: Path, tree: Any) -> None:
    tree(tmp_path, {"app/.argocd-source-other.yaml": "helm:\n  releaseName: other\n"})
    source = ApplicationSource.parse({"repoURL": "https://r", "path": "app"})
    assert detect.merge_overrides(source, tmp_path, tmp_path / "app", "guestbook") is source


def test_override_files_apply_end_to_end(repo: Any, make_app: Any, render: Any) -> None:
    provider, _ = repo(
        {
            "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
            "app/other.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
            "app/.argocd-source-guestbook.yaml": "directory:\n  exclude: other.yaml\n",
        }
    )
    result = render(make_app("guestbook", source={"path": "app"}), provider)
    assert [m["metadata"]["name"] for m in result.manifests] == ["a"]
