"""Task order (reference 3.4): sort, then pull Namespaces and CRDs ahead of what needs them.

Sort keys, each ascending: phase rank (PreSync -1, Sync 0, PostSync 1, SyncFail 2), wave,
kind rank by kind name alone (the list below, Namespace -35 ... APIService -1; any other kind,
custom resources and the empty kind included, ranks 0, after every listed kind), then
`metadata.name` as a plain string. Namespace is not a key. Python's sort is stable where Go's
is not; ties are undefined in Argo CD, so any order of equal tasks is faithful.

Dependency adjustment runs twice over the sorted list, only on tasks that have a target:

1. A core `Namespace` task is a dependency keyed by its name; any other task with a
   non-empty target namespace references the key equal to that namespace.
2. A CRD task is a dependency keyed `spec.group/spec.names.kind`; every other task
   references `group/kind`.

Walking left to right, the first referencing index of each key is remembered. A dependency
found after its first referencer moves to that index (the others shift right) and takes the
referencer's phase and wave. A dependency already earlier stays where it is.

Pure. Used by `plan.build`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gitferry.model import keys
from gitferry.model.operation import SyncPhase
from gitferry.sync.options import Obj
from gitferry.sync.tasks import SyncTask

PHASE_RANK = {
    SyncPhase.PRE_SYNC: -1,
    SyncPhase.SYNC: 0,
    SyncPhase.POST_SYNC: 1,
    SyncPhase.SYNC_FAIL: 2,
}

KIND_ORDER = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)
_KIND_RANK = {kind: index - len(KIND_ORDER) for index, kind in enumerate(KIND_ORDER)}

DepKey = Callable[[Obj], str | None]


def kind_rank(kind: str) -> int:
    """Negative for the listed kinds, 0 for every other kind."""
    return _KIND_RANK.get(kind, 0)


def sort_key(task: SyncTask) -> tuple[int, int, int, str]:
    return (PHASE_RANK.get(task.phase, 0), task.wave, kind_rank(task.kind), task.name)


def sort_tasks(tasks: list[SyncTask]) -> list[SyncTask]:
    """Sorted, with Namespaces and then CRDs moved ahead of their first user."""
    ordered = sorted(tasks, key=sort_key)
    ordered = _adjust(ordered, _namespace_dep, _namespace_ref)
    return _adjust(ordered, crd_key, _crd_ref)


def _group(obj: Obj) -> str:
    return keys.group_of(str(obj.get("apiVersion") or ""))


def _namespace_dep(obj: Obj) -> str | None:
    if obj.get("kind") == "Namespace" and _group(obj) == "":
        return str(keys.metadata_of(obj).get("name") or "")
    return None


def _namespace_ref(obj: Obj) -> str | None:
    return str(keys.metadata_of(obj).get("namespace") or "") or None


def crd_key(obj: Obj) -> str | None:
    """`spec.group/spec.names.kind` of a CRD; None for anything else."""
    if not keys.is_crd(obj):
        return None
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    group = spec.get("group")
    kind = (spec.get("names") or {}).get("kind") if isinstance(spec.get("names"), dict) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        return None
    return f"{group}/{kind}"


def _crd_ref(obj: Obj) -> str | None:
    return f"{_group(obj)}/{obj.get('kind') or ''}"


def _adjust(tasks: list[SyncTask], is_dep: DepKey, refers_to: DepKey) -> list[SyncTask]:
    result = list(tasks)
    first_ref: dict[str, int] = {}
    for i in range(len(result)):
        task = result[i]
        if task.target is None:
            continue
        dep = is_dep(task.target)
        if dep is not None:
            index = first_ref.get(dep)
            if index is not None:
                user = result[index]
                moved = replace(task, phase=user.phase, wave_override=user.wave)
                del result[i]
                result.insert(index, moved)
                for key, first in first_ref.items():
                    if first >= index:
                        first_ref[key] = first + 1
            continue
        ref = refers_to(task.target)
        if ref is not None and ref not in first_ref:
            first_ref[ref] = i
    return result
