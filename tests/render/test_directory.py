"""Directory apps (reference 1.5): which files are read, how they are parsed, and the errors
that name the file and line."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.model.errors import ManifestError, RenderError, RenderLimitError


def cm(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def cm_json(name: str) -> str:
    return f'{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "{name}"}}}}'


# id -> (files under app/, directory options, expected ConfigMap names in order)
SELECTION = {
    "top level only by default": (
        {"a.yaml": cm("a"), "sub/b.yaml": cm("b")},
        None,
        ["a"],
    ),
    "recurse walks sub-directories in lexical order": (
        {"b.yaml": cm("b"), "a/z.yaml": cm("az"), "c.yml": cm("c")},
        {"recurse": True},
        ["az", "b", "c"],
    ),
    "yaml, yml and json only": (
        {"a.yaml": cm("a"), "b.yml": cm("b"), "c.json": cm_json("c"), "d.txt": cm("d")},
        None,
        ["a", "b", "c"],
    ),
    "extension match is case-sensitive": (
        {"a.YAML": cm("a"), "b.yaml": cm("b")},
        None,
        ["b"],
    ),
    "libsonnet is never a manifest": (
        {"lib.libsonnet": "{}", "a.yaml": cm("a")},
        None,
        ["a"],
    ),
    "exclude drops matches": (
        {"a.yaml": cm("a"), "b.yaml": cm("b")},
        {"exclude": "b.yaml"},
        ["a"],
    ),
    "include keeps only matches": (
        {"a.yaml": cm("a"), "b.json": cm_json("b")},
        {"include": "*.json"},
        ["b"],
    ),
    "star crosses directories": (
        {"x/deep/a.yaml": cm("a"), "b.yaml": cm("b")},
        {"recurse": True, "include": "x/*.yaml"},
        ["a"],
    ),
    "alternatives": (
        {"a.yaml": cm("a"), "b.yaml": cm("b"), "c.yaml": cm("c")},
        {"include": "{a,c}.yaml"},
        ["a", "c"],
    ),
    "exclude is applied before include": (
        {"a.yaml": cm("a"), "b.yaml": cm("b")},
        {"include": "*.yaml", "exclude": "a.yaml"},
        ["b"],
    ),
    "multi-document files and empty documents": (
        {"a.yaml": f"---\n{cm('a1')}---\n\n---\n{cm('a2')}"},
        None,
        ["a1", "a2"],
    ),
    "lists are flattened and null lists dropped": (
        {
            "a.yaml": "apiVersion: v1\nkind: ConfigMapList\nitems:\n"
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: i1\n",
            "b.yaml": "apiVersion: v1\nkind: ConfigMapList\nitems: null\n",
        },
        None,
        ["i1"],
    ),
    "a YAML file that is not a manifest is ignored": (
        {"values.yaml": "replicas: 3\nimage: nginx\n", "a.yaml": cm("a")},
        None,
        ["a"],
    ),
    "unparseable YAML that does not look like a manifest is ignored": (
        {"notes.yaml": "key: [unclosed\n", "a.yaml": cm("a")},
        None,
        ["a"],
    ),
    "the skip marker skips a file": (
        {"a.yaml": "# +argocd:skip-file-rendering\n" + cm("a"), "b.yaml": cm("b")},
        None,
        ["b"],
    ),
    "a skipped jsonnet file is no error": (
        {"a.jsonnet": "// +argocd:skip-file-rendering\n{}", "b.yaml": cm("b")},
        None,
        ["b"],
    ),
    "symlinks inside the repository are followed": (
        {"a.yaml": cm("a"), "link.yaml": ("link", "../shared/s.yaml")},
        None,
        ["a", "s"],
    ),
    "dangling symlinks are skipped": (
        {"a.yaml": cm("a"), "gone.yaml": ("link", "nowhere.yaml")},
        None,
        ["a"],
    ),
    "symlinked directories are not entered": (
        {"a.yaml": cm("a"), "linked": ("link", "../shared")},
        {"recurse": True},
        ["a"],
    ),
}


def _files(app_files: dict[str, Any], link: Any) -> dict[str, Any]:
    files: dict[str, Any] = {"shared/s.yaml": cm("s")}
    for name, content in app_files.items():
        is_link = isinstance(content, tuple)
        files[f"app/{name}"] = link(content[1]) if is_link else content
    return files


@pytest.mark.parametrize(
    ("files", "directory", "expected"), SELECTION.values(), ids=list(SELECTION)
)
def test_directory_selection(
    files: dict[str, Any],
    directory: dict[str, Any] | None,
    expected: list[str],
    repo: Any,
    make_app: Any,
    render: Any,
    link: Any,
) -> None:
    provider, _ = repo(_files(files, link))
    source: dict[str, Any] = {"path": "app"}
    if directory:
        source["directory"] = directory
    result = render(make_app(source=source), provider)
    assert [m["metadata"]["name"] for m in result.manifests] == expected
    assert result.source_types == ["Directory"]


# id -> (files under app/, error type, message pattern)
ERRORS = {
    "malformed YAML names file and line": (
        {"good.yaml": cm("a"), "bad.yaml": cm("b") + "  labels: [x\nspec: {\n"},
        ManifestError,
        r"^app app: app/bad\.yaml:\d+: malformed YAML",
    ),
    "a broken manifest-looking file is an error": (
        {"bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n"},
        ManifestError,
        r"app/bad\.yaml:4: malformed YAML",
    ),
    "a bad document after a good one is an error": (
        {"a.yaml": cm("a") + "---\njust: values\n"},
        ManifestError,
        r"app/a\.yaml: document 2 has no kind",
    ),
    "a JSON file holds exactly one object": (
        {"a.json": cm_json("a") + cm_json("b")},
        ManifestError,
        r"app/a\.json: found multiple objects",
    ),
    "a JSON file must be a manifest": (
        {"package.json": '{"name": "x"}'},
        ManifestError,
        r"app/package\.json: document 1 has no kind",
    ),
    "malformed JSON names the line": (
        {"a.json": '{\n"kind": "ConfigMap",\n}'},
        ManifestError,
        r"app/a\.json:2: malformed JSON: trailing comma",
    ),
    "jsonnet is not supported yet": (
        {"a.jsonnet": "{}"},
        RenderError,
        r"jsonnet is not supported yet: app/a\.jsonnet",
    ),
}


@pytest.mark.parametrize(("files", "error", "pattern"), ERRORS.values(), ids=list(ERRORS))
def test_directory_errors(
    files: dict[str, Any],
    error: type[Exception],
    pattern: str,
    repo: Any,
    make_app: Any,
    render: Any,
    link: Any,
) -> None:
    provider, _ = repo(_files(files, link))
    with pytest.raises(error, match=pattern):
        render(make_app(source={"path": "app"}), provider)


def test_yaml_values_keep_their_text(repo: Any, make_app: Any, render: Any) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  day: 2024-01-02\n"
    provider, _ = repo({"app/a.yaml": text})
    result = render(make_app(source={"path": "app"}), provider)
    assert result.manifests[0]["data"]["day"] == "2024-01-02"


def test_combined_size_is_capped(repo: Any, make_app: Any, render: Any) -> None:
    provider, _ = repo({"app/a.yaml": cm("a") + "data:\n  x: " + "y" * 2000 + "\n"})
    with pytest.raises(RenderLimitError, match="exceed 1000 bytes combined"):
        render(make_app(source={"path": "app"}), provider, max_manifest_bytes=1000)


def test_file_count_is_capped(repo: Any, make_app: Any, render: Any) -> None:
    provider, _ = repo({f"app/{i}.txt": "" for i in range(20)})
    with pytest.raises(RenderLimitError, match="more than 10 files"):
        render(make_app(source={"path": "app"}), provider, max_files=10)
