"""Server-side apply, as kube-apiserver 1.32 does it: the managedFields entries of the worked
examples SSA-1 and SSA-16 of reference/kubernetes-write-semantics.md 1.16, key for key and in
kube-apiserver's key order (a status applier's entry names its subresource last).

The stories are played by ssa_story.py's player; step i runs at time T(i).
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.fields import fieldset
from tests.apiserver.fields.ssa_story import SSA1, SSA1_FIELDS, Apply, Step, Story, T, deploy


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
