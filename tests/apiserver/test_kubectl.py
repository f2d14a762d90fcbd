"""The real kubectl against the embedded cluster: every everyday command works unchanged.

These are end-to-end tests: a `gitferry cluster serve` process, the image's kubectl 1.32 and
Argo CD's example manifests.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from gitferry.model import crds
from gitferry.testing.cluster import RunningCluster, find_kubectl

pytestmark = pytest.mark.e2e


def _wait(predicate, timeout: float = 20.0, interval: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def _json(cluster: RunningCluster, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(cluster.kubectl(*args, "-o", "json", "--show-managed-fields").stdout)


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
"""


def test_client_side_apply_of_sock_shop_then_unchanged(
    kubectl_cluster: RunningCluster, namespace: str, corpus: Path
) -> None:
    shop = corpus / "argocd-example-apps" / "sock-shop"
    first = kubectl_cluster.kubectl("apply", "-n", namespace, "-k", str(shop))
    assert "deployment.apps/carts created" in first.stdout
    assert "service/front-end created" in first.stdout
    second = kubectl_cluster.kubectl("apply", "-n", namespace, "-k", str(shop))
    lines = [line for line in second.stdout.splitlines() if line]
    assert lines and all(line.endswith(" unchanged") for line in lines), second.stdout
    deployments = _json(kubectl_cluster, "get", "deploy", "-n", namespace)["items"]
    assert len(deployments) == 14


def test_server_side_apply_of_sock_shop_is_idempotent(
    kubectl_cluster: RunningCluster, namespace: str, corpus: Path
) -> None:
    shop = corpus / "argocd-example-apps" / "sock-shop"
    first = kubectl_cluster.kubectl("apply", "--server-side", "-n", namespace, "-k", str(shop))
    assert "deployment.apps/carts serverside-applied" in first.stdout
    before = _json(kubectl_cluster, "get", "deploy", "carts", "-n", namespace)
    kubectl_cluster.kubectl("apply", "--server-side", "-n", namespace, "-k", str(shop))
    after = _json(kubectl_cluster, "get", "deploy", "carts", "-n", namespace)
    # An identical apply changes nothing, so generation stays; the controller's status writes
    # may move resourceVersion, but never the spec.
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    managers = {m["manager"]: m["operation"] for m in after["metadata"]["managedFields"]}
    assert managers["kubectl"] == "Apply"


def test_client_side_apply_update_computes_strategic_merge_patch(
    kubectl_cluster: RunningCluster, namespace: str
) -> None:
    kubectl_cluster.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    changed = DEPLOYMENT.replace("nginx:1.25", "nginx:1.27").replace(
        '[{name: A, value: "1"}, {name: B, value: "2"}]', '[{name: B, value: "3"}]'
    )
    result = kubectl_cluster.kubectl("apply", "-n", namespace, "-f", "-", input=changed)
    assert "deployment.apps/web configured" in result.stdout
    container = _json(kubectl_cluster, "get", "deploy", "web", "-n", namespace)["spec"]["template"][
        "spec"
    ]["containers"][0]
    assert container["image"] == "nginx:1.27"
    assert container["env"] == [{"name": "B", "value": "3"}]


def test_get_describe_and_yaml_output(kubectl_cluster: RunningCluster, namespace: str) -> None:
    kubectl_cluster.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    everything = kubectl_cluster.kubectl("get", "deploy", "-A").stdout
    assert namespace in everything and "web" in everything
    assert "READY" in everything  # server-side Table columns
    doc = yaml.safe_load(
        kubectl_cluster.kubectl("get", "deploy", "web", "-n", namespace, "-o", "yaml").stdout
    )
    assert doc["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted by the server
    described = kubectl_cluster.kubectl("describe", "deploy", "web", "-n", namespace).stdout
    assert "Replicas:" in described and "nginx:1.25" in described


def test_rollout_status_reaches_ready(kubectl_cluster: RunningCluster, namespace: str) -> None:
    kubectl_cluster.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    result = kubectl_cluster.kubectl(
        "rollout", "status", "deploy/web", "-n", namespace, "--timeout=60s"
    )
    assert "successfully rolled out" in result.stdout
    pods = _json(kubectl_cluster, "get", "pods", "-n", namespace, "-l", "app=web")["items"]
    assert len(pods) == 2
    assert all(p["status"]["phase"] == "Running" for p in pods)


def test_diff_exit_codes(kubectl_cluster: RunningCluster, namespace: str) -> None:
    kubectl_cluster.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    same = kubectl_cluster.kubectl(
        "diff", "-n", namespace, "-f", "-", input=DEPLOYMENT, check=False
    )
    assert same.returncode == 0, same.stdout + same.stderr
    changed = kubectl_cluster.kubectl(
        "diff",
        "-n",
        namespace,
        "-f",
        "-",
        input=DEPLOYMENT.replace("replicas: 2", "replicas: 5"),
        check=False,
    )
    assert changed.returncode == 1, changed.stderr
    assert "-  replicas: 2" in changed.stdout and "+  replicas: 5" in changed.stdout
    # the dry-run diff stored nothing
    assert _json(kubectl_cluster, "get", "deploy", "web", "-n", namespace)["spec"]["replicas"] == 2


def test_label_annotate_scale_and_patches(kubectl_cluster: RunningCluster, namespace: str) -> None:
    k = kubectl_cluster.kubectl
    k("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    k("label", "deploy", "web", "-n", namespace, "tier=frontend")
    k("annotate", "deploy", "web", "-n", namespace, "owner=team-a")
    k("scale", "deploy", "web", "-n", namespace, "--replicas=4")
    k(
        "patch",
        "deploy",
        "web",
        "-n",
        namespace,
        "-p",
        '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}',
    )
    k(
        "patch",
        "deploy",
        "web",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"merged":"yes"}}}',
    )
    k(
        "patch",
        "deploy",
        "web",
        "-n",
        namespace,
        "--type=json",
        "-p",
        '[{"op":"replace","path":"/spec/minReadySeconds","value":3}]',
    )
    obj = _json(kubectl_cluster, "get", "deploy", "web", "-n", namespace)
    assert obj["metadata"]["labels"] == {"app": "web", "tier": "frontend", "merged": "yes"}
    assert obj["metadata"]["annotations"]["owner"] == "team-a"
    assert obj["spec"]["replicas"] == 4
    assert obj["spec"]["minReadySeconds"] == 3
    names = [c["name"] for c in obj["spec"]["template"]["spec"]["containers"]]
    assert names == ["sidecar", "web"]  # strategic merge prepends new list items
    managers = {(m["manager"], m.get("subresource")) for m in obj["metadata"]["managedFields"]}
    assert any(m.startswith("kubectl") and sub == "scale" for m, sub in managers)
    assert ("kubectl-label", None) in managers and ("kubectl-patch", None) in managers


def test_watch_sees_a_change(kubectl_cluster: RunningCluster, namespace: str) -> None:
    binary = find_kubectl()
    assert binary is not None
    kubectl_cluster.kubectl("create", "configmap", "watched", "-n", namespace, "--from-literal=a=1")
    env_cache = str(kubectl_cluster.data_dir.parent / "watch-kubecache")
    watcher = subprocess.Popen(
        [
            binary,
            "--kubeconfig",
            str(kubectl_cluster.kubeconfig),
            "--cache-dir",
            env_cache,
            "get",
            "configmap",
            "watched",
            "-n",
            namespace,
            "--watch",
            "-o",
            "custom-columns=NAME:.metadata.name,A:.data.a",
            "--no-headers",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        kubectl_cluster.kubectl(
            "patch",
            "configmap",
            "watched",
            "-n",
            namespace,
            "--type=merge",
            "-p",
            '{"data":{"a":"2"}}',
        )
        time.sleep(1.0)
    finally:
        watcher.terminate()
        out, _ = watcher.communicate(timeout=10)
    rows = [line.split() for line in out.splitlines() if line.strip()]
    assert ["watched", "1"] in rows and ["watched", "2"] in rows, out


def test_delete_waits_until_gone(kubectl_cluster: RunningCluster, namespace: str) -> None:
    kubectl_cluster.kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT)
    result = kubectl_cluster.kubectl("delete", "deploy", "web", "-n", namespace, "--timeout=30s")
    assert 'deployment.apps "web" deleted' in result.stdout
    missing = kubectl_cluster.kubectl("get", "deploy", "web", "-n", namespace, check=False)
    assert missing.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "web" not found' in missing.stderr
    # garbage collection removes the ReplicaSets and Pods the Deployment owned
    _wait(lambda: not _json(kubectl_cluster, "get", "rs,pods", "-n", namespace)["items"])


def test_crd_then_custom_resource(kubectl_cluster: RunningCluster, namespace: str) -> None:
    k = kubectl_cluster.kubectl
    for text in crds.manifests().values():
        k("apply", "-f", "-", input=text)
    k("wait", "--for=condition=Established", "crd/applications.argoproj.io", "--timeout=30s")
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "guestbook", "namespace": namespace},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://example.invalid/repo.git", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
        },
    }
    assert "created" in k("apply", "-f", "-", input=json.dumps(app)).stdout
    assert "unchanged" in k("apply", "-f", "-", input=json.dumps(app)).stdout
    app["spec"]["source"]["path"] = "other"
    assert "configured" in k("apply", "-f", "-", input=json.dumps(app)).stdout
    listed = k("get", "apps", "-n", namespace).stdout
    assert "SYNC STATUS" in listed and "guestbook" in listed
    stored = _json(kubectl_cluster, "get", "application", "guestbook", "-n", namespace)
    assert stored["spec"]["source"]["path"] == "other"
    assert stored["metadata"]["generation"] == 2
