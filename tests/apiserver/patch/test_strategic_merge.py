"""Strategic merge patch, as kube-apiserver 1.32 applies it to built-in kinds: what it stores.

The first table is the 23 examples of reference/kubernetes-write-semantics.md 2.9, verified
there against the real library; the others pin the ordering rules (2.7) and the directives
(2.4-2.8), on the real built-in types: containers merge by name, ports by containerPort,
finalizers are a primitive merge list, tolerations are replaced, Deployment.spec.strategy
retains keys, volumes merge by name and retain keys. The failures are in
test_strategic_errors.py.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitferry.apiserver import schema
from gitferry.apiserver.patch import strategic
from tests.apiserver.patch.strategic_objects import DEPLOYMENT, POD, ctr, meta, spec

REFERENCE_EXAMPLES = [
    pytest.param(
        POD,
        meta(labels={"a": "1", "b": "2"}),
        meta(labels={"a": None, "c": "3"}),
        meta(labels={"b": "2", "c": "3"}),
        id="01-null-deletes-a-label",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a", args=["1", "2"])]),
        spec(containers=[{"name": "a", "args": ["3"]}]),
        spec(containers=[ctr("a", args=["3"])]),
        id="02-item-merged-by-key-and-its-args-replaced",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b", "y")]),
        spec(containers=[ctr("c", "z")]),
        spec(containers=[ctr("c", "z"), ctr("a"), ctr("b", "y")]),
        id="03-new-item-is-prepended",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b")]),
        spec(
            **{
                "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                "containers": [ctr("c", "z")],
            }
        ),
        spec(containers=[ctr("a"), ctr("b"), ctr("c", "z")]),
        id="04-set-element-order-places-the-new-item-last",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b")]),
        spec(containers=[{"name": "a", "$patch": "delete"}]),
        spec(containers=[ctr("b")]),
        id="05-delete-directive-removes-the-item",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b")]),
        spec(containers=[ctr("c", "z"), {"$patch": "replace"}]),
        spec(containers=[ctr("c", "z")]),
        id="06-replace-directive-replaces-the-list",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b")]),
        spec(**{"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}),
        spec(containers=[ctr("b"), ctr("a")]),
        id="07-set-element-order-alone-reorders",
    ),
    pytest.param(
        POD,
        meta(finalizers=["a", "b", "c"]),
        meta(**{"$deleteFromPrimitiveList/finalizers": ["b"]}),
        meta(finalizers=["a", "c"]),
        id="08-delete-from-primitive-list",
    ),
    pytest.param(
        POD,
        meta(finalizers=["a", "b", "c"]),
        meta(**{"$setElementOrder/finalizers": ["c", "a", "b", "d"], "finalizers": ["d"]}),
        meta(finalizers=["c", "a", "b", "d"]),
        id="09-set-element-order-of-a-primitive-list",
    ),
    pytest.param(
        DEPLOYMENT,
        spec(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}),
        spec(strategy={"$retainKeys": ["type"], "type": "Recreate"}),
        spec(strategy={"type": "Recreate"}),
        id="10-retain-keys-clears-unlisted-keys",
    ),
    pytest.param(
        DEPLOYMENT,
        spec(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}),
        spec(strategy={"type": "Recreate"}),
        spec(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
        id="11-retain-keys-field-merges-normally-without-the-directive",
    ),
    pytest.param(
        POD,
        spec(volumes=[{"name": "v", "emptyDir": {}}]),
        spec(
            volumes=[
                {"name": "v", "configMap": {"name": "cm"}, "$retainKeys": ["configMap", "name"]}
            ]
        ),
        spec(volumes=[{"name": "v", "configMap": {"name": "cm"}}]),
        id="12-retain-keys-in-a-volume-drops-the-old-source",
    ),
    pytest.param(
        POD,
        spec(nodeSelector={"a": "1"}),
        spec(nodeSelector={"$patch": "replace", "b": "2"}),
        spec(nodeSelector={"b": "2"}),
        id="13-replace-directive-replaces-a-map",
    ),
    pytest.param(
        POD,
        spec(nodeSelector={"a": "1"}),
        spec(nodeSelector={"$patch": "delete"}),
        spec(nodeSelector={}),
        id="14-delete-directive-empties-a-map",
    ),
    pytest.param(
        POD,
        spec(tolerations=[{"key": "a"}]),
        spec(tolerations=[{"key": "b"}]),
        spec(tolerations=[{"key": "b"}]),
        id="15-list-without-merge-strategy-is-replaced",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a", ports=[{"containerPort": 80, "name": "http"}])]),
        spec(containers=[{"name": "a", "ports": [{"containerPort": 443, "name": "https"}]}]),
        spec(
            containers=[
                ctr(
                    "a",
                    ports=[
                        {"containerPort": 443, "name": "https"},
                        {"containerPort": 80, "name": "http"},
                    ],
                )
            ]
        ),
        id="16-new-port-goes-first",
    ),
    pytest.param(
        POD,
        spec(
            containers=[
                ctr(
                    "a",
                    ports=[
                        {"containerPort": 80, "protocol": "TCP"},
                        {"containerPort": 80, "protocol": "UDP"},
                    ],
                )
            ]
        ),
        spec(containers=[{"name": "a", "ports": [{"containerPort": 80, "name": "dns"}]}]),
        spec(
            containers=[
                ctr(
                    "a",
                    ports=[
                        {"containerPort": 80, "protocol": "TCP", "name": "dns"},
                        {"containerPort": 80, "protocol": "UDP"},
                    ],
                )
            ]
        ),
        id="17-ports-merge-on-the-port-number-alone",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a", env=[{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}])]),
        spec(
            containers=[
                {
                    "name": "a",
                    "env": [{"name": "X", "$patch": "delete"}, {"name": "Z", "value": "3"}],
                }
            ]
        ),
        spec(containers=[ctr("a", env=[{"name": "Z", "value": "3"}, {"name": "Y", "value": "2"}])]),
        id="18-delete-and-add-in-one-list",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a")]),
        spec(containers=[]),
        spec(containers=[ctr("a")]),
        id="20-empty-merge-list-is-a-no-op",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a")]),
        spec(containers=None),
        spec(),
        id="21-null-removes-a-merge-list",
    ),
    pytest.param(
        POD,
        meta(labels={"a": "1"}),
        {"$patch": "replace", "metadata": {"labels": {"b": "1"}}},
        meta(labels={"b": "1"}),
        id="22-top-level-replace-replaces-the-object",
    ),
    pytest.param(
        POD,
        {
            "metadata": {"labels": {"app": "web", "tier": "front"}},
            "spec": {"containers": [ctr("nginx", "nginx:1.25"), ctr("sidecar", "envoy")]},
        },
        {
            "metadata": {"labels": {"tier": None}},
            "spec": {
                "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                "containers": [{"image": "nginx:1.26", "name": "nginx"}],
            },
        },
        {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [ctr("nginx", "nginx:1.26"), ctr("sidecar", "envoy")]},
        },
        id="23-typical-kubectl-client-side-apply",
    ),
]

ORDERING = [
    pytest.param(
        POD,
        meta(finalizers=["a", "b"]),
        meta(finalizers=["c"]),
        meta(finalizers=["c", "a", "b"]),
        id="new-primitive-is-prepended",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b")]),
        spec(containers=[ctr("b", "y"), ctr("c")]),
        spec(containers=[ctr("a"), ctr("b", "y"), ctr("c")]),
        id="new-item-follows-a-mentioned-existing-one",
    ),
    pytest.param(
        POD,
        meta(finalizers=["1", "2"]),
        meta(finalizers=["2", "3"]),
        meta(finalizers=["1", "2", "3"]),
        id="primitives-are-unioned",
    ),
    pytest.param(
        POD,
        meta(finalizers=["a"]),
        meta(finalizers=["a", "a", "b"]),
        meta(finalizers=["a", "b"]),
        id="primitives-are-deduplicated",
    ),
    pytest.param(
        POD,
        meta(finalizers=["1", "2", "3"]),
        meta(finalizers=["3", "1"]),
        meta(finalizers=["2", "3", "1"]),
        id="patch-order-wins-among-patch-items",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b"), ctr("c"), ctr("d")]),
        spec(**{"$setElementOrder/containers": [{"name": "d"}, {"name": "b"}]}),
        spec(containers=[ctr("a"), ctr("c"), ctr("d"), ctr("b")]),
        id="server-only-items-keep-their-positions",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b")]),
        spec(
            **{"$setElementOrder/containers": [{"name": "a"}, {"name": "c"}]}, containers=[ctr("c")]
        ),
        spec(containers=[ctr("a"), ctr("c"), ctr("b")]),
        id="ordered-new-item-goes-before-remaining-server-only-items",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b")]),
        spec(**{"$setElementOrder/containers": [{"name": "b"}, {"name": "zz"}, {"name": "a"}]}),
        spec(containers=[ctr("b"), ctr("a")]),
        id="set-element-order-never-creates-items",
    ),
    pytest.param(
        POD,
        spec(),
        spec(
            **{"$setElementOrder/initContainers": [{"name": "b"}, {"name": "a"}]},
            initContainers=[ctr("b"), ctr("a")],
        ),
        spec(initContainers=[ctr("b"), ctr("a")]),
        id="set-element-order-of-a-new-list",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a")]),
        spec(containers=[ctr("c", "z"), {"name": "c", "args": ["1"]}]),
        spec(containers=[ctr("c", "z", args=["1"]), ctr("a")]),
        id="repeated-new-key-merges-into-the-item-just-added",
    ),
]

DIRECTIVES = [
    pytest.param(
        POD,
        spec(containers=[ctr("a")]),
        spec(containers=[{"name": "zz", "$patch": "delete"}]),
        spec(containers=[ctr("a")]),
        id="deleting-an-absent-item-is-a-no-op",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a", env=[{"name": "X"}, {"name": "Y"}, {"name": "X"}])]),
        spec(containers=[{"name": "a", "env": [{"name": "X", "$patch": "delete"}]}]),
        spec(containers=[ctr("a", env=[{"name": "Y"}])]),
        id="delete-removes-every-item-with-the-key",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b")]),
        spec(containers=[{"$patch": "replace"}]),
        spec(containers=[]),
        id="replace-alone-empties-the-list",
    ),
    pytest.param(
        POD,
        meta(labels={"a": "1"}),
        meta(**{"$deleteFromPrimitiveList/finalizers": ["a"]}),
        meta(labels={"a": "1"}),
        id="delete-from-an-absent-primitive-list-creates-nothing",
    ),
    pytest.param(
        POD,
        meta(finalizers=["a"]),
        meta(**{"$deleteFromPrimitiveList/finalizers": ["zz"]}),
        meta(finalizers=["a"]),
        id="deleting-absent-primitives-is-a-no-op",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a", args=["1", "2", "3"])]),
        spec(containers=[{"name": "a", "$deleteFromPrimitiveList/args": ["2"]}]),
        spec(containers=[ctr("a", args=["1", "3"])]),
        id="delete-from-a-list-without-merge-strategy",
    ),
    pytest.param(
        POD,
        meta(finalizers=["a", "b", "c"]),
        meta(
            **{
                "$setElementOrder/finalizers": ["a", "c"],
                "$deleteFromPrimitiveList/finalizers": ["b"],
            }
        ),
        meta(finalizers=["a", "c"]),
        id="kubectl-removing-a-finalizer",
    ),
    pytest.param(
        DEPLOYMENT,
        spec(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}),
        spec(strategy={"$retainKeys": ["type", "rollingUpdate"], "type": "Recreate"}),
        spec(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
        id="retain-keys-keeps-listed-keys-the-patch-does-not-set",
    ),
    pytest.param(
        POD,
        spec(volumes=[{"name": "v", "emptyDir": {}}]),
        spec(volumes=[{"name": "w", "emptyDir": {}, "$retainKeys": ["emptyDir", "name"]}]),
        spec(volumes=[{"name": "w", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]),
        id="new-item-is-stored-without-its-directives",
    ),
    pytest.param(
        POD,
        spec(),
        spec(
            affinity={
                "nodeAffinity": {"$patch": "delete"},
                "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": None},
            },
            nodeSelector={"a": "1", "b": None},
        ),
        spec(affinity={"podAffinity": {}}, nodeSelector={"a": "1"}),
        id="new-field-loses-nulls-and-maps-carrying-directives",
    ),
    pytest.param(
        POD,
        spec(tolerations=[{"key": "a"}]),
        spec(tolerations=[{"key": "b", "$patch": "delete", "value": None}]),
        spec(tolerations=[{"key": "b"}]),
        id="replaced-list-is-stored-without-directives-or-nulls",
    ),
    pytest.param(
        POD,
        {"spec": {"nodeSelector": "oops"}},
        spec(nodeSelector={"a": "1", "b": None}),
        spec(nodeSelector={"a": "1"}),
        id="value-of-another-type-is-replaced",
    ),
    pytest.param(
        POD,
        meta(labels={"a": "1"}),
        {"$patch": "delete"},
        {},
        id="top-level-delete-empties-the-object",
    ),
]


def _directive_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [
            key for key in value if key.startswith(("$patch", "$retainKeys", "$setEl", "$del"))
        ]
        return found + [key for item in value.values() for key in _directive_keys(item)]
    if isinstance(value, list):
        return [key for item in value for key in _directive_keys(item)]
    return []


@pytest.mark.parametrize(
    ("node", "original", "patch", "expected"), REFERENCE_EXAMPLES + ORDERING + DIRECTIVES
)
def test_strategic_merge_patch_stores_what_kube_apiserver_stores(
    node: schema.TypeNode, original: dict[str, Any], patch: dict[str, Any], expected: Any
) -> None:
    before = copy.deepcopy((original, patch))
    result = strategic.apply(original, patch, node)
    assert result == expected
    assert _directive_keys(result) == []
    assert (original, patch) == before, "inputs must not be mutated"
