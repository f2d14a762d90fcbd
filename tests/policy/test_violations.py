"""What a project refuses of an app, as typed reasons worded like Argo CD (reference 2.2-2.5),
and the `ValidateProject` problems of a readable project (2.11)."""

from __future__ import annotations

from typing import Any

from gitferry.model.application import Application
from gitferry.model.keys import ResourceKey
from gitferry.policy import validation
from gitferry.policy.project import ClusterRef, Project
from gitferry.policy.violations import Rule, Stage, violations

K8S = "https://kubernetes.default.svc"
PROJECT = Project.parse(
    {
        "kind": "AppProject",
        "metadata": {"name": "team"},
        "spec": {
            "sourceRepos": ["https://git.example/team/*"],
            "sourceNamespaces": ["team-*"],
            "destinations": [{"server": K8S, "namespace": "team-*"}],
            "namespaceResourceWhitelist": [{"group": "apps", "kind": "Deployment"}],
        },
    }
)


def app(repo: str = "https://git.example/team/web.git", **meta: Any) -> Application:
    return Application.parse(
        {
            "kind": "Application",
            "metadata": {"name": "web", "namespace": "argocd", **meta},
            "spec": {
                "project": "team",
                "source": {"repoURL": repo, "path": "app"},
                "destination": {"server": K8S, "namespace": "team-a"},
            },
        }
    )


def test_a_permitted_app_has_no_violations() -> None:
    rendered = [(ResourceKey("apps", "Deployment", "team-a", "web"), True)]
    assert violations(PROJECT, app(), rendered, control_namespace="argocd") == []


def test_spec_violations_name_rule_value_and_use_argo_wording() -> None:
    bad = Application.parse(
        {
            "kind": "Application",
            "metadata": {"name": "web", "namespace": "elsewhere"},
            "spec": {
                "source": {"repoURL": "https://git.example/other/web.git", "path": "app"},
                "destination": {"server": K8S, "namespace": "kube-system"},
            },
        }
    )
    found = violations(PROJECT, bad, control_namespace="argocd")
    assert [(v.rule, v.value, v.stage) for v in found] == [
        (Rule.SOURCE_NAMESPACES, "elsewhere", Stage.SPEC),
        (Rule.SOURCE_REPOS, "https://git.example/other/web.git", Stage.SPEC),
        (Rule.DESTINATIONS, f"{K8S}/kube-system", Stage.SPEC),
    ]
    assert [v.message for v in found] == [
        "application 'web' in namespace 'elsewhere' is not permitted to use project 'team'",
        "application repo https://git.example/other/web.git is not permitted in project 'team'",
        f"application destination server '{K8S}' and namespace 'kube-system' do not match any "
        "of the allowed destinations in project 'team'",
    ]
    assert {v.condition_type for v in found} == {"InvalidSpecError"}


def test_resource_violations_name_the_list_and_are_reported_once_per_message() -> None:
    rendered = [
        (ResourceKey("", "ConfigMap", "team-a", "one"), True),
        (ResourceKey("", "ConfigMap", "team-a", "two"), True),
        (ResourceKey("", "Namespace", "", "team-a"), False),
        (ResourceKey("apps", "Deployment", "kube-system", "web"), True),
    ]
    found = violations(PROJECT, app(), rendered, control_namespace="argocd")
    assert [(v.rule, v.value, v.message) for v in found] == [
        (
            Rule.NAMESPACE_RESOURCE_WHITELIST,
            "/ConfigMap",
            "resource :ConfigMap is not permitted in project team",
        ),
        (
            Rule.CLUSTER_RESOURCE_WHITELIST,
            "/Namespace team-a",
            "resource :Namespace is not permitted in project team",
        ),
        (
            Rule.DESTINATIONS,
            "kube-system",
            "namespace kube-system is not permitted in project 'team'",
        ),
    ]
    assert all(v.stage is Stage.SYNC for v in found)
    assert found[0].as_dict()["resource"] == "/ConfigMap/team-a/one"


def test_destination_is_checked_against_the_resolved_cluster() -> None:
    by_name = Project.parse(
        {
            "metadata": {"name": "p"},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"name": "in-cluster", "namespace": "*"}],
            },
        }
    )
    resolved = ClusterRef(server=K8S, name="in-cluster")
    assert violations(by_name, app(), control_namespace="argocd", cluster=resolved) == []
    [unresolved] = violations(by_name, app(), control_namespace="argocd")
    assert unresolved.rule is Rule.DESTINATIONS


def test_validation_problems_name_field_and_value() -> None:
    messy = Project.parse(
        {
            "metadata": {"name": "p"},
            "spec": {
                "sourceRepos": ["!*", "https://a", "https://a"],
                "sourceNamespaces": ["x", "x"],
                "destinations": [
                    {"server": "!*", "namespace": "a"},
                    {"server": K8S, "namespace": "b"},
                    {"server": K8S, "namespace": "b"},
                ],
                "roles": [{"name": "-bad"}, {"name": "ok"}, {"name": "ok"}],
                "syncWindows": [
                    {"kind": "deny", "schedule": "0 1 * * *", "duration": "1h", "clusters": ["*"]},
                    {"kind": "deny", "schedule": "0 1 * * *", "duration": "1h", "clusters": ["*"]},
                    {"kind": "deny", "schedule": "0 1 * * *", "duration": "1x", "clusters": ["*"]},
                ],
            },
        }
    )
    assert validation.problems(messy) == [
        "sourceRepos: source repository has an invalid format, '!*'",
        "sourceRepos: source repository 'https://a' already added",
        "sourceNamespaces: source namespace 'x' already added",
        "destinations: server has an invalid format, '!*'",
        f"destinations: destination '{K8S}/b' already added",
        "roles: invalid role name '-bad': use letters, digits, '-' and '_', starting and "
        "ending with a letter or digit",
        "roles: role 'ok' already added",
        "syncWindows[2] (deny): cannot parse duration '1x': time: unknown unit \"x\" in "
        'duration "1x"',
        "syncWindows[1] (deny): duplicates syncWindows[0]",
    ]
