"""`gitferry cluster ...`: run an embedded Kubernetes-compatible cluster, and register
destination clusters with the control plane.

`cluster serve` starts one embedded cluster (SQLite-backed API server plus simulated
controllers) and writes a kubeconfig for it, so kubectl and any client can use it at once.
`cluster add` writes an Argo CD cluster Secret for a kubeconfig context; `cluster list` shows
the registered destinations.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gitferry.apiserver import server
from gitferry.cli import common, config
from gitferry.cluster import connect
from gitferry.cluster.client import KubeClient
from gitferry.controller import clusters as registry
from gitferry.model.application import IN_CLUSTER
from gitferry.model.errors import InputError


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


def _labels(pairs: tuple[str, ...]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--label {pair!r}: expected key=value")
        labels[key] = value
    return labels


@cluster.command("add")
@click.argument("name")
@click.option(
    "--kubeconfig",
    "source_kubeconfig",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Kubeconfig holding the cluster to add.",
)
@click.option("--context", "source_context", help="Its context (default: current-context).")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE", help="Cluster label.")
@common.handle_errors()
@config.platform_options(prefix="management-")
def add(
    platform: config.Platform,
    name: str,
    source_kubeconfig: Path,
    source_context: str | None,
    labels: tuple[str, ...],
) -> None:
    """Register a destination cluster with the control plane (the management cluster comes
    from --config/$GITFERRY_CONFIG or the management options)."""
    secret = connect.cluster_secret(
        name,
        source_kubeconfig,
        source_context,
        namespace=platform.namespace,
        labels=_labels(labels),
    )

    async def run() -> None:
        async with KubeClient(platform.management()) as client:
            await client.apply(secret, manager="gitferry-cli", force=True)

    common.run(run())
    click.echo(f"cluster {name} ({secret['stringData']['server']}) added")


@cluster.command("list")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table")
@common.handle_errors()
@config.platform_options()
def list_(platform: config.Platform, output: str) -> None:
    """The registered destination clusters."""

    async def run() -> list[dict[str, Any]]:
        async with KubeClient(platform.management()) as client:
            items, _ = await client.list("v1", "Secret", platform.namespace)
        rows = [{"name": registry.IN_CLUSTER_NAME, "server": IN_CLUSTER, "labels": {}}]
        for secret in items:
            if registry.is_cluster_secret(secret):
                labels = dict((secret.get("metadata") or {}).get("labels") or {})
                labels.pop(registry.CLUSTER_SECRET_LABEL, None)
                rows.append(
                    {
                        "name": registry.secret_field(secret, "name"),
                        "server": registry.secret_field(secret, "server"),
                        "labels": labels,
                    }
                )
        return rows

    rows = common.run(run())
    if output == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r["name"]) for r in rows) + 2
    click.echo(f"{'NAME':<{width}}SERVER")
    for row in rows:
        labels = ",".join(f"{k}={v}" for k, v in sorted(row["labels"].items()))
        click.echo(f"{row['name']:<{width}}{row['server']}" + (f"  {labels}" if labels else ""))
