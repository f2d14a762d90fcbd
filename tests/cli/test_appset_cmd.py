"""`gitferry appset generate`: Applications printed offline, git generators over local
directories, file:// repositories and `--local` copies, one error line on failure."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner

from gitferry.cli.appset_cmd import appset

LIST_APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
  generators:
  - list:
      elements:
      - {cluster: dev, url: "https://dev:6443"}
      - {cluster: prod, url: "https://prod:6443"}
  template:
    metadata: {name: "{{cluster}}-guestbook"}
    spec:
      project: default
      source: {repoURL: "https://git.example/apps", targetRevision: HEAD, path: guestbook}
      destination: {server: "{{url}}", namespace: guestbook}
"""

GIT_APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: addons, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - git:
      repoURL: REPO
      revision: HEAD
      directories: [{path: "addons/*"}]
  template:
    metadata: {name: "{{ .path.basename }}"}
    spec:
      project: default
      source: {repoURL: REPO, path: "{{ .path.path }}"}
      destination: {server: "https://kubernetes.default.svc", namespace: "{{ .path.basename }}"}
"""

CLUSTERS = """\
apiVersion: v1
kind: Secret
metadata:
  name: prod
  namespace: argocd
  labels: {argocd.argoproj.io/secret-type: cluster, env: prod}
stringData: {name: prod, server: "https://prod:6443"}
"""


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "appset.yaml"
    path.write_text(text)
    command = ["generate", "-f", str(path), "--cache-dir", str(tmp_path / "cache"), *args]
    result = CliRunner().invoke(appset, command)
    return result.exit_code, result.stdout, result.stderr


def names(output: str) -> list[str]:
    return [doc["metadata"]["name"] for doc in yaml.safe_load_all(output)]


def tree(root: Path) -> Path:
    for name in ("cert-manager", "ingress", ".hidden"):
        (root / "addons" / name).mkdir(parents=True)
        (root / "addons" / name / "kustomization.yaml").write_text("resources: []\n")
    return root


def test_prints_the_generated_applications(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, LIST_APPSET)
    assert (code, err) == (0, "")
    apps = list(yaml.safe_load_all(out))
    assert [a["metadata"]["name"] for a in apps] == ["dev-guestbook", "prod-guestbook"]
    assert apps[1]["spec"]["destination"]["server"] == "https://prod:6443"
    assert apps[0]["metadata"]["namespace"] == "argocd"


def test_json_output(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, LIST_APPSET, "-o", "json")
    assert code == 0 and [a["kind"] for a in json.loads(out)] == ["Application"] * 2


def test_cluster_secrets_from_a_file(tmp_path: Path) -> None:
    clusters = tmp_path / "clusters.yaml"
    clusters.write_text(CLUSTERS)
    text = (
        LIST_APPSET.replace(
            '  - list:\n      elements:\n      - {cluster: dev, url: "https://dev:6443"}\n'
            '      - {cluster: prod, url: "https://prod:6443"}\n',
            "  - clusters: {selector: {matchLabels: {env: prod}}}\n",
        )
        .replace("{{cluster}}", "{{name}}")
        .replace("{{url}}", "{{server}}")
    )
    code, out, err = run(tmp_path, text, "--clusters", str(clusters))
    assert (code, err) == (0, "")
    assert names(out) == ["prod-guestbook"]


def test_git_directories_from_a_local_directory(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    code, out, err = run(tmp_path, GIT_APPSET.replace("REPO", str(root)))
    assert (code, err) == (0, "")
    assert names(out) == ["cert-manager", "ingress"]


def test_git_directories_from_a_file_url_repository(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    (root / "addons" / "ingress" / "kustomization.yaml").unlink()  # only committed files count
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(root)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "addons"], check=True)
    code, out, err = run(tmp_path, GIT_APPSET.replace("REPO", f"file://{root}"))
    assert (code, err) == (0, "")
    assert names(out) == ["cert-manager"]


def test_local_copy_replaces_a_remote_repository(tmp_path: Path) -> None:
    root = tree(tmp_path / "checkout")
    url = "https://github.com/your-org/addons"
    code, out, _ = run(tmp_path, GIT_APPSET.replace("REPO", url), "--local", f"{url}={root}")
    assert code == 0 and names(out) == ["cert-manager", "ingress"]


def test_template_error_is_one_error_line(tmp_path: Path) -> None:
    text = GIT_APPSET.replace('{{ .path.basename }}"}', '{{ .path.nosuch }}"}', 1)
    code, out, err = run(tmp_path, text.replace("REPO", str(tree(tmp_path / "repo"))))
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: applicationset addons: generators[0].git: parameters ")
    assert 'map has no entry for key "nosuch"' in err


def test_invalid_applications_are_warned_about_and_fail(tmp_path: Path) -> None:
    text = LIST_APPSET.replace("{{cluster}}-guestbook", "guestbook")
    code, out, err = run(tmp_path, text)
    assert code == 1
    assert names(out) == ["guestbook"]
    lines = err.splitlines()
    assert lines[0] == (
        "warning: applicationset guestbook: ApplicationSet guestbook contains applications "
        "with duplicate name: guestbook"
    )
    assert lines[1].startswith("error: applicationset guestbook: 1 of 2 generated applications")


def test_a_file_without_an_applicationset(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert code == 1
    assert err.strip().endswith("expected exactly one ApplicationSet, found 0")
