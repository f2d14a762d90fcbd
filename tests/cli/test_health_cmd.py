"""`gitferry health -f OBJECT.yaml`: one line per object, data with `-o`, exit 0 for any
health and 1 with one error line for input that cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from gitferry.cli.health_cmd import health

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, generation: 2}
spec: {replicas: 3}
status: {observedGeneration: 2, replicas: 3, updatedReplicas: 1}
"""
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
FAILED_JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
status:
  conditions: [{type: Failed, status: "True", message: Job has reached the specified backoff limit}]
"""
BOUND_PVC = '{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "status": {"phase": "Bound"}}'


def run(tmp_path: Path, text: str, *args: str, name: str = "obj.yaml") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(text)
    result = CliRunner().invoke(health, ["-f", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_prints_status_and_message(tmp_path: Path) -> None:
    assert run(tmp_path, DEPLOYMENT) == (
        0,
        "Progressing: Waiting for rollout to finish: 1 out of 3 new replicas have been "
        "updated...\n",
        "",
    )


def test_an_unhealthy_object_still_exits_zero(tmp_path: Path) -> None:
    assert run(tmp_path, FAILED_JOB) == (
        0,
        "Degraded: Job has reached the specified backoff limit\n",
        "",
    )


def test_an_empty_message_prints_the_status_alone(tmp_path: Path) -> None:
    assert run(tmp_path, BOUND_PVC, name="pvc.json") == (0, "Healthy\n", "")


def test_kinds_without_a_check_say_so(tmp_path: Path) -> None:
    assert run(tmp_path, CONFIG_MAP) == (0, "no health check for ConfigMap\n", "")
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
    assert run(tmp_path, widget) == (0, "no health check for example.com/Widget\n", "")


def test_several_objects_get_one_named_line_each(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, f"{DEPLOYMENT}---\n{CONFIG_MAP}")
    assert code == 0
    assert out.splitlines() == [
        "Deployment/shop/web: Progressing: Waiting for rollout to finish: 1 out of 3 new "
        "replicas have been updated...",
        "ConfigMap/settings: no health check for ConfigMap",
    ]


def test_json_output(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, f"{FAILED_JOB}---\n{CONFIG_MAP}", "-o", "json")
    assert code == 0
    assert json.loads(out) == [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "namespace": "shop",
            "name": "migrate",
            "health": {
                "status": "Degraded",
                "message": "Job has reached the specified backoff limit",
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "namespace": "",
            "name": "settings",
            "health": None,
        },
    ]


def test_yaml_output(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, BOUND_PVC, "-o", "yaml")
    assert code == 0
    assert yaml.safe_load(out) == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "namespace": "",
        "name": "",
        "health": {"status": "Healthy"},
    }


def test_reads_standard_input() -> None:
    result = CliRunner().invoke(health, ["-f", "-"], input=FAILED_JOB)
    assert (result.exit_code, result.stdout) == (
        0,
        "Degraded: Job has reached the specified backoff limit\n",
    )


def test_a_list_is_read_item_by_item(tmp_path: Path) -> None:
    listing = json.dumps({"kind": "List", "items": [json.loads(BOUND_PVC)]})
    assert run(tmp_path, listing, name="list.json") == (0, "Healthy\n", "")


def test_malformed_yaml_is_one_error_line(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "kind: Pod\nmetadata: {name: [\n")
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {tmp_path / 'obj.yaml'}:") and err.count("\n") == 1


def test_a_missing_file_is_one_error_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(health, ["-f", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"error: {tmp_path / 'nope.yaml'}: cannot read (No such file or directory)\n"
    )


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    assert run(tmp_path, "# nothing\n") == (
        1,
        "",
        f"error: {tmp_path / 'obj.yaml'}: no object found\n",
    )


def test_an_object_without_kind_is_an_error(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "metadata: {name: x}\n")
    assert code == 1
    assert err.startswith(f"error: {tmp_path / 'obj.yaml'}: object 1 has no kind")


def test_a_document_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "- just\n- a list\n")
    assert code == 1
    assert err == f"error: {tmp_path / 'obj.yaml'}: expected objects, found list\n"
