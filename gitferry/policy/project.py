"""An AppProject as the rules read it (reference 2): an immutable `Project` parsed once from
the stored object, with the permission checks Argo CD makes.

* `permits_source(url)` (2.2): URLs normalised (`giturls`); `*` matches anything, other
  entries are globs with `/` as separator (`**` crosses it); `!` entries deny and win; a
  `!` entry that does not hit counts as a positive match.
* `permits_app_namespace(ns, control_ns)` (2.3): the control-plane namespace (or none)
  always; else `sourceNamespaces` (globs or `/regex/`).
* `permits_destination(server, name, namespace)` (2.4): the resolved cluster's server and
  name and the namespace, Argo CD's loop with `!` entries exactly; with
  `permitOnlyProjectScopedClusters` the cluster must also be one of `project_clusters`.
* `permits_resource(group, kind, name, namespaced)` (2.5), `resource_denial` naming the list
  that refuses: Go `path.Match` on group, kind (and name for cluster lists). Namespaced
  kinds pass unless a present whitelist misses (`[]` permits none, absent permits all) or
  the blacklist hits; cluster-scoped kinds need a non-empty whitelist that hits.
* `orphan_ignored(key)` (2.6): the built-in exceptions and `orphanedResources.ignore`.
* `integrity_for(url)` / `signature_key_ids(url)` (2.7): the effective source integrity.
* `with_global(p)` (2.10) and `extended(...)` (project-scoped repos and clusters) give the
  project the controller evaluates.

Shapes that cannot be read raise `InvalidSpecError`; sync windows never raise (their errors
block the apps they apply to, see `windows`); other readable-but-wrong settings are listed
by `validation.problems`. Pure; called by the controller, `violations` and `gitferry proj`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gitferry.model.errors import InvalidSpecError
from gitferry.model.keys import ResourceKey
from gitferry.policy import integrity
from gitferry.policy.giturls import normalize_git_url
from gitferry.policy.globs import glob_match, match_in_list, path_match
from gitferry.policy.windows import SyncWindows

RuleList = tuple["ResourceRule", ...]


@dataclass(frozen=True, kw_only=True)
class Destination:
    """A `spec.destinations[]` entry (globs, `!` negates)."""

    server: str = ""
    name: str = ""
    namespace: str = ""


@dataclass(frozen=True, kw_only=True)
class ClusterRef:
    """A cluster an app deploys to, resolved from its destination: server URL and name."""

    server: str = ""
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class ResourceRule:
    """A resource list or orphan-ignore entry: group, kind and (cluster lists) name."""

    group: str = ""
    kind: str = ""
    name: str = ""

    def lists(self, group: str, kind: str, name: str | None) -> bool:
        """Membership in a white/black list (`path.Match`; `name` None for namespaced)."""
        return (
            path_match(self.kind, kind)
            and path_match(self.group, group)
            and (name is None or not self.name or path_match(self.name, name))
        )


@dataclass(frozen=True, kw_only=True)
class OrphanedResources:
    """`spec.orphanedResources`: monitoring is on when present."""

    warn: bool = False
    ignore: tuple[ResourceRule, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Role:
    """A `spec.roles[]` entry (its policy lines are evaluated by the RBAC package)."""

    name: str
    description: str = ""
    policies: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Project:
    """An AppProject's rules."""

    name: str
    source_repos: tuple[str, ...] = ()
    source_namespaces: tuple[str, ...] = ()
    destinations: tuple[Destination, ...] = ()
    # None = the list is absent, () = present and empty: they differ (reference 2.5).
    cluster_resource_whitelist: RuleList | None = None
    cluster_resource_blacklist: RuleList | None = None
    namespace_resource_whitelist: RuleList | None = None
    namespace_resource_blacklist: RuleList | None = None
    orphaned_resources: OrphanedResources | None = None
    integrity_policies: tuple[integrity.GitPolicy, ...] = ()
    roles: tuple[Role, ...] = ()
    sync_windows: SyncWindows = field(default_factory=SyncWindows)
    permit_only_project_scoped_clusters: bool = False
    problems: tuple[str, ...] = ()  # readable but ignored settings (bad key IDs)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, obj: Any) -> Project:
        """Read an AppProject object; raises `InvalidSpecError` naming the field."""
        if not isinstance(obj, dict):
            raise InvalidSpecError("AppProject: must be an object")
        if obj.get("kind") not in (None, "AppProject"):
            raise InvalidSpecError(f"expected kind AppProject, got {obj.get('kind')!r}")
        name = str((obj.get("metadata") or {}).get("name") or "")
        if not name:
            raise InvalidSpecError("AppProject: metadata.name is required")
        spec = obj.get("spec") or {}
        if not isinstance(spec, dict):
            raise InvalidSpecError(f"project {name}: spec must be an object")
        try:
            policies, problems = integrity.effective_policies(
                spec.get("signatureKeys"), spec.get("sourceIntegrity")
            )
            return cls(
                name=name,
                source_repos=_strings(spec, "sourceRepos"),
                source_namespaces=_strings(spec, "sourceNamespaces"),
                destinations=tuple(
                    Destination(
                        server=str(d.get("server") or ""),
                        name=str(d.get("name") or ""),
                        namespace=str(d.get("namespace") or ""),
                    )
                    for d in _objects(spec, "destinations")
                ),
                cluster_resource_whitelist=_rules(spec, "clusterResourceWhitelist"),
                cluster_resource_blacklist=_rules(spec, "clusterResourceBlacklist"),
                namespace_resource_whitelist=_rules(spec, "namespaceResourceWhitelist"),
                namespace_resource_blacklist=_rules(spec, "namespaceResourceBlacklist"),
                orphaned_resources=_orphaned(spec.get("orphanedResources")),
                integrity_policies=policies,
                roles=tuple(
                    Role(
                        name=str(r.get("name") or ""),
                        description=str(r.get("description") or ""),
                        policies=_strings(r, "policies", "roles[].policies"),
                        groups=_strings(r, "groups", "roles[].groups"),
                    )
                    for r in _objects(spec, "roles")
                ),
                sync_windows=SyncWindows.parse(spec.get("syncWindows")),
                permit_only_project_scoped_clusters=spec.get("permitOnlyProjectScopedClusters")
                is True,
                problems=problems,
                raw=obj,
            )
        except InvalidSpecError as err:
            raise InvalidSpecError(f"project {name}: {err}") from None

    # -- sources ---------------------------------------------------------------------------

    def permits_source(self, repo_url: str) -> bool:
        """Whether an app source from `repo_url` is allowed (reference 2.2)."""
        url = normalize_git_url(repo_url)
        any_matched = False
        for entry in self.source_repos:
            if entry.startswith("!"):
                if glob_match(normalize_git_url(entry[1:]), url, separator=True):
                    return False
                any_matched = True
                continue
            pattern = normalize_git_url(entry)
            if pattern == "*" or glob_match(pattern, url, separator=True):
                any_matched = True
        return any_matched

    def permits_app_namespace(self, namespace: str, control_namespace: str) -> bool:
        """Whether an Application in `namespace` may use this project (reference 2.3)."""
        if not namespace or namespace == control_namespace:
            return True
        return match_in_list(self.source_namespaces, namespace, "regexp")

    # -- destinations ----------------------------------------------------------------------

    def permits_destination(
        self,
        cluster: ClusterRef,
        namespace: str,
        *,
        project_clusters: Sequence[ClusterRef] = (),
    ) -> bool:
        """Whether apps may deploy to `namespace` of `cluster` (reference 2.4);
        `project_clusters` are the clusters scoped to this project."""
        if not self._destination_matched(cluster, namespace):
            return False
        if not self.permit_only_project_scoped_clusters:
            return True
        return any(c.name == cluster.name or c.server == cluster.server for c in project_clusters)

    def _destination_matched(self, cluster: ClusterRef, namespace: str) -> bool:
        any_matched = False
        for item in self.destinations:
            name_hit = bool(cluster.name) and _negatable(item.name, cluster.name)
            server_hit = bool(cluster.server) and _negatable(item.server, cluster.server)
            namespace_hit = _negatable(item.namespace, namespace)
            if (server_hit or name_hit) and namespace_hit:
                any_matched = True
                continue
            # Go's precedence: `&& namespace_hit` binds to the server part only.
            if (not name_hit and item.name.startswith("!")) or (
                not server_hit and item.server.startswith("!") and namespace_hit
            ):
                return False
            if not namespace_hit and item.namespace.startswith("!") and server_hit:
                return False
        return any_matched

    # -- resources -------------------------------------------------------------------------

    def resource_denial(self, group: str, kind: str, name: str, namespaced: bool) -> str | None:
        """The spec field that refuses a resource kind (reference 2.5), None if permitted."""
        if namespaced:
            white, black = self.namespace_resource_whitelist, self.namespace_resource_blacklist
            listed_name: str | None = None
            field_names = ("namespaceResourceWhitelist", "namespaceResourceBlacklist")
            whitelisted = white is None or any(r.lists(group, kind, None) for r in white)
        else:
            white, black = self.cluster_resource_whitelist, self.cluster_resource_blacklist
            listed_name = name
            field_names = ("clusterResourceWhitelist", "clusterResourceBlacklist")
            whitelisted = bool(white) and any(r.lists(group, kind, name) for r in white or ())
        if not whitelisted:
            return field_names[0]
        if any(r.lists(group, kind, listed_name) for r in black or ()):
            return field_names[1]
        return None

    def permits_resource(self, group: str, kind: str, name: str, namespaced: bool) -> bool:
        """`IsGroupKindNamePermitted`; the signature of `diff.syncstatus.PermitLookup`."""
        return self.resource_denial(group, kind, name, namespaced) is None

    def orphan_ignored(self, key: ResourceKey) -> bool:
        """Whether a resource is never reported as orphaned (reference 2.6)."""
        if key.group == "" and (
            (key.kind == "Service" and key.name == "kubernetes" and key.namespace == "default")
            or (key.kind == "ServiceAccount" and key.name == "default")
            or (key.kind == "ConfigMap" and key.name == "kube-root-ca.crt")
        ):
            return True
        return any(
            (not rule.kind or glob_match(rule.kind, key.kind))
            and glob_match(rule.group, key.group)
            and (not rule.name or glob_match(rule.name, key.name))
            for rule in (self.orphaned_resources.ignore if self.orphaned_resources else ())
        )

    # -- signatures ------------------------------------------------------------------------

    def integrity_for(self, repo_url: str) -> integrity.IntegrityCheck:
        """What must be verified of a source from `repo_url` (reference 2.7)."""
        return integrity.check_for(self.integrity_policies, repo_url)

    def signature_key_ids(self, repo_url: str) -> tuple[str, ...]:
        """The key IDs allowed to sign sources from `repo_url` (empty: not verified)."""
        check = self.integrity_for(repo_url)
        return check.keys if check.mode is not integrity.Mode.NONE else ()

    # -- composition -----------------------------------------------------------------------

    def extended(
        self,
        *,
        source_repos: Sequence[str] = (),
        clusters: Sequence[tuple[str, Sequence[str]]] = (),
    ) -> Project:
        """The project with its scoped repositories appended to `sourceRepos` and, per
        scoped cluster (server, namespaces), destinations for those namespaces (`*` when
        none), as Argo CD adds them when it loads a project."""
        added = tuple(
            Destination(server=server, namespace=namespace)
            for server, namespaces in clusters
            for namespace in (namespaces or ("*",))
        )
        return dataclasses.replace(
            self,
            source_repos=self.source_repos + tuple(source_repos),
            destinations=self.destinations + added,
        )

    def with_global(self, other: Project) -> Project:
        """The virtual project: this one with a global project's lists appended (2.10).
        Appended sync windows keep the names (index) they have in the global project."""
        return dataclasses.replace(
            self,
            cluster_resource_whitelist=_append(
                self.cluster_resource_whitelist, other.cluster_resource_whitelist
            ),
            cluster_resource_blacklist=_append(
                self.cluster_resource_blacklist, other.cluster_resource_blacklist
            ),
            namespace_resource_whitelist=_append(
                self.namespace_resource_whitelist, other.namespace_resource_whitelist
            ),
            namespace_resource_blacklist=_append(
                self.namespace_resource_blacklist, other.namespace_resource_blacklist
            ),
            sync_windows=SyncWindows(self.sync_windows.windows + other.sync_windows.windows),
            source_repos=self.source_repos + other.source_repos,
            destinations=self.destinations + other.destinations,
        )


def _negatable(pattern: str, value: str) -> bool:
    """Argo CD's `globMatch` with negation allowed (destinations)."""
    if pattern.startswith("!"):
        return not glob_match(pattern[1:], value)
    return pattern == "*" or glob_match(pattern, value)


def _append(first: RuleList | None, second: RuleList | None) -> RuleList | None:
    """Go's `append(first, second...)`: nil stays nil when nothing is added."""
    if first is None and not second:
        return None
    return (first or ()) + (second or ())


def _strings(data: dict[str, Any], key: str, where: str = "") -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidSpecError(f"spec.{where or key}: must be a list")
    return tuple(str(v) for v in value)


def _objects(data: dict[str, Any], key: str, where: str = "") -> list[dict[str, Any]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidSpecError(f"spec.{where or key}: must be a list of objects")
    return value


def _rules(spec: dict[str, Any], key: str, where: str = "") -> RuleList | None:
    if spec.get(key) is None:
        return None
    return tuple(
        ResourceRule(
            group=str(e.get("group") or ""),
            kind=str(e.get("kind") or ""),
            name=str(e.get("name") or ""),
        )
        for e in _objects(spec, key, where)
    )


def _orphaned(data: Any) -> OrphanedResources | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InvalidSpecError("spec.orphanedResources: must be an object")
    return OrphanedResources(
        warn=data.get("warn") is True,
        ignore=_rules(data, "ignore", "orphanedResources.ignore") or (),
    )
