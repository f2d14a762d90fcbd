"""Multiple sources (reference 1.9): `$ref` values files, per-source revisions, source order
and duplicates, over local Git repositories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitferry.model.errors import RenderError, UnsafePathError

CHARTS = "https://git.example/charts.git"
VALUES = "https://git.example/values.git"
MANIFESTS = "https://git.example/manifests.git"

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    "chart/values.yaml": "color: chart\n",
    "chart/templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: colors\n"
        "data:\n  color: {{ .Values.color | quote }}\n"
    ),
}


def cm(name: str, value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: {value}\n"


@pytest.fixture
def repos(tmp_path: Path, git_repo: Any, Provider: Any) -> Any:
    git_repo(tmp_path / "charts", CHART)
    git_repo(
        tmp_path / "values",
        {"envs/prod.yaml": "color: prod\n", "manifests/extra.yaml": cm("extra", "x")},
    )
    git_repo(
        tmp_path / "manifests",
        {"a/cm.yaml": cm("shared", "from-a"), "b/cm.yaml": cm("shared", "from-b")},
    )
    return Provider(
        {
            CHARTS: tmp_path / "charts",
            VALUES: tmp_path / "values",
            MANIFESTS: tmp_path / "manifests",
        },
        scratch=tmp_path / "scratch",
    )


def helm_with_values(value_file: str = "$values/envs/prod.yaml") -> list[dict[str, Any]]:
    return [
        {"repoURL": CHARTS, "path": "chart", "helm": {"valueFiles": [value_file]}},
        {"repoURL": VALUES, "targetRevision": "main", "ref": "values"},
    ]


def colors(result: Any) -> str:
    [found] = [m for m in result.manifests if m["metadata"]["name"] == "colors"]
    return str(found["data"]["color"])


def test_ref_values_files_come_from_the_other_repository(
    repos: Any, make_app: Any, render: Any, helm_sdk: Any
) -> None:
    result = render(make_app(sources=helm_with_values()), repos)
    assert colors(result) == "prod"
    assert result.source_types == ["Helm", ""]
    assert [len(r) for r in result.revisions] == [40, 40]
    assert result.revisions[1] == repos._git(VALUES, "rev-parse", "main")


def test_a_new_commit_in_the_ref_repository_is_rendered_again(
    repos: Any, make_app: Any, render: Any, renderer: Any, git_repo: Any, helm_sdk: Any
) -> None:
    app = make_app(sources=helm_with_values())
    assert colors(render(app, repos)) == "prod"
    assert colors(render(app, repos)) == "prod"
    assert renderer.renders["Helm"] == 1
    git_repo(repos.repos[VALUES], {"envs/prod.yaml": "color: green\n"})
    assert colors(render(app, repos)) == "green"
    assert renderer.renders["Helm"] == 2


def test_a_ref_source_with_a_path_renders_too(repos: Any, make_app: Any, render: Any) -> None:
    sources = [
        {"repoURL": MANIFESTS, "path": "a"},
        {"repoURL": VALUES, "path": "manifests", "ref": "values"},
    ]
    result = render(make_app(sources=sources), repos)
    assert [m["metadata"]["name"] for m in result.manifests] == ["shared", "extra"]
    assert result.source_types == ["Directory", "Directory"]


def test_duplicates_across_sources_keep_the_last(repos: Any, make_app: Any, render: Any) -> None:
    sources = [{"repoURL": MANIFESTS, "path": "a"}, {"repoURL": MANIFESTS, "path": "b"}]
    result = render(make_app(sources=sources), repos)
    assert [m["data"]["v"] for m in result.manifests] == ["from-b"]
    assert [w.type for w in result.warnings] == ["RepeatedResourceWarning"]
    assert "Resource /ConfigMap/default/shared appeared 2 times" in result.warnings[0].message


def test_errors_name_the_source(repos: Any, make_app: Any, render: Any) -> None:
    sources = [{"repoURL": MANIFESTS, "path": "a"}, {"repoURL": MANIFESTS, "path": "missing"}]
    with pytest.raises(
        RenderError, match=r"^app app: sources\[1\]: missing: app path does not exist"
    ):
        render(make_app(sources=sources), repos)


def test_ref_paths_cannot_leave_their_repository(
    repos: Any, make_app: Any, render: Any, helm_sdk: Any
) -> None:
    app = make_app(sources=helm_with_values("$values/../charts/chart/values.yaml"))
    with pytest.raises(UnsafePathError, match="points outside the repository"):
        render(app, repos)


def test_an_unknown_ref_is_an_env_variable_as_in_argo_cd(
    repos: Any, make_app: Any, render: Any, helm_sdk: Any
) -> None:
    app = make_app(sources=helm_with_values("$other/envs/prod.yaml"))
    with pytest.raises(RenderError, match=r"values file \$other/envs/prod\.yaml: not found"):
        render(app, repos)


def test_tracking_options_apply_to_all_sources(repos: Any, make_app: Any, render: Any) -> None:
    sources = [{"repoURL": MANIFESTS, "path": "a"}, {"repoURL": VALUES, "path": "manifests"}]
    result = render(
        make_app("shop", sources=sources, app_namespace="team"),
        repos,
        tracking_method="label",
        instance_label_key="example.com/app",
    )
    labels = [m["metadata"]["labels"] for m in result.manifests]
    assert labels == [{"example.com/app": "team_shop"}] * 2
    assert all("annotations" not in m["metadata"] for m in result.manifests)
    assert json.dumps(result.manifests)  # plain JSON data
