"""Reading managedFields (FieldsV1) against documents (reference 4.3): the fields trusted
managers own (`managedFieldsManagers`), and the server-side diff's revert of what the sync's
manager does not own (mutating webhooks, the bumped generation, other managers)."""

from __future__ import annotations

import copy
from typing import Any

from gitferry.diff import fieldsv1


def managed(manager: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"manager": manager, "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": fields}


LIVE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "managedFields": [
            managed("hpa", {"f:spec": {"f:replicas": {}}}),
            managed(
                "injector",
                {
                    "f:metadata": {"f:labels": {"f:injected": {}}},
                    "f:spec": {
                        "f:template": {
                            "f:spec": {
                                "f:containers": {
                                    'k:{"name":"app"}': {".": {}, "f:image": {}},
                                    'k:{"name":"proxy"}': {".": {}, "f:image": {}, "f:name": {}},
                                }
                            }
                        }
                    },
                },
            ),
        ],
        "labels": {"injected": "yes", "app": "web"},
    },
    "spec": {
        "replicas": 5,
        "template": {
            "spec": {
                "containers": [{"name": "app", "image": "app:2"}, {"name": "proxy", "image": "p:1"}]
            }
        },
    },
}
TARGET = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}},
    },
}


def test_managers_fields_that_differ_are_removed_from_every_side() -> None:
    before = copy.deepcopy(LIVE)
    live, target, (predicted,) = fieldsv1.strip_owned(LIVE, TARGET, [TARGET], ["hpa", "injector"])
    assert before == LIVE
    assert (
        "replicas" not in live["spec"]
        and "replicas" not in target["spec"]
        and "replicas" not in predicted["spec"]
    )
    assert live["spec"]["template"]["spec"]["containers"] == [
        {"name": "app"},
        {"name": "proxy", "image": "p:1"},
    ]
    assert target["spec"]["template"]["spec"]["containers"] == [{"name": "app"}]
    # set only in live: not a difference Argo CD removes
    assert live["metadata"]["labels"] == {"injected": "yes", "app": "web"}


def test_managers_not_trusted_leave_everything() -> None:
    live, target, others = fieldsv1.strip_owned(LIVE, TARGET, [], ["someone-else"])
    assert live is LIVE and target is TARGET and others == []


def test_equal_owned_values_are_kept() -> None:
    target = {**TARGET, "spec": {**TARGET["spec"], "replicas": 5}}
    live, _, _ = fieldsv1.strip_owned(LIVE, target, [], ["hpa"])
    assert live is LIVE


ARGO = "argocd-controller"
OWNED = {
    "f:metadata": {"f:labels": {"f:app": {}, "f:team": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:template": {
            "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {}, "f:name": {}}}}
        },
    },
}


def deployment(
    labels: dict[str, str], replicas: int, containers: list[Any], **extra: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "generation": extra.pop("generation", 1), "labels": labels,
                     "managedFields": extra.pop("managed", [managed(ARGO, OWNED)])},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}},
        **extra,
    }  # fmt: skip


LIVE_D = deployment(
    {"app": "web", "team": "a", "injected": "by-webhook"},
    2,
    [{"name": "app", "image": "app:1"}, {"name": "sidecar", "image": "s:1"}],
    status={"ready": 2},
)


def test_only_owned_fields_of_the_prediction_count() -> None:
    predicted = deployment(
        {"app": "web", "team": "a", "injected": "changed-by-webhook", "new": "webhook"},
        3,
        [{"name": "app", "image": "app:2", "defaulted": "x"}, {"name": "sidecar", "image": "s:2"}],
        generation=2,
        status={"ready": 0},
    )
    before = copy.deepcopy(LIVE_D)
    merged = fieldsv1.revert_unowned(predicted, LIVE_D, ARGO)
    assert before == LIVE_D
    assert merged["metadata"]["generation"] == 1
    assert merged["metadata"]["labels"] == {"app": "web", "team": "a", "injected": "by-webhook"}
    assert merged["spec"]["replicas"] == 3
    # the owned item's owned fields come from the prediction, the rest of the item too: it is
    # owned as a whole (".")
    assert merged["spec"]["template"]["spec"]["containers"][0]["image"] == "app:2"
    assert merged["spec"]["template"]["spec"]["containers"][1] == {
        "name": "sidecar",
        "image": "s:1",
    }
    assert merged["status"] == {"ready": 2}


def test_fields_the_manager_stopped_setting_are_removed() -> None:
    owned_now = {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:replicas": {}}}
    predicted = deployment(
        {"app": "web", "injected": "by-webhook"},
        2,
        [{"name": "sidecar", "image": "s:1"}],
        managed=[managed(ARGO, owned_now)],
    )
    merged = fieldsv1.revert_unowned(predicted, LIVE_D, ARGO)
    assert merged["metadata"]["labels"] == {"app": "web", "injected": "by-webhook"}
    assert merged["spec"]["template"]["spec"]["containers"] == [{"name": "sidecar", "image": "s:1"}]


def test_a_prediction_without_the_manager_is_used_as_is() -> None:
    predicted = deployment({"app": "web"}, 3, [], managed=[managed("someone", OWNED)])
    assert fieldsv1.revert_unowned(predicted, LIVE_D, ARGO) is predicted


def test_new_list_items_are_appended() -> None:
    owned = {
        "f:spec": {
            "f:template": {
                "f:spec": {"f:containers": {'k:{"name":"new"}': {".": {}, "f:name": {}}}}
            }
        }
    }
    predicted = deployment(
        {}, 2, [{"name": "new"}, {"name": "app", "image": "app:1"}], managed=[managed(ARGO, owned)]
    )
    live = deployment({}, 2, [{"name": "app", "image": "app:1"}], managed=[])
    merged = fieldsv1.revert_unowned(predicted, live, ARGO)
    assert merged["spec"]["template"]["spec"]["containers"] == [
        {"name": "app", "image": "app:1"},
        {"name": "new"},
    ]
