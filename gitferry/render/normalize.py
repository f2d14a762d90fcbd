"""Target normalisation before diffing (reference 1.9, 1.10 and 4.1 step 3): fill or clear
namespaces, and keep one object per resource key, the last one, with a
`RepeatedResourceWarning`.

Pure functions, applied by `renderer.Renderer` after rendering and before tracking.
`builtin_scope` answers "is this kind namespaced" for the built-in kinds when no cluster
discovery is at hand (the CLI's offline `gitferry render`); the controller passes its
discovery instead.
"""

from __future__ import annotations

from typing import Any

from gitferry.render.options import RenderCondition, ScopeLookup
from gitferry.render.tracking import group_of

REPEATED_RESOURCE_WARNING = "RepeatedResourceWarning"

_CLUSTER_SCOPED = {
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("policy", "PodSecurityPolicy"),
}


def builtin_scope(group: str, kind: str) -> bool | None:
    """False for the built-in cluster-scoped kinds; None (unknown, so namespaced) otherwise."""
    return False if (group, kind) in _CLUSTER_SCOPED else None


def normalize_namespaces(
    manifests: list[dict[str, Any]], destination_namespace: str, is_namespaced: ScopeLookup
) -> list[dict[str, Any]]:
    """Namespaced objects without a namespace get the destination's; cluster-scoped objects
    lose theirs. Kinds of unknown scope count as namespaced. Returns new top-level dicts."""
    result: list[dict[str, Any]] = []
    for manifest in manifests:
        meta = manifest.get("metadata") or {}
        namespaced = is_namespaced(group_of(manifest), str(manifest.get("kind") or ""))
        if namespaced is False:
            if "namespace" in meta:
                meta = {k: v for k, v in meta.items() if k != "namespace"}
                manifest = {**manifest, "metadata": meta}
        elif not meta.get("namespace") and destination_namespace:
            manifest = {**manifest, "metadata": {**meta, "namespace": destination_namespace}}
        result.append(manifest)
    return result


def resource_key(manifest: dict[str, Any], index: int) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name); an object with only generateName is keyed by its
    generateName and position, as Argo CD does."""
    meta = manifest.get("metadata") or {}
    name = str(meta.get("name") or "")
    if not name and meta.get("generateName"):
        name = f"{meta['generateName']}{index}"
    return (
        group_of(manifest),
        str(manifest.get("kind") or ""),
        str(meta.get("namespace") or ""),
        name,
    )


def deduplicate(
    manifests: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[RenderCondition]]:
    """One object per key: the last one wins and takes the place of the last occurrence."""
    last: dict[tuple[str, str, str, str], int] = {}
    counts: dict[tuple[str, str, str, str], int] = {}
    keys = []
    for index, manifest in enumerate(manifests):
        key = resource_key(manifest, index)
        keys.append(key)
        last[key] = index
        counts[key] = counts.get(key, 0) + 1
    kept = [m for i, m in enumerate(manifests) if last[keys[i]] == i]
    warnings = [
        RenderCondition(
            REPEATED_RESOURCE_WARNING,
            f"Resource {'/'.join(key)} appeared {count} times among application resources.",
        )
        for key, count in counts.items()
        if count > 1
    ]
    return kept, warnings
