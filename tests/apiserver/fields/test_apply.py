"""Server-side apply, as kube-apiserver 1.32 does it: the worked examples SSA-1 to SSA-17 of
reference/kubernetes-write-semantics.md 1.16, then the failures (1.1, 1.8, 5.2).

Each row plays a story of writes against one stored object, the way the API server's
handlers drive `apply.apply` and `update.track_update`, and checks the stored result: the
object, and each managedFields entry as (manager, operation, subresource, time, FieldsV1).
Step i of a story runs at time T(i).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitferry.apiserver import errors, schema
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


@dataclass(frozen=True)
class Expect:
    managers: list[tuple[Any, ...]] | None = None
    values: dict[tuple[str, ...], Any] = field(default_factory=dict)
    unchanged: bool = False  # the last apply returned the stored object itself
    owns: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    not_owns: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)


STORIES = [
    pytest.param(
        [Apply("kubectl", SSA1)],
        Expect(
            managers=[("kubectl", "Apply", None, T(0), SSA1_FIELDS)],
            values={(*CONTAINERS,): SSA1["spec"]["template"]["spec"]["containers"]},
        ),
        id="ssa1-create-owns-applied-fields-port-key-has-defaulted-protocol",
    ),
    pytest.param(
        [Apply("kubectl", SSA1), Store(defaulted), Apply("kubectl", SSA1)],
        Expect(managers=[("kubectl", "Apply", None, T(0), SSA1_FIELDS)], unchanged=True),
        id="ssa2-identical-reapply-over-defaults-is-a-no-op",
    ),
    pytest.param(
        [ALICE_AB],
        Expect(managers=[("alice", "Apply", None, T(0), labels_of(f"{APP},{TIER}"))]),
        id="ssa3-applier-owns-its-labels",
    ),
    pytest.param(
        [ALICE_AB, BOB_B],
        Expect(
            managers=[
                ("bob", "Apply", None, None, labels_of(TIER)),
                ("alice", "Apply", None, T(0), labels_of(f"{APP},{TIER}")),
            ],
            values={("metadata", "labels"): {"app": "web", "tier": "fe"}},
        ),
        id="ssa3-applying-the-same-value-shares-ownership-and-sets-no-time",
    ),
    pytest.param(
        [ALICE_AB, BOB_B, CAROL_FORCE],
        Expect(
            managers=[
                ("alice", "Apply", None, T(0), labels_of(APP)),
                ("carol", "Apply", None, T(2), labels_of(TIER)),
            ],
            values={("metadata", "labels"): {"app": "web", "tier": "be"}},
        ),
        id="ssa5-force-takes-the-field-and-drops-emptied-managers",
    ),
    pytest.param(
        [ALICE_AB, BOB_B, CAROL_FORCE, Apply("carol", cm())],
        Expect(
            managers=[("alice", "Apply", None, T(0), labels_of(APP))],
            values={("metadata", "labels"): {"app": "web"}},
        ),
        id="ssa6-dropping-a-solely-owned-field-deletes-it",
    ),
    pytest.param(
        [ALICE_AB, BOB_B, Apply("alice", cm({"app": "web"}))],
        Expect(
            managers=[
                ("bob", "Apply", None, None, labels_of(TIER)),
                ("alice", "Apply", None, T(0), labels_of(APP)),
            ],
            values={("metadata", "labels"): {"app": "web", "tier": "fe"}},
        ),
        id="ssa7-dropping-a-co-owned-field-keeps-it",
    ),
    pytest.param(
        [ALICE_AB, BOB_B, Apply("alice", cm({"app": "web"})), Apply("bob", cm())],
        Expect(
            managers=[("alice", "Apply", None, T(0), labels_of(APP))],
            values={("metadata", "labels"): {"app": "web"}},
        ),
        id="ssa7-last-owner-dropping-the-field-deletes-it",
    ),
    pytest.param(
        [
            Apply("alice", deploy({"replicas": 3})),
            Update("kube-controller-manager", setter(("spec", "replicas"), 7)),
        ],
        Expect(
            managers=[
                ("kube-controller-manager", "Update", None, T(1), '{"f:spec":{"f:replicas":{}}}')
            ],
            values={("spec", "replicas"): 7},
        ),
        id="ssa8-update-takes-ownership-silently",
    ),
    pytest.param(
        [
            Apply("alice", deploy({"replicas": 3})),
            Update("kube-controller-manager", setter(("spec", "replicas"), 7)),
            Apply("alice", deploy()),
        ],
        Expect(values={("spec", "replicas"): 7}, unchanged=True),
        id="ssa8-applier-that-lost-a-field-cannot-prune-it",
    ),
    pytest.param(
        SSA10[:2],
        Expect(
            managers=[("alice", "Apply", None, T(1), containers_of("a", "c"))],
            values={CONTAINERS: [ctr("c"), ctr("a")]},
        ),
        id="ssa10-reapplying-a-subset-prunes-and-follows-config-order",
    ),
    pytest.param(
        SSA10[:3],
        Expect(
            managers=[
                ("alice", "Apply", None, T(1), containers_of("a", "c")),
                ("bob", "Apply", None, T(2), containers_of("d")),
            ],
            values={CONTAINERS: [ctr("c"), ctr("a"), ctr("d")]},
        ),
        id="ssa10-new-item-of-another-applier-goes-last",
    ),
    pytest.param(
        SSA10,
        Expect(
            managers=[
                ("bob", "Apply", None, T(2), containers_of("d")),
                ("alice", "Apply", None, T(3), containers_of("a", "c", "e", args="c")),
            ],
            values={CONTAINERS: [ctr("c", args=["x", "y"]), ctr("e"), ctr("a"), ctr("d")]},
        ),
        id="ssa10-new-config-item-lands-between-shared-items",
    ),
    pytest.param(
        [*SSA10, Apply("bob", BOB_ARGS_Z, force=True)],
        Expect(
            managers=[
                ("alice", "Apply", None, T(3), containers_of("a", "c", "e")),
                (
                    "bob",
                    "Apply",
                    None,
                    T(4),
                    '{"f:spec":{"f:template":{"f:spec":{"f:containers":'
                    '{"k:{\\"name\\":\\"c\\"}":{".":{},"f:args":{},"f:name":{}}}}}}}',
                ),
            ],
            values={CONTAINERS: [ctr("c", args=["z"]), ctr("e"), ctr("a")]},
        ),
        id="ssa10-force-takes-args-and-prunes-the-item-bob-dropped",
    ),
    pytest.param(
        [Apply("alice", deploy(pod(containers=[], tolerations=[])))],
        Expect(
            managers=[
                (
                    "alice",
                    "Apply",
                    None,
                    T(0),
                    '{"f:spec":{"f:template":{"f:spec":{"f:tolerations":{}}}}}',
                )
            ]
        ),
        id="ssa11-empty-atomic-list-is-owned-empty-keyed-list-is-not",
    ),
    pytest.param(
        [
            Apply("alice", deploy(pod(containers=[ctr("a")]))),
            Apply("alice", deploy(pod(containers=[]))),
        ],
        Expect(managers=[], values={CONTAINERS: MISSING}),
        id="ssa11-empty-keyed-list-prunes-previously-applied-items",
    ),
    pytest.param(
        SSA12,
        Expect(
            managers=[
                ("creator", "Update", None, T(0), '{"f:data":{".":{},"f:k":{}}}'),
                (
                    "ctrl",
                    "Update",
                    None,
                    T(1),
                    '{"f:metadata":{"f:finalizers":{".":{},"v:\\"a\\"":{},"v:\\"b\\"":{},'
                    '"v:\\"x\\"":{}}}}',
                ),
            ],
        ),
        id="ssa12-update-owns-added-set-and-its-items",
    ),
    pytest.param(
        [*SSA12, Apply("alice", cm(finalizers=["b", "a", "new"]))],
        Expect(
            managers=[
                (
                    "alice",
                    "Apply",
                    None,
                    T(2),
                    '{"f:metadata":{"f:finalizers":{"v:\\"a\\"":{},"v:\\"b\\"":{},'
                    '"v:\\"new\\"":{}}}}',
                ),
                ("creator", "Update", None, T(0), '{"f:data":{".":{},"f:k":{}}}'),
                (
                    "ctrl",
                    "Update",
                    None,
                    T(1),
                    '{"f:metadata":{"f:finalizers":{".":{},"v:\\"a\\"":{},"v:\\"b\\"":{},'
                    '"v:\\"x\\"":{}}}}',
                ),
            ],
            values={FINALIZERS: ["x", "b", "a", "new"]},
        ),
        id="ssa12-set-merge-keeps-live-only-items-first",
    ),
    pytest.param(
        [
            *SSA12,
            Apply("alice", cm(finalizers=["b", "a", "new"])),
            Apply("alice", cm(finalizers=[])),
        ],
        Expect(values={FINALIZERS: ["x", "b", "a"]}, not_owns={"alice": [()]}),
        id="ssa12-empty-set-prunes-only-items-nobody-else-owns",
    ),
    pytest.param(
        [SSA13],
        Expect(
            managers=[
                (
                    "alice",
                    "Apply",
                    None,
                    T(0),
                    '{"f:spec":{"f:template":{"f:spec":{"f:nodeSelector":{}}}}}',
                )
            ]
        ),
        id="ssa13-atomic-map-is-one-leaf",
    ),
    pytest.param(
        [SSA13, Apply("bob", deploy(pod(nodeSelector={"gpu": "true"})), force=True)],
        Expect(
            managers=[
                (
                    "bob",
                    "Apply",
                    None,
                    T(1),
                    '{"f:spec":{"f:template":{"f:spec":{"f:nodeSelector":{}}}}}',
                )
            ],
            values={NODE_SELECTOR: {"gpu": "true"}},
        ),
        id="ssa13-forced-atomic-map-is-replaced-not-merged",
    ),
    pytest.param(
        [
            Apply("alice", deploy({"template": {"metadata": {"labels": {"a": "1"}}}})),
            Apply("bob", deploy({"template": {"metadata": {"labels": {"b": "2"}}}})),
        ],
        Expect(values={("spec", "template", "metadata", "labels"): {"a": "1", "b": "2"}}),
        id="ssa13-granular-map-merges-keys-without-conflict",
    ),
    pytest.param(
        [SSA14_LIVE, Apply("kubectl", SSA14_APPLY, force=True)],
        Expect(
            owns={
                "before-first-apply": [
                    ("f:metadata", "f:labels", "f:app"),
                    ("f:spec", "f:paused"),
                ],
                "kubectl": [("f:metadata", "f:labels", "f:app"), ("f:spec", "f:replicas")],
            },
            not_owns={"before-first-apply": [("f:spec", "f:replicas"), ("f:metadata", "f:name")]},
            values={("spec", "replicas"): 3},
        ),
        id="ssa14-untracked-object-gets-before-first-apply-owner",
    ),
    pytest.param(
        [Apply("alice", deploy({"replicas": None}))],
        Expect(
            managers=[("alice", "Apply", None, T(0), '{"f:spec":{"f:replicas":{}}}')],
            values={("spec", "replicas"): None},
        ),
        id="ssa15-explicit-null-is-owned-and-kept-for-defaulting",
    ),
    pytest.param(
        [
            Apply("alice", deploy({"replicas": 2})),
            Store(setter(("status",), {"replicas": 1})),
            Apply("alice", deploy({"replicas": 2}, status={"replicas": 9})),
        ],
        Expect(values={("status",): {"replicas": 1}}, unchanged=True),
        id="ssa16-status-on-the-main-resource-is-ignored",
    ),
    pytest.param(
        [
            Apply("alice", deploy({"replicas": 2})),
            Apply(
                "my-ctrl",
                deploy(status={"conditions": [{"type": "Available", "status": "True"}]}),
                subresource="status",
            ),
            Apply("alice", deploy({"replicas": 3})),
        ],
        Expect(
            managers=[
                (
                    "my-ctrl",
                    "Apply",
                    "status",
                    T(1),
                    '{"f:status":{"f:conditions":{"k:{\\"type\\":\\"Available\\"}":'
                    '{".":{},"f:status":{},"f:type":{}}}}}',
                ),
                ("alice", "Apply", None, T(2), '{"f:spec":{"f:replicas":{}}}'),
            ],
            values={("spec", "replicas"): 3},
        ),
        id="ssa16-status-applier-is-a-separate-manager",
    ),
    pytest.param(
        [*SSA17, Apply("kubectl", M1, force=True)],
        Expect(
            values={
                ("metadata", "annotations"): {apply.LAST_APPLIED: fieldset.go_json(M1) + "\n"},
                ("spec", "replicas"): 2,
            },
            owns={"kubectl": [(*map("f:".__add__, ("spec", "replicas")),)]},
            not_owns={
                "kubectl-client-side-apply": [
                    (
                        "f:spec",
                        "f:template",
                        "f:spec",
                        "f:containers",
                        'k:{"name":"nginx"}',
                        "f:image",
                    )
                ]
            },
        ),
        id="ssa17-forced-kubectl-apply-rewrites-last-applied",
    ),
    pytest.param(
        [*SSA17, Apply("kubectl", {**M1, "spec": {**M1["spec"], "replicas": 5}})],
        Expect(
            values={
                ("spec", "template", "spec", "containers"): M1["spec"]["template"]["spec"][
                    "containers"
                ]
            },
            not_owns={
                "kubectl-client-side-apply": [
                    (
                        "f:spec",
                        "f:template",
                        "f:spec",
                        "f:containers",
                        'k:{"name":"nginx"}',
                        "f:image",
                    )
                ]
            },
        ),
        id="ssa17-conflicts-matching-last-applied-are-forgiven-for-kubectl",
    ),
]


def owned(obj: dict[str, Any] | None, manager: str) -> dict[str, Any]:
    for entry in ((obj or {}).get("metadata") or {}).get("managedFields") or []:
        if entry["manager"] == manager:
            return fieldset.decode(entry["fieldsV1"])
    return {}


@pytest.mark.parametrize(("steps", "expect"), STORIES)
def test_worked_examples(steps: list[Step], expect: Expect) -> None:
    # Stories made only of Updates are the ConfigMap ones (SSA-12's first step).
    kind = next((s.config["kind"] for s in steps if isinstance(s, Apply)), "ConfigMap")
    story = Story(kind)
    result = story.run(steps)
    if expect.managers is not None:
        assert managers(result) == expect.managers
    for path, value in expect.values.items():
        assert at(result, path) == value, path
    assert story.returned_live == expect.unchanged
    for manager, paths in expect.owns.items():
        for path in paths:
            assert fieldset.has(owned(result, manager), path), (manager, path)
    for manager, paths in expect.not_owns.items():
        for path in paths:
            fields = owned(result, manager)
            assert (not fields) if path == () else not fieldset.has(fields, path)


def test_ssa1_entry_is_written_as_kube_apiserver_writes_it() -> None:
    result = Story("Deployment").run([Apply("kubectl", SSA1)])
    assert result is not None
    assert result["metadata"]["managedFields"] == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "apps/v1",
            "time": T(0),
            "fieldsType": "FieldsV1",
            "fieldsV1": fieldset.decode(orjson_loads(SSA1_FIELDS)),
        }
    ]
    assert list(result["metadata"]["managedFields"][0]) == [
        "manager",
        "operation",
        "apiVersion",
        "time",
        "fieldsType",
        "fieldsV1",
    ]


def test_ssa16_status_entry_names_its_subresource_last() -> None:
    steps: list[Step] = [
        Apply("alice", deploy({"replicas": 2})),
        Apply("my-ctrl", deploy(status={"replicas": 1}), subresource="status"),
    ]
    result = Story("Deployment").run(steps)
    assert result is not None
    entry = result["metadata"]["managedFields"][1]
    assert list(entry) == [
        "manager",
        "operation",
        "apiVersion",
        "time",
        "fieldsType",
        "fieldsV1",
        "subresource",
    ]
    assert entry["subresource"] == "status"


def orjson_loads(text: str) -> Any:
    import json

    return json.loads(text)


# --- Failures ------------------------------------------------------------------------------


def conflict(message: str, *causes: tuple[str, str]) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Conflict",
        "details": {
            "causes": [
                {"reason": "FieldManagerConflict", "message": f"conflict with {who}", "field": path}
                for who, path in causes
            ]
        },
        "code": 409,
    }


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}}
    body["status"] = "Failure"
    body["message"] = message
    if reason:
        body["reason"] = reason
    body["code"] = code
    return body


def typing_error(problem: str) -> dict[str, Any]:
    return status(
        500,
        "",
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): " + problem,
    )


KCM_REPLICAS = [
    Apply("alice", deploy({"replicas": 3})),
    Update("kube-controller-manager", setter(("spec", "replicas"), 7)),
]
CONTAINERS_PATH = ".spec.template.spec.containers"

FAILURES = [
    pytest.param(
        [ALICE_AB, BOB_B, Apply("carol", cm({"tier": "be"}))],
        conflict(
            'Apply failed with 2 conflicts: conflicts with "alice":\n- .metadata.labels.tier\n'
            'conflicts with "bob":\n- .metadata.labels.tier',
            ('"alice"', ".metadata.labels.tier"),
            ('"bob"', ".metadata.labels.tier"),
        ),
        id="ssa4-changing-a-co-owned-value-conflicts-with-each-owner",
    ),
    pytest.param(
        [*KCM_REPLICAS, Apply("alice", deploy({"replicas": 3}))],
        conflict(
            'Apply failed with 1 conflict: conflict with "kube-controller-manager" using '
            "apps/v1: .spec.replicas",
            ('"kube-controller-manager" using apps/v1', ".spec.replicas"),
        ),
        id="ssa8-reapplying-a-field-an-update-took-conflicts",
    ),
    pytest.param(
        [
            Apply("alice", deploy({"replicas": 1})),
            Update("kubectl", setter(("spec", "replicas"), 5)),
            Apply("kubectl", deploy({"replicas": 2})),
        ],
        conflict(
            'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas',
            ('"kubectl" using apps/v1', ".spec.replicas"),
        ),
        id="ssa9-same-name-apply-conflicts-with-its-update",
    ),
    pytest.param(
        [
            Apply("alice", deploy({"replicas": 1})),
            Update("kubectl", setter(("spec", "replicas"), 5), subresource="scale"),
            Apply("kubectl", deploy({"replicas": 2})),
        ],
        conflict(
            'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
            "using apps/v1: .spec.replicas",
            ('"kubectl" with subresource "scale" using apps/v1', ".spec.replicas"),
        ),
        id="ssa9-update-through-scale-is-named-with-its-subresource",
    ),
    pytest.param(
        [*SSA10, Apply("bob", BOB_ARGS_Z)],
        conflict(
            'Apply failed with 1 conflict: conflict with "alice": '
            f'{CONTAINERS_PATH}[name="c"].args',
            ('"alice"', f'{CONTAINERS_PATH}[name="c"].args'),
        ),
        id="ssa10-changing-an-atomic-list-conflicts",
    ),
    pytest.param(
        [SSA13, Apply("bob", deploy(pod(nodeSelector={"gpu": "true"})))],
        conflict(
            'Apply failed with 1 conflict: conflict with "alice": .spec.template.spec.nodeSelector',
            ('"alice"', ".spec.template.spec.nodeSelector"),
        ),
        id="ssa13-changing-an-atomic-map-conflicts",
    ),
    pytest.param(
        [SSA14_LIVE, Apply("kubectl", SSA14_APPLY)],
        conflict(
            'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: '
            ".spec.replicas",
            ('"before-first-apply" using apps/v1', ".spec.replicas"),
        ),
        id="ssa14-before-first-apply-owns-what-was-there",
    ),
    pytest.param(
        [
            Apply("alice", deploy({"replicas": None})),
            Update("kube-controller-manager", setter(("spec", "replicas"), 7)),
            Apply("alice", deploy({"replicas": None})),
        ],
        conflict(
            'Apply failed with 1 conflict: conflict with "kube-controller-manager" using '
            "apps/v1: .spec.replicas",
            ('"kube-controller-manager" using apps/v1', ".spec.replicas"),
        ),
        id="ssa15-applying-null-over-a-value-is-a-change",
    ),
    pytest.param(
        [*SSA17, Apply("kubectl", M1)],
        conflict(
            'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas',
            ('"kubectl" using apps/v1', ".spec.replicas"),
        ),
        id="ssa17-kubectl-conflicts-only-where-live-left-last-applied",
    ),
    pytest.param(
        [*SSA17, Apply("other", M1)],
        conflict(
            "Apply failed with 2 conflicts: conflicts with "
            '"kubectl" using apps/v1:\n- .spec.replicas\nconflicts with '
            '"kubectl-client-side-apply" using apps/v1:\n'
            f'- {CONTAINERS_PATH}[name="nginx"].image',
            ('"kubectl" using apps/v1', ".spec.replicas"),
            ('"kubectl-client-side-apply" using apps/v1', f'{CONTAINERS_PATH}[name="nginx"].image'),
        ),
        id="last-applied-forgives-nothing-for-other-managers",
    ),
    pytest.param(
        [Apply("a", {**deploy(), "kind": "StatefulSet"})],
        status(400, "BadRequest", "invalid object type: apps/v1, Kind=StatefulSet"),
        id="wrong-kind-is-invalid-object-type",
    ),
    pytest.param(
        [Apply("a", {**deploy(), "apiVersion": "apps/v1beta1"})],
        status(400, "BadRequest", "invalid object type: apps/v1beta1, Kind=Deployment"),
        id="wrong-version-is-invalid-object-type-too",
    ),
    pytest.param(
        [Apply("a", deploy() | {"metadata": {"name": "web", "managedFields": []}})],
        status(400, "BadRequest", "metadata.managedFields must be nil"),
        id="managed-fields-in-body-even-empty",
    ),
    pytest.param(
        [Apply("a", deploy({"foo": 1}))],
        typing_error(".spec.foo: field not declared in schema"),
        id="undeclared-field-is-a-typing-error",
    ),
    pytest.param(
        [Apply("a", deploy(pod(containers=[ctr("a"), ctr("a")])))],
        typing_error(f'{CONTAINERS_PATH}: duplicate entries for key [name="a"]'),
        id="duplicate-key-is-a-typing-error",
    ),
    pytest.param(
        [Apply("a", deploy(pod(containers=[{"image": "x"}])))],
        typing_error(
            f"{CONTAINERS_PATH}: element 0: associative list with keys has an element that "
            'omits key field "name" (and doesn\'t have default value)'
        ),
        id="missing-key-field-is-a-typing-error",
    ),
    pytest.param(
        [Apply("a", deploy({"replicas": "two", "paused": 1}))],
        typing_error(
            "errors:\n  .spec.replicas: expected numeric (int or float), got string\n"
            "  .spec.paused: expected boolean, got &{1}"
        ),
        id="wrong-scalar-types-are-typing-errors",
    ),
    pytest.param(
        [
            Store(replace_with(deploy())),
            Store(setter(("metadata", "managedFields"), [{"operation": "Bogus"}])),
            Apply("a", deploy()),
        ],
        status(500, "", "failed to decode managed fields: operation must be `Apply` or `Update`"),
        id="undecodable-stored-managed-fields-fail-the-apply",
    ),
]


@pytest.mark.parametrize(("steps", "expected"), FAILURES)
def test_failures(steps: list[Step], expected: dict[str, Any]) -> None:
    story = Story("Deployment" if steps[-1].config["kind"] != "ConfigMap" else "ConfigMap")  # type: ignore[union-attr]
    story.run(steps[:-1])
    before = copy.deepcopy(story.live)
    with pytest.raises(errors.ApiError) as raised:
        story.step(steps[-1], T(len(steps) - 1))
    assert raised.value.status() == expected
    assert story.live == before


NAMES = [
    pytest.param(deploy(), "web", "default", None, id="matching-name-and-namespace"),
    pytest.param(
        deploy(),
        "api",
        "default",
        "the name of the object (web) does not match the name on the URL (api)",
        id="name-differs-from-url",
    ),
    pytest.param(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}},
        "web",
        "default",
        "the name of the object () does not match the name on the URL (web)",
        id="missing-name-differs-from-url",
    ),
    pytest.param(
        deploy(),
        "web",
        "prod",
        "the namespace of the provided object does not match the namespace sent on the request",
        id="namespace-differs-from-url",
    ),
    pytest.param(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
        "web",
        "prod",
        None,
        id="empty-namespace-takes-the-urls",
    ),
]


@pytest.mark.parametrize(("obj", "name", "namespace", "message"), NAMES)
def test_check_name(obj: dict[str, Any], name: str, namespace: str, message: str | None) -> None:
    if message is None:
        apply.check_name(obj, name=name, namespace=namespace)
        return
    with pytest.raises(errors.ApiError) as raised:
        apply.check_name(obj, name=name, namespace=namespace)
    assert (raised.value.code, raised.value.message) == (400, message)


# --- Properties -----------------------------------------------------------------------------

label_keys = st.text(alphabet="abcdefghij-./", min_size=1, max_size=6)
label_maps = st.dictionaries(label_keys, st.text(max_size=5), max_size=5)


@settings(max_examples=60, deadline=None)
@given(first=label_maps, second=label_maps, data=label_maps)
def test_applying_the_same_config_twice_changes_nothing(
    first: dict[str, str], second: dict[str, str], data: dict[str, str]
) -> None:
    story = Story("ConfigMap")
    story.run([Apply("alice", {**cm(first), "data": data}), Apply("bob", cm(second), force=True)])
    story.step(Apply("bob", cm(second)), T(9))
    assert story.returned_live
    story.step(Apply("alice", {**cm(first), "data": data}, force=True), T(10))
    again = story.live
    story.step(Apply("alice", {**cm(first), "data": data}), T(11))
    assert story.live is again


@settings(max_examples=60, deadline=None)
@given(old=label_maps.filter(bool), new=label_maps.filter(bool))
def test_a_sole_applier_ends_with_exactly_its_labels(
    old: dict[str, str], new: dict[str, str]
) -> None:
    # (An apply that owns nothing leaves the object untracked, so both configs own labels.)
    story = Story("ConfigMap")
    story.run([Apply("alice", cm(old)), Apply("alice", cm(new))])
    assert at(story.live, ("metadata", "labels")) == new
