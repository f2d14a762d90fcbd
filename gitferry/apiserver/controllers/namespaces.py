"""Namespace controllers: what every namespace contains, and how a namespace goes away.

Each active namespace gets the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap
(recreated if deleted). A namespace with a deletionTimestamp is emptied: every namespaced
object in it is deleted (finalizers and grace periods respected), the five deletion
conditions (NamespaceDeletionDiscoveryFailure ... NamespaceFinalizersRemaining) report
progress with kube's reasons and messages, and once nothing is left the `kubernetes`
finalizer is removed from `spec.finalizers` (through the `finalize` subresource), upon which
the registry removes the namespace.
Every change inside a terminating namespace wakes it. Started by the controller manager.
"""

from __future__ import annotations

import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gitferry.apiserver import errors
from gitferry.apiserver.controllers import runtime
from gitferry.apiserver.deleting import DeleteOptions
from gitferry.apiserver.store import Event
from gitferry.apiserver.writes import WriteOptions

ROOT_CA = "kube-root-ca.crt"
_DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
    "guaranteed across distributions of Kubernetes clusters."
)
_OK = {
    "NamespaceDeletionDiscoveryFailure": (
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    "NamespaceDeletionGroupVersionParsingFailure": (
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    "NamespaceDeletionContentFailure": (
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    "NamespaceContentRemaining": ("ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": (
        "ContentHasNoFinalizers",
        "All content-preserving finalizers finished",
    ),
}


class Namespaces(runtime.Controller):
    """Fills new namespaces and empties terminating ones."""

    name = "namespace"
    component = "namespace-controller"

    def __init__(self, manager: runtime.Manager) -> None:
        super().__init__(manager)
        self._terminating: set[str] = set()
        self._ca = ""

    def start(self) -> None:
        stored = self.store.get("configmaps", "kube-system", ROOT_CA)
        self._ca = ((stored.obj.get("data") or {}).get("ca.crt", "") if stored else "") or (
            _new_ca()
        )
        for entry in self.store.entries("namespaces"):
            if entry.obj["metadata"].get("deletionTimestamp"):
                self._terminating.add(entry.obj["metadata"]["name"])
            self.queue(entry.obj["metadata"]["name"])

    def watch_all(self) -> runtime.Handler:
        return self._on_event

    def _on_event(self, event: Event) -> None:
        meta_ = event.entry.obj["metadata"]
        if event.resource == "namespaces":
            if event.type == "DELETED" or not meta_.get("deletionTimestamp"):
                self._terminating.discard(meta_["name"])
            else:
                self._terminating.add(meta_["name"])
            if event.type != "DELETED":
                self.queue(meta_["name"])
            return
        namespace = meta_.get("namespace", "")
        recreate = event.type == "DELETED" and (event.resource, meta_["name"]) in (
            ("serviceaccounts", "default"),
            ("configmaps", ROOT_CA),
        )
        if namespace in self._terminating or recreate:
            self.queue(namespace)

    def reconcile(self, key: Any) -> None:
        entry = self.store.get("namespaces", "", key)
        if entry is None:
            return
        if entry.obj["metadata"].get("deletionTimestamp"):
            self._terminate(entry)
            return
        self._ensure(
            "serviceaccounts",
            key,
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": key},
            },
        )
        self._ensure(
            "configmaps",
            key,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": ROOT_CA,
                    "namespace": key,
                    "annotations": {"kubernetes.io/description": _DESCRIPTION},
                },
                "data": {"ca.crt": self._ca},
            },
        )

    def _ensure(self, resource: str, namespace: str, obj: dict[str, Any]) -> None:
        if self.store.get(resource, namespace, obj["metadata"]["name"]) is not None:
            return
        try:
            self.registry.create(
                self.rt(resource), namespace, obj, WriteOptions(manager=self.manager_name)
            )
        except errors.ApiError as err:
            if err.code not in (403, 404, 409):
                raise

    def _terminate(self, entry: Any) -> None:
        namespace = entry.obj["metadata"]["name"]
        failures: list[str] = []
        remaining: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        for resource in self.registry.catalog.all():
            if not resource.namespaced:
                continue
            for item in self.store.entries(resource.key, namespace):
                meta_ = item.obj["metadata"]
                if meta_.get("deletionTimestamp"):
                    continue
                try:
                    self.registry.delete(
                        resource, namespace, meta_["name"], DeleteOptions(propagation="Background")
                    )
                except errors.ApiError as err:
                    if err.code != 404:
                        failures.append(err.message)
            left = self.store.entries(resource.key, namespace)
            if left:
                remaining[f"{resource.plural}.{resource.group}"] = len(left)
            for item in left:
                for finalizer in item.obj["metadata"].get("finalizers") or ():
                    finalizers[finalizer] = finalizers.get(finalizer, 0) + 1
        problems: dict[str, tuple[str, str]] = {}
        if failures:
            problems["NamespaceDeletionContentFailure"] = (
                "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(failures)} remaining: "
                + ", ".join(sorted(failures)),
            )
        if remaining:
            problems["NamespaceContentRemaining"] = (
                "SomeResourcesRemain",
                "Some resources are remaining: "
                + ", ".join(
                    sorted(f"{r} has {n} resource instances" for r, n in remaining.items())
                ),
            )
        if finalizers:
            problems["NamespaceFinalizersRemaining"] = (
                "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: "
                + ", ".join(
                    sorted(f"{f} in {n} resource instances" for f, n in finalizers.items())
                ),
            )
        self._conditions(entry, problems)
        if remaining:
            return
        current = self.registry.get(self.rt("namespaces"), "", namespace)
        spec_finalizers = (current.obj.get("spec") or {}).get("finalizers") or []
        if "kubernetes" in spec_finalizers:
            copy = current.copy()
            copy["spec"]["finalizers"] = [f for f in spec_finalizers if f != "kubernetes"]
            options = WriteOptions(manager=self.manager_name, subresource="finalize")
            self.registry.update_subresource(self.rt("namespaces"), copy, options)

    def _conditions(self, entry: Any, problems: dict[str, tuple[str, str]]) -> None:
        status = dict(entry.obj.get("status") or {})
        previous = {c["type"]: c for c in status.get("conditions") or ()}
        now = self.registry.now()
        conditions = []
        for kind, ok in _OK.items():
            state, (reason, message) = (
                ("True", problems[kind]) if kind in problems else ("False", ok)
            )
            before = previous.get(kind)
            since = (
                before.get("lastTransitionTime")
                if before and before.get("status") == state
                else now
            )
            conditions.append(
                {
                    "type": kind,
                    "status": state,
                    "lastTransitionTime": since,
                    "reason": reason,
                    "message": message,
                }
            )
        status["phase"] = "Terminating"
        status["conditions"] = conditions
        if status != entry.obj.get("status"):
            copy = entry.copy()
            copy["status"] = status
            self.registry.write_status(self.rt("namespaces"), copy, self.manager_name)


def _new_ca() -> str:
    """A self-signed CA certificate (PEM) for the cluster's kube-root-ca.crt ConfigMaps."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
