"""Where a cluster is and how to authenticate: kubeconfig contexts and Argo CD cluster
Secrets, turned into lightkube configurations.

Security (DESIGN 7): kubeconfig `exec` credential plugins and `auth-provider` commands run
programs named by whoever wrote the file, so they are refused unless the caller explicitly
allows them (a user's own kubeconfig on their laptop may; a cluster Secret never does).

Called by the CLI (`--kubeconfig`/`--context`) and the controller (cluster Secrets).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from lightkube.config.kubeconfig import KubeConfig, SingleConfig

from gitferry.model.errors import ClusterError, InputError


@dataclass(frozen=True)
class ClusterTarget:
    """A cluster to talk to: its name, API server URL and a lightkube configuration."""

    name: str
    server: str
    config: SingleConfig


def from_kubeconfig(
    path: Path, context: str | None = None, *, allow_exec: bool = False
) -> ClusterTarget:
    """The cluster of `context` (default: the current context) in a kubeconfig file."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise InputError(f"{path}: cannot read the kubeconfig ({err.strerror})") from err
    except yaml.YAMLError as err:
        raise InputError(f"{path}: the kubeconfig is not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a kubeconfig")
    contexts = {c.get("name"): c.get("context") or {} for c in data.get("contexts") or ()}
    name = context or data.get("current-context")
    if not name or name not in contexts:
        known = ", ".join(sorted(str(n) for n in contexts)) or "none"
        raise InputError(f"{path}: context {name!r} not found (contexts: {known}); pass --context")
    user_name = contexts[name].get("user")
    for user in data.get("users") or ():
        if user.get("name") == user_name:
            _check_user(user.get("user") or {}, f"{path} user {user_name}", allow_exec)
    config = KubeConfig.from_dict(data, fname=str(path)).get(context_name=name)
    if config is None:
        raise InputError(f"{path}: context {name!r} is incomplete")
    return ClusterTarget(name=name, server=config.cluster.server, config=config)


def _check_user(user: dict[str, Any], where: str, allow_exec: bool) -> None:
    if allow_exec:
        return
    for key in ("exec", "auth-provider"):
        if user.get(key):
            raise InputError(
                f"{where}: {key} credential plugins run programs and are refused; use a token "
                "or client certificate, or allow plugins explicitly"
            )


def from_cluster_secret(secret: dict[str, Any]) -> ClusterTarget:
    """The cluster described by an Argo CD cluster Secret (`argocd.argoproj.io/secret-type:
    cluster`): `name`, `server` and `config` (bearerToken, tlsClientConfig)."""
    fields = _secret_fields(secret)
    secret_name = (secret.get("metadata") or {}).get("name", "?")
    server = fields.get("server", "").rstrip("/")
    if not server:
        raise ClusterError(f"cluster secret {secret_name}: `server` is missing")
    try:
        config = json.loads(fields.get("config") or "{}")
    except ValueError as err:
        raise ClusterError(f"cluster secret {secret_name}: `config` is not JSON") from err
    if config.get("execProviderConfig") or config.get("awsAuthConfig"):
        raise ClusterError(
            f"cluster secret {secret_name}: exec and cloud credential plugins are not supported;"
            " use bearerToken or client certificates"
        )
    tls = config.get("tlsClientConfig") or {}
    cluster: dict[str, Any] = {"server": server}
    if tls.get("caData"):
        cluster["certificate-authority-data"] = tls["caData"]
    if tls.get("insecure"):
        cluster["insecure-skip-tls-verify"] = True
    user: dict[str, Any] = {}
    if config.get("bearerToken"):
        user["token"] = config["bearerToken"]
    if config.get("username"):
        user["username"] = config["username"]
        user["password"] = config.get("password", "")
    if tls.get("certData"):
        user["client-certificate-data"] = tls["certData"]
        user["client-key-data"] = tls.get("keyData", "")
    name = fields.get("name") or server
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    single = KubeConfig.from_dict(kubeconfig).get(context_name=name)
    assert single is not None
    return ClusterTarget(name=name, server=server, config=single)


def _secret_fields(secret: dict[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            fields[key] = base64.b64decode(value).decode()
        except (ValueError, UnicodeDecodeError):
            continue
    fields.update({k: str(v) for k, v in (secret.get("stringData") or {}).items()})
    return fields


def cluster_secret(
    name: str,
    kubeconfig: Path,
    context: str | None,
    *,
    namespace: str,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An Argo CD cluster Secret for the cluster of a kubeconfig context: its server, bearer
    token or client certificate, and CA. Exec plugins cannot be stored and are refused."""
    try:
        data = yaml.safe_load(kubeconfig.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise InputError(f"{kubeconfig}: cannot read the kubeconfig: {err}") from err
    contexts = {c.get("name"): c.get("context") or {} for c in data.get("contexts") or ()}
    context = context or data.get("current-context")
    if context not in contexts:
        raise InputError(f"{kubeconfig}: context {context!r} not found; pass --context")
    chosen = contexts[context]
    cluster = next(
        (
            c.get("cluster") or {}
            for c in data.get("clusters") or ()
            if c.get("name") == chosen.get("cluster")
        ),
        {},
    )
    user = next(
        (
            u.get("user") or {}
            for u in data.get("users") or ()
            if u.get("name") == chosen.get("user")
        ),
        {},
    )
    _check_user(user, f"{kubeconfig} user {chosen.get('user')}", allow_exec=False)
    server = str(cluster.get("server") or "").rstrip("/")
    if not server:
        raise InputError(f"{kubeconfig}: context {context!r} has no server")
    tls: dict[str, Any] = {"insecure": bool(cluster.get("insecure-skip-tls-verify"))}
    ca = _file_or_data(cluster, "certificate-authority", kubeconfig)
    if ca:
        tls["caData"] = ca
    cert = _file_or_data(user, "client-certificate", kubeconfig)
    key = _file_or_data(user, "client-key", kubeconfig)
    if cert and key:
        tls["certData"], tls["keyData"] = cert, key
    config: dict[str, Any] = {"tlsClientConfig": tls}
    token = user.get("token") or (
        Path(user["tokenFile"]).read_text().strip() if user.get("tokenFile") else ""
    )
    if token:
        config["bearerToken"] = token
    if not token and not (cert and key):
        raise InputError(
            f"{kubeconfig}: context {context!r} has neither a token nor a client certificate"
        )
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": f"cluster-{name}",
            "namespace": namespace,
            "labels": {**(labels or {}), "argocd.argoproj.io/secret-type": "cluster"},
        },
        "stringData": {"name": name, "server": server, "config": json.dumps(config)},
    }


def _file_or_data(section: dict[str, Any], key: str, kubeconfig: Path) -> str:
    """A kubeconfig certificate field as base64 data (inline `-data`, or read from a file)."""
    if section.get(f"{key}-data"):
        return str(section[f"{key}-data"])
    path = section.get(key)
    if not path:
        return ""
    file = Path(path) if Path(path).is_absolute() else kubeconfig.parent / path
    try:
        return base64.b64encode(file.read_bytes()).decode()
    except OSError as err:
        raise InputError(f"{kubeconfig}: cannot read {key} {file}: {err.strerror}") from err
