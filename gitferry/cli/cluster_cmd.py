"""`gitferry cluster ...`: run an embedded Kubernetes-compatible cluster.

`cluster serve` starts one embedded cluster (SQLite-backed API server plus simulated
controllers) and writes a kubeconfig for it, so kubectl and any client can use it at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gitferry.apiserver import server


@click.group()
def cluster() -> None:
    """Embedded clusters and cluster registrations."""


@cluster.command("serve")
@click.option("--name", required=True, help="Cluster name (kubeconfig cluster/context/user).")
@click.option("--port", required=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the cluster's database, token and certificates.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--kubeconfig-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a kubeconfig for this cluster here.",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append one JSON audit event per write request to this file.",
)
@click.option(
    "--tls/--plain-http",
    "use_tls",
    default=True,
    show_default=True,
    help="Serve HTTPS with a generated CA placed in the kubeconfig (the default: kubectl and "
    "client-go never send a bearer token over plain HTTP), or plain HTTP.",
)
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.0),
    help="Scale simulated controller delays (0 makes workloads converge at once).",
)
def serve(
    name: str,
    port: int,
    data_dir: Path,
    host: str,
    kubeconfig_out: Path | None,
    audit_log: Path | None,
    use_tls: bool,
    speed: float,
) -> None:
    """Serve an embedded cluster until interrupted (Ctrl-C)."""
    options = server.ServeOptions(
        name=name,
        port=port,
        data_dir=data_dir,
        host=host,
        kubeconfig_out=kubeconfig_out,
        audit_log=audit_log,
        use_tls=use_tls,
        speed=speed,
    )
    scheme = "https" if use_tls else "http"
    click.echo(f"cluster {name}: serving {scheme}://{host}:{port} (data in {data_dir})", err=True)
    if kubeconfig_out:
        click.echo(f"  kubectl --kubeconfig {kubeconfig_out} get ns", err=True)
    try:
        server.serve(options)
    except server.ServeError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        pass
