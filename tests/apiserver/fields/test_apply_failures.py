"""Server-side apply, as kube-apiserver 1.32 does it: the failures (1.1, 1.8, 5.2 of
reference/kubernetes-write-semantics.md) — conflicts, invalid object types and typing errors,
each leaving the stored object as it was — and the check of the body's name and namespace
against the URL's.

Each failure row plays a story of writes (the player is in ssa_story.py) whose last step fails.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitferry.apiserver import errors
from gitferry.apiserver.fields import apply
from tests.apiserver.fields.ssa_story import (
    ALICE_AB,
    BOB_ARGS_Z,
    BOB_B,
    M1,
    SSA10,
    SSA13,
    SSA14_APPLY,
    SSA14_LIVE,
    SSA17,
    Apply,
    Step,
    Store,
    Story,
    T,
    Update,
    cm,
    ctr,
    deploy,
    pod,
    replace_with,
    setter,
)


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
