"""AppProject permissions (reference 2.2-2.7, 2.10), one parametrised test per table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gitferry.model.errors import InvalidSpecError
from gitferry.model.keys import ResourceKey
from gitferry.policy.project import ClusterRef, Project
from gitferry.policy.windows import WindowTarget


def project(**spec: Any) -> Project:
    return Project.parse({"kind": "AppProject", "metadata": {"name": "p"}, "spec": spec})


GH = "https://github.com"
GL = "https://gitlab.com"
# (sourceRepos, repoURL, permitted) -- reference 2.2
SOURCE_CASES = [
    (["*"], f"{GH}/argoproj/test.git", True),
    ([f"{GH}/argoproj/test.git"], f"{GH}/argoproj/test.git", True),
    (["ssh://git@GITHUB.com:argoproj/test"], "ssh://git@github.com:argoproj/test", True),
    ([f"{GH}/argoproj/*"], f"{GH}/argoproj/argoproj.git", True),
    ([f"{GH}/test1/test.git", f"{GH}/test2/test.git"], f"{GH}/test2/test.git", True),
    ([f"{GH}/argoproj/test1.git"], f"{GH}/argoproj/test2.git", False),
    ([f"{GH}/argoproj/*.git"], f"{GH}/argoproj1/test2.git", False),
    ([f"{GH}/argoproj/foo"], f"{GH}/argoproj/foo1", False),
    ([f"{GL}/group/*"], f"{GL}/group/repo/owner", False),
    ([f"{GL}/group/*/*"], f"{GL}/group/repo/owner", True),
    ([f"{GL}/group/*/*/*"], f"{GL}/group/sub-group/repo/owner", True),
    ([f"{GL}/group/**"], f"{GL}/group/sub-group/repo/owner", True),
    ([f"!{GH}/argoproj/test.git"], f"{GH}/argoproj/test.git", False),
    ([f"!{GH}/argoproj/*"], f"{GH}/argoproj/argoproj.git", False),
    ([f"{GH}/test1/test.git", f"!{GH}/test2/test.git"], f"{GH}/test2/test.git", False),
    ([f"!{GH}/argoproj/foo*"], f"{GH}/argoproj/foo1", False),
    ([f"!{GL}/group/**"], f"{GL}/group/sub-group/repo/owner", False),
    ([f"{GH}/argoproj/test1.git", "*"], f"{GH}/argoproj/test2.git", True),
    ([f"!{GH}/argoproj/*.git", "*"], f"{GH}/argoproj1/test2.git", True),
    ([f"!{GH}/other/*"], f"{GH}/argoproj/test.git", True),  # a missing deny is a match
    (["*", f"!{GH}/argoproj/*"], f"{GH}/argoproj/x.git", False),  # deny wins in any order
    ([], f"{GH}/argoproj/test.git", False),
]


@pytest.mark.parametrize(
    ("repos", "url", "expected"), SOURCE_CASES, ids=[f"{r}~{u}" for r, u, _ in SOURCE_CASES]
)
def test_permits_source(repos: list[str], url: str, expected: bool) -> None:
    assert project(sourceRepos=repos).permits_source(url) is expected


# (sourceNamespaces, app namespace, permitted) -- reference 2.3, control plane `argocd`
NAMESPACE_CASES = [
    (["other-ns"], "argocd", True),
    (["other-ns"], "", True),
    ([], "some-ns", False),
    (["some-ns"], "some-ns", True),
    (["some-ns"], "other-ns", False),
    (["some-*"], "some-ns1", True),
    (["some-*"], "some-ns2", True),
    (["some-*"], "someotherns", False),
    (["/^team-[0-9]+$/"], "team-42", True),
]


@pytest.mark.parametrize(("namespaces", "app_ns", "expected"), NAMESPACE_CASES)
def test_permits_app_namespace(namespaces: list[str], app_ns: str, expected: bool) -> None:
    assert project(sourceNamespaces=namespaces).permits_app_namespace(app_ns, "argocd") is expected


K8S = "https://kubernetes.default.svc"


def dest(server: str = "", namespace: str = "", name: str = "") -> dict[str, str]:
    return {"server": server, "namespace": namespace, "name": name}


# (destinations, (server, name, namespace), permitted) -- reference 2.4
DESTINATION_CASES: list[tuple[list[dict[str, str]], tuple[str, str, str], bool]] = [
    ([dest(K8S, "default")], (K8S, "", "default"), True),
    ([dest(K8S, "default")], (K8S, "", "kube-system"), False),
    ([dest("https://my-cluster", "default")], (K8S, "", "default"), False),
    ([dest(K8S, "*")], (K8S, "", "kube-system"), True),
    ([dest("https://*.default.svc", "default")], (K8S, "", "default"), True),
    ([dest("https://team1-*", "default")], ("https://test2-dev-cluster", "", "default"), False),
    ([dest(K8S, "test-*")], (K8S, "", "test-foo"), True),
    ([dest(K8S, "test-*")], (K8S, "", "test"), False),
    ([dest("*", "*")], ("https://anything", "", "anything"), True),
    ([dest("", "*", "test")], ("", "test", "test"), True),
    ([dest("", "*", "test2")], ("", "test", "test"), False),
    (
        [dest(K8S, "!{kube-system,argocd}", "host-cluster"), dest("https://eks", "*")],
        ("https://eks", "", "kube-system"),
        True,
    ),
    ([dest(f"!{K8S}", "default")], (K8S, "", "default"), False),
    ([dest(K8S, "!default")], (K8S, "", "kube-system"), True),
    ([dest("!https://my-cluster", "default")], (K8S, "", "default"), True),
    ([dest(f"!{K8S}", "*")], (K8S, "", "kube-system"), False),
    ([dest("!https://team1-*", "default")], ("https://test2-dev-cluster", "", "default"), True),
    ([dest(K8S, "!test-*")], (K8S, "", "test-foo"), False),
    ([dest(K8S, "!test-*")], (K8S, "", "test"), True),
    ([dest("", "*", "!test")], ("", "test", "test"), False),
    ([dest("", "*", "!test2")], ("", "test", "test"), True),
    ([dest("*", "kube-system"), dest("*", "!kube-system")], (K8S, "", "kube-system"), False),
    ([dest("*", "*"), dest("*", "!kube-system")], (K8S, "", "kube-system"), False),
    ([dest(K8S, "*"), dest(f"!{K8S}", "*")], (K8S, "", "default"), False),
    ([dest("*", "*"), dest(f"!{K8S}", "kube-system")], (K8S, "", "kube-system"), False),
    (
        [dest("*", "*"), dest(f"!{K8S}", "kube-system"), dest("*", "!kube-system")],
        (K8S, "", "default"),
        True,
    ),
    (
        [dest("*", "*"), dest(f"!{K8S}", "kube-system"), dest("*", "!kube-system")],
        ("https://test-dev-cluster", "", "kube-system"),
        False,
    ),
    ([dest("", "*", "test"), dest("", "*", "!test")], ("", "test", "test"), False),
    (
        [dest("*", "test"), dest("!https://test-server", "other")],
        ("https://test-server", "", "test"),
        True,
    ),
    (
        [dest("*", "*"), dest("https://test-server", "!other")],
        ("https://other-test-server", "", "other"),
        True,
    ),
    ([dest("*", "*")], ("", "", "default"), False),  # a cluster that did not resolve
]


@pytest.mark.parametrize(
    ("destinations", "target", "expected"),
    DESTINATION_CASES,
    ids=[f"{[tuple(d.values()) for d in ds]}~{t}" for ds, t, _ in DESTINATION_CASES],
)
def test_permits_destination(
    destinations: list[dict[str, str]], target: tuple[str, str, str], expected: bool
) -> None:
    server, name, namespace = target
    cluster = ClusterRef(server=server, name=name)
    assert project(destinations=destinations).permits_destination(cluster, namespace) is expected


SCOPED = [ClusterRef(server="https://my-cluster.123.com", name="some-other-server")]
# (destination entry, cluster, permitted) -- permitOnlyProjectScopedClusters
SCOPED_CASES = [
    (dest("https://team1-*", "default"), ClusterRef(server="https://team1-x.com"), False),
    (dest("https://my-cluster.123.com", "default"), SCOPED[0], True),
    (dest("*", "default"), ClusterRef(server="https://some-other-cluster.example.com"), False),
    (dest("", "default", "some-other-server"), ClusterRef(name="some-other-server"), True),
]


@pytest.mark.parametrize(("entry", "cluster", "expected"), SCOPED_CASES)
def test_permit_only_project_scoped_clusters(
    entry: dict[str, str], cluster: ClusterRef, expected: bool
) -> None:
    scoped = project(destinations=[entry], permitOnlyProjectScopedClusters=True)
    assert scoped.permits_destination(cluster, "default", project_clusters=SCOPED) is expected


def rule(group: str, kind: str, name: str = "") -> dict[str, str]:
    return {"group": group, "kind": kind, **({"name": name} if name else {})}


# (spec, (group, kind, name, namespaced), denied by) -- reference 2.5
RESOURCE_CASES: list[tuple[dict[str, Any], tuple[str, str, str, bool], str | None]] = [
    (
        {
            "namespaceResourceWhitelist": [],
            "namespaceResourceBlacklist": [rule("apps", "Deployment")],
        },
        ("apps", "ReplicaSet", "x", True),
        "namespaceResourceWhitelist",
    ),
    (
        {
            "namespaceResourceWhitelist": [],
            "namespaceResourceBlacklist": [rule("apps", "Deployment")],
        },
        ("apps", "Deployment", "x", True),
        "namespaceResourceWhitelist",
    ),
    (
        {
            "namespaceResourceWhitelist": [rule("apps", "ReplicaSet")],
            "namespaceResourceBlacklist": [rule("apps", "Deployment")],
        },
        ("apps", "ReplicaSet", "x", True),
        None,
    ),
    (
        {
            "namespaceResourceWhitelist": [rule("apps", "ReplicaSet")],
            "namespaceResourceBlacklist": [rule("apps", "Deployment")],
        },
        ("apps", "Action", "x", True),
        "namespaceResourceWhitelist",
    ),
    (
        {"clusterResourceBlacklist": [rule("", "Namespace")]},
        ("", "Namespace", "x", False),
        "clusterResourceWhitelist",
    ),
    (
        {
            "clusterResourceWhitelist": [rule("*", "*")],
            "clusterResourceBlacklist": [rule("*", "*")],
        },
        ("", "Namespace", "x", False),
        "clusterResourceBlacklist",
    ),
    (
        {
            "clusterResourceWhitelist": [rule("*", "*")],
            "clusterResourceBlacklist": [rule("*", "*")],
        },
        ("apps", "Action", "x", True),
        None,
    ),
    (
        {"clusterResourceWhitelist": [], "namespaceResourceWhitelist": [rule("*", "*")]},
        ("", "Namespace", "x", False),
        "clusterResourceWhitelist",
    ),
    (
        {"clusterResourceWhitelist": [], "namespaceResourceWhitelist": [rule("*", "*")]},
        ("apps", "Action", "x", True),
        None,
    ),
    ({}, ("", "Namespace", "x", False), "clusterResourceWhitelist"),
    ({}, ("apps", "Action", "x", True), None),
    (
        {"clusterResourceWhitelist": [rule("", "Namespace", "team1-*")]},
        ("", "Namespace", "other-namespace", False),
        "clusterResourceWhitelist",
    ),
    (
        {"clusterResourceWhitelist": [rule("", "Namespace", "team1-*")]},
        ("", "Namespace", "team1-namespace", False),
        None,
    ),
    (
        {"namespaceResourceWhitelist": [rule("", "ConfigMap")]},
        ("apps", "ConfigMap", "x", True),
        "namespaceResourceWhitelist",  # group '' is the core group only
    ),
    (
        {"namespaceResourceBlacklist": [rule("*", "Secret")]},
        ("", "Secret", "x", True),
        "namespaceResourceBlacklist",  # '*' includes the core group
    ),
]


@pytest.mark.parametrize(
    ("spec", "resource", "denied_by"),
    RESOURCE_CASES,
    ids=[f"{list(s)}~{r}" for s, r, _ in RESOURCE_CASES],
)
def test_resource_kind_restrictions(
    spec: dict[str, Any], resource: tuple[str, str, str, bool], denied_by: str | None
) -> None:
    subject = project(**spec)
    assert subject.resource_denial(*resource) == denied_by
    assert subject.permits_resource(*resource) is (denied_by is None)


# (ignore rules, key, ignored) -- reference 2.6
ORPHAN_CASES = [
    ([], ResourceKey("", "Service", "default", "kubernetes"), True),
    ([], ResourceKey("", "Service", "shop", "kubernetes"), False),
    ([], ResourceKey("", "ServiceAccount", "shop", "default"), True),
    ([], ResourceKey("", "ConfigMap", "shop", "kube-root-ca.crt"), True),
    ([rule("apps", "ReplicaSet", "*")], ResourceKey("apps", "ReplicaSet", "shop", "r"), True),
    ([{"kind": "ConfigMap"}], ResourceKey("", "ConfigMap", "shop", "x"), True),
    ([{"kind": "ConfigMap"}], ResourceKey("x.io", "ConfigMap", "shop", "x"), False),
    ([{"group": "*", "name": "tmp-*"}], ResourceKey("a.io", "Thing", "shop", "tmp-1"), True),
    ([{"group": "*", "name": "tmp-*"}], ResourceKey("a.io", "Thing", "shop", "keep"), False),
]


@pytest.mark.parametrize(("ignore", "key", "expected"), ORPHAN_CASES)
def test_orphan_ignore_rules(
    ignore: list[dict[str, str]], key: ResourceKey, expected: bool
) -> None:
    subject = project(orphanedResources={"warn": True, "ignore": ignore})
    assert subject.orphan_ignored(key) is expected


def test_orphaned_resources_absent_means_no_monitoring_and_empty_means_no_warning() -> None:
    assert project().orphaned_resources is None
    monitored = project(orphanedResources={}).orphaned_resources
    assert monitored is not None and not monitored.warn


def test_global_project_lists_are_appended_and_nil_stays_nil() -> None:
    base = project(sourceRepos=["https://a/*"], namespaceResourceWhitelist=[])
    glob = project(sourceRepos=["https://b/*"], clusterResourceWhitelist=[rule("", "Namespace")])
    merged = base.with_global(glob)
    assert merged.source_repos == ("https://a/*", "https://b/*")
    assert merged.namespace_resource_whitelist == ()  # present-empty stays present
    assert merged.namespace_resource_blacklist is None  # absent + absent stays absent
    assert merged.permits_resource("", "Namespace", "n", False)


def test_scoped_repositories_and_clusters_extend_the_project() -> None:
    extended = project().extended(
        source_repos=["https://scoped/r"], clusters=[("https://c", ()), ("https://d", ["a"])]
    )
    assert extended.permits_source("https://scoped/r")
    assert extended.permits_destination(ClusterRef(server="https://c"), "any")
    assert extended.permits_destination(ClusterRef(server="https://d"), "a")
    assert not extended.permits_destination(ClusterRef(server="https://d"), "b")


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"kind": "Application", "metadata": {"name": "x"}}, "expected kind AppProject"),
        ({"kind": "AppProject", "metadata": {}}, "metadata.name is required"),
        (
            {"metadata": {"name": "p"}, "spec": {"sourceRepos": "*"}},
            "project p: spec.sourceRepos: must be a list",
        ),
        (
            {"metadata": {"name": "p"}, "spec": {"destinations": ["x"]}},
            "spec.destinations: must be a list of objects",
        ),
    ],
)
def test_unreadable_projects_raise_naming_the_field(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSpecError, match=message):
        Project.parse(obj)


def test_global_windows_are_appended_and_decided_with_the_projects_own() -> None:
    def windows(schedule: str) -> list[dict[str, Any]]:
        return [{"kind": "allow", "schedule": schedule, "duration": "1h", "clusters": ["*"]}]

    own = project(syncWindows=windows("0 12 * * *"))
    merged = own.with_global(project(syncWindows=windows("0 0 1 1 1")))
    target = WindowTarget("web", "shop", "https://c")
    noon = datetime(2024, 3, 6, 12, 30, tzinfo=UTC)
    assert [w.index for w in merged.sync_windows.windows] == [0, 0]
    assert merged.sync_windows.can_sync(target, manual=False, now=noon).allowed
    assert not merged.sync_windows.can_sync(target, manual=False, now=noon.replace(hour=15)).allowed
