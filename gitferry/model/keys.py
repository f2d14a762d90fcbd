"""Identity of Kubernetes resources: resource keys, and the tracking ids that tie a resource to
the application that owns it (reference section 0 and 4.7).

A `ResourceKey` is (group, kind, namespace, name) with the core group as the empty string; its
string form `group/kind/namespace/name` is how Argo CD names and sorts resources. A tracking id
`<app>:<group>/<kind>:<namespace>/<name>` is what the annotation tracking methods write.

Plain data and pure functions. Used by `diff` (pairing, sync status, orphans), and meant for
`render` (which writes tracking ids) and `sync` (which keys its tasks) alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

TRACKING_ID_ANNOTATION = "argocd.argoproj.io/tracking-id"
INSTALLATION_ID_ANNOTATION = "argocd.argoproj.io/installation-id"
DEFAULT_LABEL_KEY = "app.kubernetes.io/instance"


def group_of(api_version: str) -> str:
    """The API group of an `apiVersion` (`apps/v1` -> `apps`, `v1` -> ``)."""
    return api_version.rpartition("/")[0]


def version_of(api_version: str) -> str:
    """The version of an `apiVersion` (`apps/v1` -> `v1`)."""
    return api_version.rpartition("/")[2]


def metadata_of(obj: dict[str, Any]) -> dict[str, Any]:
    """`metadata` of an object, empty when missing or malformed."""
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def annotations_of(obj: dict[str, Any]) -> dict[str, Any]:
    """`metadata.annotations` of an object, empty when missing or malformed."""
    found = metadata_of(obj).get("annotations")
    return found if isinstance(found, dict) else {}


def labels_of(obj: dict[str, Any]) -> dict[str, Any]:
    """`metadata.labels` of an object, empty when missing or malformed."""
    found = metadata_of(obj).get("labels")
    return found if isinstance(found, dict) else {}


class ResourceKey(NamedTuple):
    """(group, kind, namespace, name); the core group and cluster scope are empty strings.

    A named tuple (immutable, ordered field by field, cheap to build and hash: the controller
    keys every live object of every app with one)."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.group}/{self.kind}/{self.namespace}/{self.name}"

    @classmethod
    def of(cls, obj: dict[str, Any]) -> ResourceKey:
        """The key of an object as it stands (its own namespace, possibly empty)."""
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
        return cls(
            str(obj.get("apiVersion") or "").rpartition("/")[0],
            str(obj.get("kind") or ""),
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
        )


def is_crd(obj: dict[str, Any]) -> bool:
    """Whether an object is a CustomResourceDefinition (CRDs never carry tracking)."""
    return obj.get("kind") == "CustomResourceDefinition" and (
        group_of(str(obj.get("apiVersion") or "")) == "apiextensions.k8s.io"
    )


class TrackingMethod(StrEnum):
    """argocd-cm `application.resourceTrackingMethod`."""

    ANNOTATION = "annotation"
    LABEL = "label"
    ANNOTATION_AND_LABEL = "annotation+label"

    @classmethod
    def parse(cls, value: str) -> TrackingMethod:
        """Unset or unknown values mean `annotation`, as in Argo CD 3."""
        try:
            return cls(value)
        except ValueError:
            return cls.ANNOTATION


@dataclass(frozen=True)
class TrackingId:
    """`<app>:<group>/<kind>:<namespace>/<name>`."""

    app: str
    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.app}:{self.group}/{self.kind}:{self.namespace}/{self.name}"


def parse_tracking_id(value: str) -> TrackingId | None:
    """The parts of a tracking id, or None when the value is not one (not tracked)."""
    parts = value.split(":", 2)
    if len(parts) != 3:
        return None
    group_kind = parts[1].split("/")
    ns_name = parts[2].split("/")
    if len(group_kind) != 2 or len(ns_name) != 2:
        return None
    return TrackingId(parts[0], group_kind[0], group_kind[1], ns_name[0], ns_name[1])


def tracking_id_of(obj: dict[str, Any], installation_id: str = "") -> TrackingId | None:
    """The parsed tracking annotation of an object; None when it has none, an invalid one, or
    (with an installation id configured) a missing or different installation-id annotation."""
    found = annotations_of(obj)
    if installation_id and found.get(INSTALLATION_ID_ANNOTATION) != installation_id:
        return None
    value = found.get(TRACKING_ID_ANNOTATION)
    return parse_tracking_id(value) if isinstance(value, str) else None


def owner_app(
    obj: dict[str, Any],
    method: TrackingMethod,
    label_key: str = DEFAULT_LABEL_KEY,
    installation_id: str = "",
) -> str:
    """The app instance name an object is tracked by ("" when untracked): the label value with
    the `label` method, else the app part of the tracking id."""
    if method is TrackingMethod.LABEL:
        value = labels_of(obj).get(label_key)
        return value if isinstance(value, str) else ""
    parsed = tracking_id_of(obj, installation_id)
    return parsed.app if parsed is not None else ""
