"""The ConfigMaps and Secrets a pod needs, and the kubelet's words when one is missing.

A non-optional environment reference (`valueFrom.configMapKeyRef`, `secretKeyRef`,
`envFrom`) to a missing object or key keeps the container waiting with
CreateContainerConfigError; a non-optional `configMap`, `secret` or projected volume whose
object is missing keeps the whole pod in ContainerCreating with FailedMount events. Both
recover by themselves once the object appears.

Called by the kubelet (`kubelet.py`).
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.store import Store

Obj = dict[str, Any]
_KINDS = {
    "configMap": ("configmaps", "configmap", "ConfigMap"),
    "secret": ("secrets", "secret", "Secret"),
}


def env_problem(store: Store, namespace: str, container: Obj) -> str | None:
    """Why the container's environment cannot be built, or None."""
    for env in container.get("env") or ():
        source = env.get("valueFrom") or {}
        for field, kind in (("configMapKeyRef", "configMap"), ("secretKeyRef", "secret")):
            ref = source.get(field)
            if ref and not ref.get("optional"):
                problem = _missing(store, namespace, kind, ref.get("name", ""), ref.get("key"))
                if problem:
                    return problem
    for source in container.get("envFrom") or ():
        for field, kind in (("configMapRef", "configMap"), ("secretRef", "secret")):
            ref = source.get(field)
            if ref and not ref.get("optional"):
                problem = _missing(store, namespace, kind, ref.get("name", ""), None)
                if problem:
                    return problem
    return None


def mount_problem(store: Store, pod: Obj) -> str | None:
    """Why one of the pod's volumes cannot be mounted, or None."""
    namespace = pod["metadata"]["namespace"]
    for volume in (pod.get("spec") or {}).get("volumes") or ():
        sources = [volume, *((volume.get("projected") or {}).get("sources") or ())]
        for source in sources:
            for kind in _KINDS:
                ref = source.get(kind)
                if not ref or ref.get("optional"):
                    continue
                name = (
                    ref.get("name")
                    if kind == "configMap"
                    else ref.get("secretName", ref.get("name"))
                )
                problem = _missing(store, namespace, kind, str(name or ""), None)
                if problem:
                    return f'MountVolume.SetUp failed for volume "{volume.get("name")}" : {problem}'
    return None


def _missing(store: Store, namespace: str, kind: str, name: str, key: str | None) -> str | None:
    resource, word, title = _KINDS[kind]
    entry = store.get(resource, namespace, name)
    if entry is None:
        return f'{word} "{name}" not found'
    if key is not None:
        obj = entry.obj
        if key not in (obj.get("data") or {}) and key not in (
            obj.get("binaryData") or obj.get("stringData") or {}
        ):
            return f"couldn't find key {key} in {title} {namespace}/{name}"
    return None
