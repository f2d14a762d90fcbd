"""Strategic merge patch, as kube-apiserver 1.32 applies it to built-in kinds.

The first table is the 23 examples of reference/kubernetes-write-semantics.md 2.9, verified
there against the real library; the others pin the ordering rules (2.7), the directives
(2.4-2.8) and the error mapping (2.8), on the real built-in types: containers merge by name,
ports by containerPort, finalizers are a primitive merge list, tolerations are replaced,
Deployment.spec.strategy retains keys, volumes merge by name and retain keys.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitferry.apiserver import errors, schema
from gitferry.apiserver.patch import merge, strategic

POD = schema.builtin().by_gvk[("", "v1", "Pod")]
DEPLOYMENT = schema.builtin().by_gvk[("apps", "v1", "Deployment")]


def ctr(name: str, image: str = "x", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **fields}


def spec(**fields: Any) -> dict[str, Any]:
    return {"spec": fields}


def meta(**fields: Any) -> dict[str, Any]:
    return {"metadata": fields}


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


ERRORS = [
    pytest.param(
        POD,
        spec(containers=[ctr("a")]),
        spec(containers=[{"image": "z"}]),
        500,
        "map: map[image:z] does not contain declared merge key: name",
        id="19-item-without-merge-key",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a")]),
        spec(containers=[{"$patch": "delete"}]),
        500,
        "map: map[$patch:delete] does not contain declared merge key: name",
        id="delete-directive-without-merge-key",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a")]),
        spec(containers=[{"name": "a", "$patch": "merge"}]),
        500,
        "merging lists cannot yet be specified in the patch",
        id="merge-directive-in-a-list",
    ),
    pytest.param(
        POD,
        spec(nodeSelector={"a": "1"}),
        spec(nodeSelector={"$patch": "bogus", "a": "1"}),
        500,
        "unknown patch type: bogus in map: map[$patch:bogus a:1]",
        id="unknown-directive-in-a-map",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a")]),
        spec(containers=[{"name": "a", "$patch": "bogus"}]),
        500,
        "unknown patch type: bogus in map: map[$patch:bogus name:a]",
        id="unknown-directive-in-a-list",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a"), ctr("b")]),
        spec(
            **{"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}]},
            containers=[{"name": "b"}, {"name": "a"}],
        ),
        500,
        "The order in patch list:\n[map[name:b] map[name:a]]\n doesn't match $setElementOrder "
        "list:\n[map[name:a] map[name:b]]\n",
        id="patch-list-out-of-set-element-order",
    ),
    pytest.param(
        POD,
        meta(finalizers=["a", "b"]),
        meta(finalizers=[1]),
        500,
        "list element types are not identical: [[a b] [1]]",
        id="mixed-element-types",
    ),
    pytest.param(
        POD,
        meta(finalizers=[]),
        meta(finalizers=[{"a": 1.5}]),
        500,
        "cannot merge lists without merge key for string",
        id="maps-in-a-list-without-merge-key",
    ),
    pytest.param(
        POD,
        meta(finalizers=["a"]),
        meta(**{"$setElementOrder/finalizers": "a"}),
        500,
        "expected a []interface {}, but received a string",
        id="set-element-order-not-a-list",
    ),
    pytest.param(
        POD,
        meta(finalizers=[]),
        meta(finalizers=[["x"]]),
        422,
        errors.GENERIC_422,
        id="list-of-lists",
    ),
    pytest.param(
        DEPLOYMENT,
        spec(strategy={"type": "RollingUpdate"}),
        spec(strategy={"$retainKeys": ["rollingUpdate"], "type": "Recreate"}),
        400,
        "invalid patch format of retainKeys",
        id="retain-keys-missing-a-patched-key",
    ),
    pytest.param(
        DEPLOYMENT,
        spec(strategy={"type": "RollingUpdate"}),
        spec(strategy={"$retainKeys": "type", "type": "Recreate"}),
        400,
        "invalid patch format of retainKeys",
        id="retain-keys-not-a-list",
    ),
    pytest.param(
        POD,
        spec(containers=[ctr("a")]),
        spec(**{"$setElementOrder": [{"name": "a"}]}),
        400,
        "invalid patch format of setElementOrder list",
        id="set-element-order-without-field",
    ),
    pytest.param(
        POD,
        meta(finalizers=["a"]),
        meta(**{"$deleteFromPrimitiveList": ["a"]}),
        400,
        "invalid patch format of primitive list",
        id="delete-from-primitive-list-without-field",
    ),
]


@pytest.mark.parametrize(("node", "original", "patch", "code", "message"), ERRORS)
def test_strategic_merge_patch_fails_as_kube_apiserver_does(
    node: schema.TypeNode, original: dict[str, Any], patch: dict[str, Any], code: int, message: str
) -> None:
    with pytest.raises(errors.ApiError) as failure:
        strategic.apply(original, patch, node)
    assert (failure.value.code, failure.value.message) == (code, message)
    assert failure.value.reason == {400: "BadRequest", 422: "Invalid", 500: ""}[code]


# -- properties --------------------------------------------------------------------------

_keys = st.text("abcxyz", min_size=1, max_size=3)
_scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.text("ab", max_size=2)
_documents = st.recursive(
    _scalars.filter(lambda value: value is not None),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)
# Nulls only as members outside lists: the two algorithms treat nulls inside lists differently
# (SMP leaves them for decoding to drop, evanphx v4 prunes them).
_patches = st.recursive(
    _scalars | st.lists(_documents, max_size=3),
    lambda inner: st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(_keys, _documents, max_size=4), st.dictionaries(_keys, _patches, max_size=4))
def test_without_schema_or_directives_strategic_merge_is_a_merge_patch(
    original: dict[str, Any], patch: dict[str, Any]
) -> None:
    assert strategic.apply(original, patch, schema.UNTYPED) == merge.apply(original, patch)


_names = st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=6)


@given(_names, _names)
def test_merging_containers_is_a_union_and_idempotent(
    existing: list[str], added: list[str]
) -> None:
    original = spec(containers=[ctr(name, "old") for name in existing])
    patch = spec(containers=[ctr(name, "new") for name in added])
    once = strategic.apply(original, patch, POD)
    names = [container["name"] for container in once["spec"]["containers"]]
    assert sorted(names) == sorted(set(existing) | set(added))
    assert strategic.apply(once, patch, POD) == once
