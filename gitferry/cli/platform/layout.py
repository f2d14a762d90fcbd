"""Where everything of a `gitferry up` workdir lives, and the fixed shape of the platform.

    <workdir>/repos/<name>          working clones (edit, commit, push here)
    <workdir>/remotes/<name>.git    their bare remotes (what the platform reads)
    <workdir>/clusters/<name>/      each embedded cluster's database, token and certificates
    <workdir>/kubeconfig            one context per cluster, named as the cluster
    <workdir>/config.yaml           the GITFERRY_CONFIG file of this platform
    <workdir>/platform.yaml         the ports chosen on the first run (reused on restart)
    <workdir>/run/pids.json         the child processes of the running `gitferry up`
    <workdir>/logs/                 one log per child process, and the Git hooks' log
    <workdir>/cache/                repository cache of the controller

Called by every module of `gitferry.cli.platform`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPOSITORIES = ("application-repo", "config-repo", "infrastructure-repo", "policy-repo")
# The management cluster runs the control plane; the others are destinations, labelled
# `environment: <name>`.
MANAGEMENT = "management"
DESTINATIONS = ("development", "staging", "production", "disaster-recovery")
CLUSTERS = (MANAGEMENT, *DESTINATIONS)
NAMESPACE = "argocd"
DEFAULT_PORT = 7443


@dataclass(frozen=True)
class Workdir:
    """The paths of one platform's workdir."""

    root: Path

    def clone(self, repository: str) -> Path:
        return self.root / "repos" / repository

    def remote(self, repository: str) -> Path:
        return self.root / "remotes" / f"{repository}.git"

    def remote_url(self, repository: str) -> str:
        return self.remote(repository).resolve().as_uri()

    def cluster_data(self, cluster: str) -> Path:
        return self.root / "clusters" / cluster

    def cluster_kubeconfig(self, cluster: str) -> Path:
        return self.cluster_data(cluster) / "kubeconfig"

    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def settings(self) -> Path:
        return self.root / "platform.yaml"

    @property
    def pids(self) -> Path:
        return self.root / "run" / "pids.json"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def scaffolded(self) -> bool:
        """Whether the repositories exist (a later run resumes instead of scaffolding)."""
        return all(self.remote(name).is_dir() for name in REPOSITORIES)


def cluster_port(base: int, cluster: str) -> int:
    """The port of `cluster`: the management cluster on `base`, the others after it."""
    return base + CLUSTERS.index(cluster)
