"""Running an embedded cluster: the token, TLS, the kubeconfig, uvicorn.

`serve` is what `gitferry cluster serve` runs; `prepare` does everything before listening
(data directory, token, certificates, kubeconfig) so callers can report problems before a
port is taken. The token is generated once per data directory and kept there (mode 0600), so
a restarted cluster accepts the kubeconfig it wrote before.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

import uvicorn
import uvloop
import yaml

from gitferry.apiserver import controllers, tls
from gitferry.apiserver.app import ApiServer, ServerOptions


@dataclass(frozen=True, kw_only=True)
class ServeOptions:
    """`gitferry cluster serve` as a value."""

    name: str
    port: int
    data_dir: Path
    host: str = "127.0.0.1"
    kubeconfig_out: Path | None = None
    audit_log: Path | None = None
    # HTTPS with a generated CA (kubectl sends its bearer token over TLS only).
    use_tls: bool = True
    # Scale every simulated controller delay (pod start-up, job duration ...); 0 = instant.
    speed: float = 1.0


class ServeError(Exception):
    """The cluster cannot start (port taken, data directory unusable)."""


def token_for(data_dir: Path) -> str:
    """The cluster's bearer token, created on first start."""
    path = data_dir / "token"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


def kubeconfig(name: str, server: str, token: str, ca_pem: bytes | None) -> dict[str, object]:
    """A kubeconfig with one cluster, user and context, all named `name`."""
    cluster: dict[str, object] = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }


def write_kubeconfig(path: Path, config: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)


def check_port(host: str, port: int) -> socket.socket:
    """Bind the port now, so a taken port is one clear error before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted connections: responses go out as headers then body, and Nagle's
    # algorithm would hold the body until the client's delayed ACK (40 ms per request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise ServeError(
            f"{host}:{port}: cannot listen ({err.strerror}); choose another --port"
        ) from err
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(options: ServeOptions) -> None:
    """Run the cluster until interrupted."""
    sock = check_port(options.host, options.port)
    try:
        options.data_dir.mkdir(parents=True, exist_ok=True)
        probe = options.data_dir / ".writable"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        sock.close()
        raise ServeError(
            f"{options.data_dir}: data directory is not writable ({err.strerror})"
        ) from err
    token = token_for(options.data_dir)
    scheme = "https" if options.use_tls else "http"
    files = None
    if options.use_tls:
        files = tls.ensure(options.data_dir / "tls", [options.host, "localhost", "127.0.0.1"])
    if options.kubeconfig_out is not None:
        host = "127.0.0.1" if options.host in ("0.0.0.0", "::") else options.host
        ca = files.ca_cert.read_bytes() if files else None
        write_kubeconfig(
            options.kubeconfig_out,
            kubeconfig(options.name, f"{scheme}://{host}:{options.port}", token, ca),
        )
    app = ApiServer(
        ServerOptions(
            name=options.name,
            data_dir=options.data_dir,
            token=token,
            audit_log=options.audit_log,
        ),
        background=[controllers.starter(node_prefix=options.name, speed=options.speed)],
    )
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ssl_certfile=str(files.cert) if files else None,
        ssl_keyfile=str(files.key) if files else None,
        timeout_keep_alive=120,
        loop="uvloop",
        http="httptools",
    )
    server = uvicorn.Server(config)
    uvloop.run(server.serve(sockets=[sock]))
