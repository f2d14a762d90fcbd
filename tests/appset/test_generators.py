"""The list, clusters and git generators: the parameter sets each spec gives, in both modes
(tables from reference/argocd-policy.md section 5.3 and Argo CD's generator tests)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from gitferry.appset import generate
from gitferry.appset.errors import ParamsGenerationError
from gitferry.source.repositories import Resolved

SHA = "a" * 40


class Repo:
    """A GitReader over an in-memory tree (the seam the controller fills with Repositories)."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    async def resolve(self, url: str, revision: str = "HEAD") -> Resolved:
        return Resolved(SHA)

    async def list_paths(self, url: str, sha: str, prefix: str = "") -> list[str]:
        return sorted(self.files)

    async def read_file(self, url: str, sha: str, path: str) -> bytes:
        return self.files[path].encode()


def params(generator: dict[str, Any], *, go: bool = False, **kwargs: Any) -> list[dict[str, Any]]:
    appset = {
        "metadata": {"name": "set", "namespace": "argocd"},
        "spec": {"goTemplate": go, "generators": [generator], "template": {}},
    }
    result = asyncio.run(generate.generate(appset, **kwargs))
    return [p.params for p in result.parameters]


def secret(name: str, server: str, labels: dict[str, str] | None = None, **extra: Any) -> dict:
    data = {"name": name, "server": server, **extra}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"cluster-{name.lower()}",
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "cluster", **(labels or {})},
            "annotations": {"owner": "team-a"},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


CLUSTERS = [
    secret("prod-east", "https://prod-east:6443", {"env": "production"}, project="apps"),
    secret("Staging_1", "https://staging:6443", {"env": "staging"}),
]

LIST_CASES = {
    "fasttemplate strings": (
        {"list": {"elements": [{"cluster": "dev", "url": "https://a"}, {"cluster": "prod"}]}},
        False,
        [{"cluster": "dev", "url": "https://a"}, {"cluster": "prod"}],
    ),
    "fasttemplate values map flattened": (
        {"list": {"elements": [{"cluster": "dev", "values": {"size": "3"}}]}},
        False,
        [{"cluster": "dev", "values.size": "3"}],
    ),
    "goTemplate keeps nesting, numbers are float64": (
        {"list": {"elements": [{"cluster": "dev", "replicas": 3, "meta": {"on": True}}]}},
        True,
        [{"cluster": "dev", "replicas": 3.0, "meta": {"on": True}}],
    ),
    "elementsYaml appended after elements": (
        {"list": {"elements": [{"a": "1"}], "elementsYaml": "- a: '2'\n- a: '3'\n"}},
        False,
        [{"a": "1"}, {"a": "2"}, {"a": "3"}],
    ),
}


@pytest.mark.parametrize("case", LIST_CASES)
def test_list_generator(case: str) -> None:
    generator, go, expected = LIST_CASES[case]
    assert params(generator, go=go) == expected


def test_list_fasttemplate_refuses_non_string_values() -> None:
    with pytest.raises(ParamsGenerationError, match=r"generators\[0\].list: error parsing"):
        params({"list": {"elements": [{"replicas": 3}]}})


CLUSTER_CASES = {
    "every cluster, then the local one": (
        {"clusters": {}},
        False,
        [
            {
                "name": "prod-east",
                "nameNormalized": "prod-east",
                "server": "https://prod-east:6443",
                "project": "apps",
                "metadata.annotations.owner": "team-a",
                "metadata.labels.argocd.argoproj.io/secret-type": "cluster",
                "metadata.labels.env": "production",
            },
            {
                "name": "Staging_1",
                "nameNormalized": "staging-1",
                "server": "https://staging:6443",
                "project": "",
                "metadata.annotations.owner": "team-a",
                "metadata.labels.argocd.argoproj.io/secret-type": "cluster",
                "metadata.labels.env": "staging",
            },
            {
                "name": "in-cluster",
                "nameNormalized": "in-cluster",
                "server": "https://kubernetes.default.svc",
                "project": "",
            },
        ],
    ),
    "a selector drops the local cluster": (
        {"clusters": {"selector": {"matchLabels": {"env": "production"}}}},
        False,
        ["prod-east"],
    ),
    "matchExpressions NotIn": (
        {
            "clusters": {
                "selector": {
                    "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["x"]}]
                }
            }
        },
        False,
        ["prod-east", "Staging_1"],
    ),
    "values rendered against each cluster": (
        {"clusters": {"values": {"revision": "{{name}}-main", "keep": "{{ nope }}"}}},
        False,
        ["prod-east-main", "Staging_1-main", "in-cluster-main"],
    ),
}


@pytest.mark.parametrize("case", CLUSTER_CASES)
def test_clusters_generator(case: str) -> None:
    generator, go, expected = CLUSTER_CASES[case]
    found = params(generator, go=go, clusters=CLUSTERS)
    if case.startswith("values"):
        assert [p["values.revision"] for p in found] == expected
        assert {p["values.keep"] for p in found} == {"{{ nope }}"}
    elif isinstance(expected[0], str):
        assert [p["name"] for p in found] == expected
    else:
        assert found == expected


def test_clusters_go_template_shapes() -> None:
    found = params(
        {"clusters": {"values": {"env": "{{ .metadata.labels.env }}"}}}, go=True, clusters=CLUSTERS
    )
    assert found[0]["metadata"] == {
        "annotations": {"owner": "team-a"},
        "labels": {"argocd.argoproj.io/secret-type": "cluster", "env": "production"},
    }
    assert found[0]["values"] == {"env": "production"}
    assert "metadata" not in found[2] and found[2]["name"] == "in-cluster"


def test_clusters_local_cluster_not_repeated_when_a_secret_names_it() -> None:
    local = secret("in-cluster", "https://kubernetes.default.svc")
    assert [p["name"] for p in params({"clusters": {}}, clusters=[local])] == ["in-cluster"]


def test_clusters_flat_list() -> None:
    found = params({"clusters": {"flatList": True}}, go=True, clusters=CLUSTERS)
    assert len(found) == 1 and [c["name"] for c in found[0]["clusters"]] == [
        "prod-east",
        "Staging_1",
        "in-cluster",
    ]


REPO = Repo(
    {
        "app1/kustomization.yaml": "",
        "app2/a.yaml": "",
        "app_3/a.yaml": "",
        "p1/app4/a.yaml": "",
        "p1/p2/app5/a.yaml": "",
        "p1-x/a.yaml": "",
        ".github/workflows/ci.yaml": "",
        "README.md": "",
    }
)


def git_dirs(directories: list[dict[str, Any]], *, go: bool = False, **extra: Any) -> list:
    generator = {"git": {"repoURL": "https://git.example/r", "directories": directories, **extra}}
    return params(generator, go=go, git=REPO)


DIRECTORY_CASES = {
    "star does not cross slashes": ([{"path": "*"}], ["app1", "app2", "app_3", "p1", "p1-x"]),
    "two levels": ([{"path": "p1/*"}, {"path": "p1/*/*"}], ["p1/app4", "p1/p2", "p1/p2/app5"]),
    "exclude wins whatever the order": (
        [{"path": "p1/*", "exclude": True}, {"path": "*"}, {"path": "*/*"}],
        ["app1", "app2", "app_3", "p1", "p1-x"],
    ),
    "negated class is [^...]": ([{"path": "app[^1]"}], ["app2"]),
    "hidden directories are skipped": ([{"path": ".*"}, {"path": ".github/*"}], []),
    "walk order: a directory before its children and later siblings": (
        [{"path": "p1"}, {"path": "p1/*"}, {"path": "p1-x"}],
        ["p1", "p1/app4", "p1/p2", "p1-x"],
    ),
}


@pytest.mark.parametrize("case", DIRECTORY_CASES)
def test_git_directories(case: str) -> None:
    directories, expected = DIRECTORY_CASES[case]
    assert [p["path"] for p in git_dirs(directories)] == expected


def test_git_directory_parameters_fasttemplate() -> None:
    found = git_dirs([{"path": "p1/p2/*"}, {"path": "app_3"}], values={"seg": "{{path[1]}}"})
    assert found == [
        {
            "path": "app_3",
            "path.basename": "app_3",
            "path.basenameNormalized": "app-3",
            "path[0]": "app_3",
            "values.seg": "{{path[1]}}",
        },
        {
            "path": "p1/p2/app5",
            "path.basename": "app5",
            "path.basenameNormalized": "app5",
            "path[0]": "p1",
            "path[1]": "p2",
            "path[2]": "app5",
            "values.seg": "p2",
        },
    ]


def test_git_directory_parameters_go_template_with_prefix() -> None:
    found = git_dirs([{"path": "app_3"}], go=True, pathParamPrefix="repo")
    assert found == [
        {
            "repo": {
                "path": {
                    "path": "app_3",
                    "basename": "app_3",
                    "basenameNormalized": "app-3",
                    "segments": ["app_3"],
                }
            }
        }
    ]


FILES = Repo(
    {
        "cluster-config/engineering/dev/config.json": '{"cluster": {"name": "dev", "n": 3}}',
        "cluster-config/engineering/prod/config.json": '{"cluster": {"name": "prod"}}',
        "cluster-config/multi/config.yaml": "- {name: a}\n- {name: b}\n---\n- {name: ignored}\n",
        "cluster-config/empty/config.yaml": "",
        "cluster-config/skip/config.json": "{}",
        "other/config.json": "{}",
    }
)


def git_files(files: list[dict[str, Any]], *, go: bool = False, **options: Any) -> list:
    generator = {"git": {"repoURL": "https://git.example/r", "files": files}}
    extra = {"options": generate.GenerateOptions(**options)} if options else {}
    return params(generator, go=go, git=FILES, **extra)


def test_git_files_fasttemplate_flattens_and_adds_path_parameters() -> None:
    found = git_files([{"path": "cluster-config/engineering/dev/config.json"}])
    assert found == [
        {
            "cluster.name": "dev",
            "cluster.n": "3",
            "path": "cluster-config/engineering/dev",
            "path.basename": "dev",
            "path.filename": "config.json",
            "path.basenameNormalized": "dev",
            "path.filenameNormalized": "config.json",
            "path[0]": "cluster-config",
            "path[1]": "engineering",
            "path[2]": "dev",
        }
    ]


def test_git_files_go_template_keeps_objects() -> None:
    (found,) = git_files([{"path": "cluster-config/engineering/dev/config.json"}], go=True)
    assert found["cluster"] == {"name": "dev", "n": 3.0}
    assert found["path"]["segments"] == ["cluster-config", "engineering", "dev"]
    assert found["path"]["filenameNormalized"] == "config.json"


@pytest.mark.parametrize(
    ("patterns", "new_globbing", "expected"),
    [
        # default git pathspecs are greedy: * crosses directories
        ([{"path": "cluster-config/*/config.json"}], False, ["dev", "prod", "skip"]),
        ([{"path": "cluster-config/*/config.json"}], True, ["skip"]),
        ([{"path": "cluster-config/**/config.json"}], True, ["dev", "prod", "skip"]),
        (
            [{"path": "cluster-config/**"}, {"path": "cluster-config/skip/*", "exclude": True}],
            True,
            ["empty", "dev", "prod", "a", "b"],
        ),
    ],
)
def test_git_files_globbing(patterns: list, new_globbing: bool, expected: list[str]) -> None:
    found = git_files(patterns, go=True, new_git_file_globbing=new_globbing)
    names = [
        p.get("cluster", {}).get("name") or p.get("name") or p["path"]["basename"] for p in found
    ]
    assert names == expected


def test_git_files_yaml_list_first_document_and_empty_file() -> None:
    found = git_files([{"path": "cluster-config/multi/*"}, {"path": "cluster-config/empty/*"}])
    assert [p.get("name") for p in found] == [None, "a", "b"]
    assert found[0]["path"] == "cluster-config/empty"


def test_git_files_size_cap() -> None:
    with pytest.raises(ParamsGenerationError, match="over the 10-byte limit"):
        git_files([{"path": "cluster-config/engineering/*"}], max_file_bytes=10)


def test_git_files_invalid_content_names_the_file() -> None:
    bad = Repo({"a/config.yaml": "just a string"})
    generator = {"git": {"repoURL": "u", "files": [{"path": "a/*"}]}}
    with pytest.raises(ParamsGenerationError, match=r"unable to process file 'a/config\.yaml'"):
        params(generator, git=bad)
