"""Server-side apply, as kube-apiserver 1.32 does it: the worked examples SSA-1 to SSA-17 of
reference/kubernetes-write-semantics.md 1.16.

Each row plays a story of writes against one stored object (the player is in ssa_story.py) and
checks the stored result: the object, and each managedFields entry as (manager, operation,
subresource, time, FieldsV1). Step i of a story runs at time T(i). The exact layout of the
entries themselves is in test_apply_entries.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from gitferry.apiserver.fields import apply, fieldset
from gitferry.apiserver.fields.typed import MISSING
from tests.apiserver.fields.ssa_story import (
    ALICE_AB,
    APP,
    BOB_ARGS_Z,
    BOB_B,
    CAROL_FORCE,
    CONTAINERS,
    FINALIZERS,
    M1,
    NODE_SELECTOR,
    SSA1,
    SSA1_FIELDS,
    SSA10,
    SSA12,
    SSA13,
    SSA14_APPLY,
    SSA14_LIVE,
    SSA17,
    TIER,
    Apply,
    Step,
    Store,
    Story,
    T,
    Update,
    at,
    cm,
    containers_of,
    ctr,
    defaulted,
    deploy,
    labels_of,
    managers,
    pod,
    setter,
)


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
