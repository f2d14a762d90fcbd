"""The resource types the embedded cluster serves: built-ins, plus kinds registered by CRDs.

A `ResourceType` says everything the generic request pipeline needs about one resource:
its group, versions, kind, plural and scope, its subresources, how `generation` is tracked,
how names are validated, and its typed schema. `Catalog` holds them and answers lookups by
URL segment (plural), by kind and by short name. It is read by discovery, OpenAPI, every
handler and the simulated controllers; CRD registration (`crds` module) adds and removes
entries while the server runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gitferry.apiserver import schema

VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One served resource (e.g. `deployments.apps`)."""

    group: str
    version: str  # the storage (and preferred) version
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()
    # Every served version, preferred first. Custom resources may serve several; objects are
    # stored once and only their apiVersion differs per version (conversion strategy None).
    versions: tuple[str, ...] = ()
    # What bumps metadata.generation: "spec" (spec changes), "all" (anything outside
    # metadata and status: custom resources), "spec+annotations" (Deployment), "none".
    generation: str = "spec"
    # Which DNS rule names must follow: "subdomain", "label", "dns1035" or "path".
    name_rule: str = "subdomain"
    # DELETE answers with the deleted object instead of a Status (Pod, Namespace, ...).
    returns_deleted: bool = False
    builtin: bool = True
    # For custom resources: additionalPrinterColumns of the storage version, and the scale
    # subresource paths.
    printer_columns: tuple[dict[str, Any], ...] = ()
    scale_paths: dict[str, str] = field(default_factory=dict)
    # The CRD's openAPIV3Schema for custom resources (for OpenAPI documents).
    crd_schema: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        """The storage key of the resource: `plural.group` (core: `plural`)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def api_version(self, version: str | None = None) -> str:
        version = version or self.version
        return f"{self.group}/{version}" if self.group else version

    @property
    def group_kind(self) -> str:
        """`Kind.group` as validation and precondition messages print it (core: `Kind`)."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def type(self) -> schema.TypeNode:
        """The typed schema of the object."""
        if self.builtin:
            return schema.builtin().by_gvk[(self.group, self.version, self.kind)]
        return _crd_type(self)

    def has_status(self) -> bool:
        return "status" in self.subresources


_crd_types: dict[int, schema.TypeNode] = {}


def _crd_type(resource: ResourceType) -> schema.TypeNode:
    cached = _crd_types.get(id(resource.crd_schema))
    if cached is None:
        cached = schema.from_crd(resource.crd_schema)
        _crd_types[id(resource.crd_schema)] = cached
    return cached


def _builtin(
    gv: str,
    kind: str,
    plural: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    generation: str = "spec",
    name_rule: str = "subdomain",
    returns_deleted: bool = False,
    all_category: bool = False,
) -> ResourceType:
    group, _, version = gv.rpartition("/")
    return ResourceType(
        group=group,
        version=version,
        kind=kind,
        plural=plural,
        singular=kind.lower(),
        namespaced=namespaced,
        short_names=short,
        categories=("all",) if all_category else (),
        subresources=frozenset(sub),
        versions=(version,),
        generation=generation,
        name_rule=name_rule,
        returns_deleted=returns_deleted,
    )


NONE, STATUS, SCALE = "none", ("status",), ("status", "scale")

# fmt: off
BUILTINS: tuple[ResourceType, ...] = (
    # core/v1
    _builtin("v1", "Namespace", "namespaces", namespaced=False, short=("ns",), sub=STATUS,
             generation=NONE, name_rule="label", returns_deleted=True),
    _builtin("v1", "ConfigMap", "configmaps", short=("cm",), generation=NONE),
    _builtin("v1", "Secret", "secrets", generation=NONE),
    _builtin("v1", "Service", "services", short=("svc",), sub=STATUS, generation=NONE,
             name_rule="dns1035", returns_deleted=True, all_category=True),
    _builtin("v1", "ServiceAccount", "serviceaccounts", short=("sa",), generation=NONE,
             returns_deleted=True),
    _builtin("v1", "Pod", "pods", short=("po",), sub=STATUS, generation=NONE,
             returns_deleted=True, all_category=True),
    _builtin("v1", "PersistentVolumeClaim", "persistentvolumeclaims", short=("pvc",),
             sub=STATUS, generation=NONE, returns_deleted=True),
    _builtin("v1", "PersistentVolume", "persistentvolumes", namespaced=False, short=("pv",),
             sub=STATUS, generation=NONE, returns_deleted=True),
    _builtin("v1", "Endpoints", "endpoints", short=("ep",), generation=NONE),
    _builtin("v1", "Event", "events", short=("ev",), generation=NONE),
    _builtin("v1", "LimitRange", "limitranges", short=("limits",), generation=NONE),
    _builtin("v1", "ResourceQuota", "resourcequotas", short=("quota",), sub=STATUS,
             generation=NONE, returns_deleted=True),
    _builtin("v1", "Node", "nodes", namespaced=False, short=("no",), sub=STATUS,
             generation=NONE, returns_deleted=True),
    _builtin("v1", "ReplicationController", "replicationcontrollers", short=("rc",),
             sub=SCALE, all_category=True),
    # apps/v1
    _builtin("apps/v1", "Deployment", "deployments", short=("deploy",), sub=SCALE,
             generation="spec+annotations", all_category=True),
    _builtin("apps/v1", "StatefulSet", "statefulsets", short=("sts",), sub=SCALE,
             all_category=True),
    _builtin("apps/v1", "DaemonSet", "daemonsets", short=("ds",), sub=STATUS,
             all_category=True),
    _builtin("apps/v1", "ReplicaSet", "replicasets", short=("rs",), sub=SCALE,
             all_category=True),
    _builtin("apps/v1", "ControllerRevision", "controllerrevisions", generation=NONE),
    # batch/v1
    _builtin("batch/v1", "Job", "jobs", sub=STATUS, all_category=True),
    _builtin("batch/v1", "CronJob", "cronjobs", short=("cj",), sub=STATUS, all_category=True),
    # networking.k8s.io/v1
    _builtin("networking.k8s.io/v1", "Ingress", "ingresses", short=("ing",), sub=STATUS),
    _builtin("networking.k8s.io/v1", "IngressClass", "ingressclasses", namespaced=False),
    _builtin("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", short=("netpol",)),
    # discovery.k8s.io/v1
    _builtin("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", generation=NONE),
    # autoscaling/v2
    _builtin("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
             short=("hpa",), sub=STATUS, all_category=True),
    # policy/v1
    _builtin("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", short=("pdb",),
             sub=STATUS),
    # rbac.authorization.k8s.io/v1
    _builtin("rbac.authorization.k8s.io/v1", "Role", "roles", generation=NONE,
             name_rule="path"),
    _builtin("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", generation=NONE,
             name_rule="path"),
    _builtin("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", namespaced=False,
             generation=NONE, name_rule="path"),
    _builtin("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings",
             namespaced=False, generation=NONE, name_rule="path"),
    # apiextensions.k8s.io/v1
    _builtin("apiextensions.k8s.io/v1", "CustomResourceDefinition",
             "customresourcedefinitions", namespaced=False, short=("crd", "crds"), sub=STATUS),
    # coordination.k8s.io/v1
    _builtin("coordination.k8s.io/v1", "Lease", "leases", generation=NONE),
    # storage.k8s.io/v1
    _builtin("storage.k8s.io/v1", "StorageClass", "storageclasses", namespaced=False,
             short=("sc",), generation=NONE, returns_deleted=True),
    # scheduling.k8s.io/v1
    _builtin("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", namespaced=False,
             short=("pc",), generation=NONE),
    # admissionregistration.k8s.io/v1 (stored only: the embedded cluster calls no webhooks)
    _builtin("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration",
             "validatingwebhookconfigurations", namespaced=False),
    _builtin("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration",
             "mutatingwebhookconfigurations", namespaced=False),
)
# fmt: on


class Catalog:
    """The resource types served right now, indexed for every kind of lookup."""

    def __init__(self, types: tuple[ResourceType, ...] = BUILTINS) -> None:
        self._by_key: dict[str, ResourceType] = {}
        for resource in types:
            self.add(resource)

    def add(self, resource: ResourceType) -> None:
        """Serve `resource`, replacing any earlier type with the same plural and group."""
        self._by_key[resource.key] = resource

    def remove(self, key: str) -> ResourceType | None:
        return self._by_key.pop(key, None)

    def by_key(self, key: str) -> ResourceType | None:
        return self._by_key.get(key)

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at `/apis/<group>/<version>/<plural>` (core: group "")."""
        resource = self._by_key.get(f"{plural}.{group}" if group else plural)
        if resource is None or version not in resource.versions:
            return None
        return resource

    def by_kind(self, group: str, kind: str) -> ResourceType | None:
        for resource in self._by_key.values():
            if resource.group == group and resource.kind == kind:
                return resource
        return None

    def all(self) -> list[ResourceType]:
        return sorted(self._by_key.values(), key=lambda r: (r.group, r.plural))

    def groups(self) -> dict[str, list[str]]:
        """Every group (core is "") with its served versions, preferred first."""
        groups: dict[str, list[str]] = {}
        for resource in self.all():
            versions = groups.setdefault(resource.group, [])
            for version in resource.versions:
                if version not in versions:
                    versions.append(version)
        for versions in groups.values():
            versions.sort(key=_version_priority)
        return groups

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [r for r in self.all() if r.group == group and version in r.versions]


def _version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes version ordering: GA before beta before alpha, higher numbers first."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0)
    major, level, minor = match.groups()
    rank = {"": 0, "beta": 1, "alpha": 2}[level or ""]
    return (rank, -int(major), -int(minor or 0))
