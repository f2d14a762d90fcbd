"""What an AppProject refuses of one Application: typed reasons that name the rule and the
value, worded as Argo CD words them (reference 2.2-2.5).

* Spec stage (Argo CD: an `InvalidSpecError` condition, no sync): the app's namespace
  (`application '<app>' in namespace '<ns>' is not permitted to use project '<p>'`), each
  source repo (`application repo <url> is not permitted in project '<p>'`), the destination
  (`application destination server '<s>' and namespace '<ns>' do not match any of the
  allowed destinations in project '<p>'`).
* Sync stage (Argo CD: the sync of that resource fails): each rendered resource's kind
  (`resource <group>:<kind> is not permitted in project <p>`), then for namespaced ones the
  namespace (`namespace <ns> is not permitted in project '<p>'`). One entry per message.

Pure; called by the controller (conditions, the sync's permission check) and by
`gitferry proj check`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gitferry.model.application import Application
from gitferry.model.keys import ResourceKey
from gitferry.policy.project import ClusterRef, Project


class Rule(StrEnum):
    """The AppProject field a violation is against."""

    SOURCE_NAMESPACES = "sourceNamespaces"
    SOURCE_REPOS = "sourceRepos"
    DESTINATIONS = "destinations"
    CLUSTER_RESOURCE_WHITELIST = "clusterResourceWhitelist"
    CLUSTER_RESOURCE_BLACKLIST = "clusterResourceBlacklist"
    NAMESPACE_RESOURCE_WHITELIST = "namespaceResourceWhitelist"
    NAMESPACE_RESOURCE_BLACKLIST = "namespaceResourceBlacklist"


class Stage(StrEnum):
    SPEC = "spec"  # the app cannot sync at all: InvalidSpecError condition
    SYNC = "sync"  # this resource is refused when the sync applies it


@dataclass(frozen=True)
class Violation:
    """One refusal: the rule, the value it refused, Argo CD's message."""

    rule: Rule
    value: str
    message: str
    stage: Stage
    resource: ResourceKey | None = None

    @property
    def condition_type(self) -> str:
        return "InvalidSpecError" if self.stage is Stage.SPEC else "SyncError"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": str(self.rule),
            "value": self.value,
            "message": self.message,
            "stage": str(self.stage),
        }
        if self.resource is not None:
            out["resource"] = str(self.resource)
        return out


def violations(
    project: Project,
    app: Application,
    resources: Iterable[tuple[ResourceKey, bool]] = (),
    *,
    control_namespace: str,
    cluster: ClusterRef | None = None,
    project_clusters: Sequence[ClusterRef] = (),
) -> list[Violation]:
    """Everything `project` refuses of `app` and its rendered `resources` (key and whether
    the kind is namespaced). `cluster` is the resolved destination cluster (default: the
    server and name written in the app)."""
    found: list[Violation] = []
    name = project.name
    if not project.permits_app_namespace(app.namespace, control_namespace):
        found.append(
            Violation(
                Rule.SOURCE_NAMESPACES,
                app.namespace,
                f"application '{app.name}' in namespace '{app.namespace}' is not permitted "
                f"to use project '{name}'",
                Stage.SPEC,
            )
        )
    for source in app.sources:
        if not project.permits_source(source.repo_url):
            found.append(
                Violation(
                    Rule.SOURCE_REPOS,
                    source.repo_url,
                    f"application repo {source.repo_url} is not permitted in project '{name}'",
                    Stage.SPEC,
                )
            )
    dest = app.destination
    target = cluster or ClusterRef(server=dest.server, name=dest.name)
    if not project.permits_destination(target, dest.namespace, project_clusters=project_clusters):
        where = (
            f"server '{target.server}'"
            if target.server or not target.name
            else f"name '{target.name}'"
        )
        found.append(
            Violation(
                Rule.DESTINATIONS,
                f"{target.server or target.name}/{dest.namespace}",
                f"application destination {where} and namespace '{dest.namespace}' do not "
                f"match any of the allowed destinations in project '{name}'",
                Stage.SPEC,
            )
        )
    seen: set[str] = set()
    for key, namespaced in resources:
        violation = _resource_violation(project, key, namespaced, target, project_clusters)
        if violation is not None and violation.message not in seen:
            seen.add(violation.message)
            found.append(violation)
    return found


def _resource_violation(
    project: Project,
    key: ResourceKey,
    namespaced: bool,
    cluster: ClusterRef,
    project_clusters: Sequence[ClusterRef],
) -> Violation | None:
    denial = project.resource_denial(key.group, key.kind, key.name, namespaced)
    if denial is not None:
        return Violation(
            Rule(denial),
            f"{key.group}/{key.kind}" + ("" if namespaced else f" {key.name}"),
            f"resource {key.group}:{key.kind} is not permitted in project {project.name}",
            Stage.SYNC,
            key,
        )
    if namespaced and not project.permits_destination(
        cluster, key.namespace, project_clusters=project_clusters
    ):
        return Violation(
            Rule.DESTINATIONS,
            key.namespace,
            f"namespace {key.namespace} is not permitted in project '{project.name}'",
            Stage.SYNC,
            key,
        )
    return None
