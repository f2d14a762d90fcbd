"""Strategic merge patch, as kube-apiserver 1.32 applies it to built-in kinds: the error
mapping (reference/kubernetes-write-semantics.md 2.8) — each malformed patch fails with
kube-apiserver's code, reason and message.
"""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.apiserver import errors, schema
from gitferry.apiserver.patch import strategic
from tests.apiserver.patch.strategic_objects import DEPLOYMENT, POD, ctr, meta, spec

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
