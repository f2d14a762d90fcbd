"""Regression tests for the rendering classes of anchors.md 4.2 (rows 1-6): nothing is read
outside the repository root, and every input a user controls is capped.

Row 7 (Helm index size) belongs to `gitferry.source`; row 8 (jq timeouts) to `gitferry.diff`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitferry.model.errors import RenderError, RenderLimitError, UnsafePathError

SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\nstringData:\n  k: TOPSECRET\n"
CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    "chart/templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
        "data:\n  v: {{ toJson .Values | quote }}\n"
    ),
}
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"


@pytest.fixture
def outside(tmp_path: Path, tree: Any) -> Path:
    """A secret next to the repository, which no render may read."""
    return tree(
        tmp_path / "outside",
        {"secret.yaml": SECRET, "kustomization.yaml": "resources:\n- secret.yaml\n"},
    )


def refuses(render: Any, app: Any, provider: Any, error: type[Exception] = UnsafePathError) -> str:
    with pytest.raises(error) as caught:
        render(app, provider)
    assert "TOPSECRET" not in str(caught.value)
    return str(caught.value)


def helm_app(make_app: Any, **helm: Any) -> Any:
    return make_app(source={"path": "chart", "helm": helm})


# Row 1 (CVE-2022-24348) and row 2 (CVE-2022-31036): Helm values files and file parameters.
HELM_PATHS = {
    "a values file above the repository": {"valueFiles": ["../../outside/secret.yaml"]},
    "a values file through a symlink": {"valueFiles": ["../vals/leak.yaml"]},
    "a values file under a symlinked directory": {"valueFiles": ["../vals/linked/secret.yaml"]},
    "a values glob matching an escaping symlink": {"valueFiles": ["../vals/*.yaml"]},
    "a file parameter above the repository": {
        "fileParameters": [{"name": "x", "path": "../../outside/secret.yaml"}]
    },
    "a file parameter through a symlink": {
        "fileParameters": [{"name": "x", "path": "../vals/leak.yaml"}]
    },
}


@pytest.mark.parametrize("helm", HELM_PATHS.values(), ids=list(HELM_PATHS))
def test_helm_values_never_leave_the_repository(
    helm: dict[str, Any],
    outside: Path,
    repo: Any,
    make_app: Any,
    render: Any,
    link: Any,
    helm_sdk: Any,
) -> None:
    provider, _ = repo(
        {
            **CHART,
            "vals/leak.yaml": link(str(outside / "secret.yaml")),
            "vals/linked": link(str(outside)),
        }
    )
    assert "values file" in refuses(render, helm_app(make_app, **helm), provider).replace(
        "file parameter", "values file"
    )


def test_an_absolute_values_path_is_read_from_the_repository_root(
    outside: Path, repo: Any, make_app: Any, render: Any, helm_sdk: Any
) -> None:
    provider, _ = repo(CHART)
    message = refuses(
        render, helm_app(make_app, valueFiles=[str(outside / "secret.yaml")]), provider, RenderError
    )
    assert "not found" in message


def test_chart_symlinks_that_escape_are_refused(
    outside: Path, repo: Any, make_app: Any, render: Any, link: Any, helm_sdk: Any
) -> None:
    provider, _ = repo({**CHART, "chart/templates/leak.yaml": link(str(outside / "secret.yaml"))})
    assert "symlink templates/leak.yaml" in refuses(render, helm_app(make_app), provider).replace(
        "chart/", ""
    )


# Row 4 (argo-cd #24145): symlinks in an unpacked chart archive (Helm repository or OCI).
def test_symlinks_in_a_fetched_chart_are_refused(
    outside: Path,
    tmp_path: Path,
    tree: Any,
    link: Any,
    make_app: Any,
    render: Any,
    Provider: Any,
    helm_sdk: Any,
) -> None:
    chart = tree(
        tmp_path / "dl/c",
        {
            "Chart.yaml": CHART["chart/Chart.yaml"],
            "templates/leak.yaml": link(str(outside / "secret.yaml")),
        },
    )
    provider = Provider({}, charts={("oci://registry.example/charts", "c", "1.0.0"): chart})
    app = make_app(
        source={"repoURL": "oci://registry.example/charts", "chart": "c", "targetRevision": "1.0.0"}
    )
    refuses(render, app, provider)


# Row 3 (CVE-2022-24904): directory apps.
DIRECTORY_PATHS = {
    "a symlinked manifest outside": ({"app/leak.yaml": "secret.yaml"}, "app"),
    "an app path above the repository": ({}, "../outside"),
    "an absolute app path": ({}, "/etc"),
    "an app path that is a symlink outside": ({"app": ""}, "app"),
}


@pytest.mark.parametrize(("links", "path"), DIRECTORY_PATHS.values(), ids=list(DIRECTORY_PATHS))
def test_directory_apps_never_leave_the_repository(
    links: dict[str, str],
    path: str,
    outside: Path,
    repo: Any,
    make_app: Any,
    render: Any,
    link: Any,
) -> None:
    files: dict[str, Any] = {"keep.yaml": CM}
    for name, target in links.items():
        files[name] = link(str(outside / target))
    provider, _ = repo(files)
    refuses(render, make_app(source={"path": path}), provider)


# Kustomize bases and resources (the Flux CVE-2022-24877 class as well).
KUSTOMIZATIONS = {
    "a base directory above the repository": (
        {"app/kustomization.yaml": "resources:\n- ../../outside\n"},
        UnsafePathError,
    ),
    "a symlinked resource": (
        {"app/kustomization.yaml": "resources:\n- leak.yaml\n", "app/leak.yaml": "LINK"},
        UnsafePathError,
    ),
    "a symlink anywhere in a kustomization root": (
        {
            "app/kustomization.yaml": "resources:\n- cm.yaml\n",
            "app/cm.yaml": CM,
            "app/data/leak.txt": "LINK",
        },
        UnsafePathError,
    ),
    "a patch file above the repository": (
        {
            "app/kustomization.yaml": (
                "resources:\n- cm.yaml\npatches:\n- path: ../../outside/secret.yaml\n"
            ),
            "app/cm.yaml": CM,
        },
        UnsafePathError,
    ),
    "a generator file above the repository": (
        {
            "app/kustomization.yaml": (
                "configMapGenerator:\n- name: g\n  files:\n  - k=../../outside/secret.yaml\n"
            )
        },
        UnsafePathError,
    ),
    "an absolute base directory": (
        {"app/kustomization.yaml": "resources:\n- OUTSIDE\n"},
        UnsafePathError,
    ),
    "a remote base": (
        {"app/kustomization.yaml": "resources:\n- https://github.com/example/repo//base?ref=v1\n"},
        RenderError,
    ),
}


@pytest.mark.parametrize(("files", "error"), KUSTOMIZATIONS.values(), ids=list(KUSTOMIZATIONS))
def test_kustomize_reads_only_the_repository(
    files: dict[str, Any],
    error: type[Exception],
    outside: Path,
    repo: Any,
    make_app: Any,
    render: Any,
    link: Any,
    kubectl: str,
) -> None:
    resolved = {
        k: link(str(outside / "secret.yaml")) if v == "LINK" else v.replace("OUTSIDE", str(outside))
        for k, v in files.items()
    }
    provider, _ = repo(resolved)
    refuses(render, make_app(source={"path": "app"}), provider, error)


def test_kustomize_components_from_the_app_are_checked_too(
    outside: Path, repo: Any, make_app: Any, render: Any, kubectl: str
) -> None:
    provider, _ = repo({"app/kustomization.yaml": "resources:\n- cm.yaml\n", "app/cm.yaml": CM})
    app = make_app(source={"path": "app", "kustomize": {"components": ["../../outside"]}})
    refuses(render, app, provider)


# Row 5 (CVE-2022-31016): memory DoS through huge manifests.
def test_helm_output_is_capped(repo: Any, make_app: Any, render: Any, helm_sdk: Any) -> None:
    big = (
        "{{- range $i := until 2000 }}\n---\napiVersion: v1\nkind: ConfigMap\n"
        'metadata:\n  name: cm-{{ $i }}\ndata:\n  v: {{ repeat 100 "x" }}\n{{- end }}\n'
    )
    provider, _ = repo({**CHART, "chart/templates/big.yaml": big})
    with pytest.raises(RenderLimitError, match="exceed 100000 bytes"):
        render(helm_app(make_app), provider, max_manifest_bytes=100_000)


def test_kustomize_output_is_capped(repo: Any, make_app: Any, render: Any, kubectl: str) -> None:
    files = {
        f"app/cm{i}.yaml": CM.replace("name: cm", f"name: cm{i}")
        + "data:\n  v: "
        + "x" * 500
        + "\n"
        for i in range(50)
    }
    files["app/kustomization.yaml"] = "resources:\n" + "".join(f"- cm{i}.yaml\n" for i in range(50))
    provider, _ = repo(files)
    with pytest.raises(RenderLimitError, match="output exceeds 10000 bytes"):
        render(make_app(source={"path": "app"}), provider, max_manifest_bytes=10_000)


# Row 6 (CVE-2023-40584 class): too many files for a renderer to read.
@pytest.mark.parametrize("kind", ["chart", "kustomize"])
def test_file_count_is_capped_for_every_renderer(
    kind: str, repo: Any, make_app: Any, render: Any, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue("helm_sdk" if kind == "chart" else "kubectl")
    many = {f"app/files/{i}.txt": "" for i in range(30)}
    if kind == "chart":
        many |= {"app/Chart.yaml": CHART["chart/Chart.yaml"]}
    else:
        many |= {"app/kustomization.yaml": "resources: []\n"}
    provider, _ = repo(many)
    with pytest.raises(RenderLimitError, match="more than 20 files"):
        render(make_app(source={"path": "app"}), provider, max_files=20)
