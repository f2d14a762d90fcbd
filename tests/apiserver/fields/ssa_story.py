"""The story player and object builders that test_apply_examples.py, test_apply_entries.py,
test_apply_failures.py and test_apply_properties.py share.

A story is a list of writes against one stored object, played the way the API server's handlers
drive `apply.apply` and `update.track_update`; step i of a story runs at time T(i). The stories'
shared steps and objects (from SSA-1, SSA-10, SSA-12 to SSA-14 and SSA-17 of
reference/kubernetes-write-semantics.md 1.16) are here too: the worked examples and the
failures both start from them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gitferry.apiserver import schema
from gitferry.apiserver.fields import apply, fieldset, update
from gitferry.apiserver.fields.typed import MISSING

DEPLOYMENT = schema.builtin().by_gvk[("apps", "v1", "Deployment")]
CONFIGMAP = schema.builtin().by_gvk[("", "v1", "ConfigMap")]
KINDS = {"Deployment": (DEPLOYMENT, "apps/v1"), "ConfigMap": (CONFIGMAP, "v1")}


def T(step: int) -> str:
    return f"2025-01-02T03:04:{step:02d}Z"


# --- The story player -----------------------------------------------------------------------


@dataclass(frozen=True)
class Apply:
    manager: str
    config: dict[str, Any]
    force: bool = False
    subresource: str | None = None


@dataclass(frozen=True)
class Update:
    """A POST/PUT/PATCH by `manager`; `change` edits a copy of the live object in place."""

    manager: str
    change: Callable[[dict[str, Any]], None]
    subresource: str | None = None


@dataclass(frozen=True)
class Store:
    """The server writes the object itself, untracked (defaulting, a controller's status, a
    system that cleared managedFields)."""

    change: Callable[[dict[str, Any]], None]


Step = Apply | Update | Store


def reset_for(subresource: str | None) -> tuple[tuple[str, ...], ...]:
    return (("spec",),) if subresource == "status" else (("status",),)


@dataclass
class Story:
    kind: str
    live: dict[str, Any] | None = None
    returned_live: bool = False  # the last apply returned the live object itself

    def run(self, steps: list[Step]) -> dict[str, Any] | None:
        for index, step in enumerate(steps):
            self.step(step, T(index))
        return self.live

    def step(self, step: Step, now: str) -> None:
        node, api_version = KINDS[self.kind]
        if isinstance(step, Apply):
            result = apply.apply(
                self.live,
                step.config,
                manager=step.manager,
                force=step.force,
                node=node,
                api_version=api_version,
                kind=self.kind,
                subresource=step.subresource,
                reset_fields=reset_for(step.subresource),
                now=now,
            )
            self.returned_live = result is self.live
            self.live = result if self.returned_live else stored(result)
            return
        new = copy.deepcopy(self.live) if self.live else {}
        step.change(new)
        if isinstance(step, Update):
            entries = update.track_update(
                self.live,
                new,
                manager=step.manager,
                node=node,
                api_version=api_version,
                subresource=step.subresource,
                reset_fields=reset_for(step.subresource),
                now=now,
            )
            meta = new.setdefault("metadata", {})
            meta.pop("managedFields", None)
            if entries:
                meta["managedFields"] = entries
        self.live = stored(new)


def stored(obj: dict[str, Any]) -> dict[str, Any]:
    """What storage adds on create (later writes keep it)."""
    meta = obj.setdefault("metadata", {})
    meta.setdefault("uid", "0b0b0b0b-0000-4000-8000-000000000001")
    meta.setdefault("creationTimestamp", "2025-01-01T00:00:00Z")
    return obj


def managers(obj: dict[str, Any] | None) -> list[tuple[Any, ...]]:
    """(manager, operation, subresource, time, FieldsV1 JSON) per entry, in stored order."""
    entries = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    return [
        (
            e["manager"],
            e["operation"],
            e.get("subresource"),
            e.get("time"),
            fieldset.to_json(e["fieldsV1"]),
        )
        for e in entries
    ]


def at(obj: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(obj, dict) or name not in obj:
            return MISSING
        obj = obj[name]
    return obj


# --- Objects ------------------------------------------------------------------------------


def cm(labels: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "web", "namespace": "default", **meta}
    if labels is not None:
        metadata["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}


def deploy(
    spec: dict[str, Any] | None = None,
    *,
    labels: dict[str, str] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "web", "namespace": "default"}
    if labels is not None:
        metadata["labels"] = labels
    out: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata}
    if spec is not None:
        out["spec"] = spec
    if status is not None:
        out["status"] = status
    return out


def pod(**spec: Any) -> dict[str, Any]:
    """A Deployment spec with only these pod-template spec fields."""
    return {"template": {"spec": spec}}


def ctr(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": f"{name}:1", **extra}


def setter(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(obj: dict[str, Any]) -> None:
        for name in path[:-1]:
            obj = obj.setdefault(name, {})
        obj[path[-1]] = value

    return change


def replace_with(new: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(obj: dict[str, Any]) -> None:
        meta = obj.get("metadata", {})
        obj.clear()
        obj.update(copy.deepcopy(new))
        for kept in ("uid", "creationTimestamp", "managedFields"):
            if kept in meta:
                obj["metadata"][kept] = meta[kept]

    return change


SSA1 = deploy(
    {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}
                ]
            },
        },
    },
    labels={"app": "web"},
)
SSA1_FIELDS = (
    '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},'
    '"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":'
    '{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":'
    '{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}'
)


def defaulted(obj: dict[str, Any]) -> None:
    """What defaulting adds to SSA1's Deployment (a sample)."""
    container = obj["spec"]["template"]["spec"]["containers"][0]
    container["ports"][0]["protocol"] = "TCP"
    container["imagePullPolicy"] = "IfNotPresent"
    obj["spec"]["revisionHistoryLimit"] = 10
    obj["metadata"]["generation"] = 1


def labels_of(owner: str) -> str:
    return '{"f:metadata":{"f:labels":{' + owner + "}}}"


APP, TIER = '"f:app":{}', '"f:tier":{}'
ALICE_AB = Apply("alice", cm({"app": "web", "tier": "fe"}))
BOB_B = Apply("bob", cm({"tier": "fe"}))
CAROL_FORCE = Apply("carol", cm({"tier": "be"}), force=True)


def containers_of(*names: str, args: str = "") -> str:
    items = []
    for name in names:
        inner = '".":{},' + ('"f:args":{},' if name == args else "") + '"f:image":{},"f:name":{}'
        items.append('"k:{\\"name\\":\\"' + name + '\\"}":{' + inner + "}")
    return '{"f:spec":{"f:template":{"f:spec":{"f:containers":{' + ",".join(items) + "}}}}}"


CONTAINERS = ("spec", "template", "spec", "containers")
SSA10 = [
    Apply("alice", deploy(pod(containers=[ctr("a"), ctr("b"), ctr("c")]))),
    Apply("alice", deploy(pod(containers=[ctr("c"), ctr("a")]))),
    Apply("bob", deploy(pod(containers=[ctr("d")]))),
    Apply("alice", deploy(pod(containers=[ctr("c", args=["x", "y"]), ctr("e"), ctr("a")]))),
]
BOB_ARGS_Z = deploy(pod(containers=[{"name": "c", "args": ["z"]}]))
FINALIZERS = ("metadata", "finalizers")
SSA12 = [
    Update("creator", replace_with({**cm(), "data": {"k": "v"}})),
    Update("ctrl", setter(FINALIZERS, ["a", "x", "b"])),
]
NODE_SELECTOR = ("spec", "template", "spec", "nodeSelector")
SSA13 = Apply("alice", deploy(pod(nodeSelector={"disk": "ssd", "zone": "a"})))
SSA14_LIVE = Store(replace_with(deploy({"replicas": 1, "paused": False}, labels={"app": "web"})))
SSA14_APPLY = deploy({"replicas": 3}, labels={"app": "web"})
M0 = deploy(
    {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
        },
    },
    labels={"app": "web"},
)
M0_ANNOTATED = copy.deepcopy(M0)
M0_ANNOTATED["metadata"]["annotations"] = {apply.LAST_APPLIED: fieldset.go_json(M0) + "\n"}
M1 = copy.deepcopy(M0)
M1["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
SSA17 = [
    Update("kubectl-client-side-apply", replace_with(M0_ANNOTATED)),
    Update("kubectl", setter(("spec", "replicas"), 5)),
]
IMAGE = (*CONTAINERS, "0", "image")
