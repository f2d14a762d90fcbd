"""`gitferry up [--workdir DIR] [--port N]`: the whole platform on this machine.

First run: check the machine (git, a writable workdir, free ports) before creating anything;
scaffold the four repositories with bare remotes; start the embedded clusters `management`,
`development`, `staging`, `production` and `disaster-recovery` on ports N to N+4; write the
kubeconfig and `config.yaml`; install gitferry, register the clusters, apply the app-of-apps;
start the controller; show the applications converge; then say what runs where. Later runs
reuse the workdir and its port range: state survives restarts. Ctrl-C (or SIGTERM) stops
every child process cleanly.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click
import yaml
from rich.console import Console

from gitferry.cli import common
from gitferry.cli.platform import bootstrap, firstsync, processes, progress, scaffold
from gitferry.cli.platform.layout import CLUSTERS, DEFAULT_PORT, MANAGEMENT, Workdir, cluster_port
from gitferry.cluster import connect as kubeconnect
from gitferry.cluster.client import KubeClient
from gitferry.model.errors import InputError

_CLUSTER_START_TIMEOUT = 60.0
_CONVERGE_TIMEOUT = 300.0


@click.command("up")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path.home() / "gitferry",
    show_default="~/gitferry",
    help="Where the repositories, clusters and logs live (reused on the next run).",
)
@click.option(
    "--port",
    type=click.IntRange(1024, 65530),
    help=f"First of five ports for the clusters (default {DEFAULT_PORT}, or the last run's).",
)
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.0),
    help="Scale the simulated workloads' start-up delays (0: instant).",
)
@common.handle_errors()
def up(workdir: Path, port: int | None, speed: float) -> None:
    """Start the whole GitOps platform on this machine and show it converge."""
    console = Console(highlight=False, soft_wrap=True)
    place = Workdir(workdir.expanduser().absolute())
    preflight(place)
    stopped = processes.stop_leftovers(place) if place.root.exists() else []
    if stopped:
        console.print(f"stopped {len(stopped)} process(es) left by an earlier run")
    base = port or _recorded_port(place) or DEFAULT_PORT
    processes.check_ports(base)
    signal.signal(signal.SIGTERM, _interrupt)
    children = processes.Children(place)
    started = time.monotonic()
    try:
        _run(place, base, speed, children, console, started)
    except KeyboardInterrupt:
        console.print("\nstopping ...")
    finally:
        # A second Ctrl-C (or the SIGTERM a supervisor sends after SIGINT) must not cut the
        # orderly stop short and leave clusters running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children.stop()
    console.print(f"stopped. Start again with: gitferry up --workdir {place.root}")


def preflight(place: Workdir) -> None:
    """Refuse to start, creating nothing, when git is missing or the workdir is not writable."""
    if shutil.which("git") is None:
        raise InputError(
            "git not found: gitferry up keeps the platform's repositories in Git; install it "
            "(for example `apt-get install git`) and run again"
        )
    existing = place.root
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"workdir {place.root}: {existing} is not a directory; choose --workdir")
    try:
        probe, name = tempfile.mkstemp(dir=existing, prefix=".gitferry-probe-")
    except OSError as err:
        raise InputError(
            f"workdir {place.root}: cannot write in {existing} ({err.strerror}); choose another "
            "with --workdir"
        ) from None
    os.close(probe)
    os.unlink(name)


def _run(
    place: Workdir,
    base: int,
    speed: float,
    children: processes.Children,
    console: Console,
    started: float,
) -> None:
    first_run = not place.scaffolded
    place.root.mkdir(parents=True, exist_ok=True)
    _record_port(place, base)
    if first_run:
        console.print(f"scaffolding repositories in {place.root / 'repos'} ...")
        common.run(scaffold.scaffold(place))
    last = base + len(CLUSTERS) - 1
    console.print(f"starting {len(CLUSTERS)} clusters on ports {base}-{last} ...")
    booting = []
    for cluster in CLUSTERS:
        args = ["cluster", "serve", "--name", cluster, "--port", str(cluster_port(base, cluster))]
        args += ["--data", str(place.cluster_data(cluster))]
        args += ["--kubeconfig-out", str(place.cluster_kubeconfig(cluster))]
        args += ["--speed", f"{speed:g}"]
        booting.append((cluster, children.start(f"cluster-{cluster}", args)))
    for cluster, child in booting:
        url = f"https://127.0.0.1:{cluster_port(base, cluster)}"
        ca_file = place.cluster_data(cluster) / "tls" / "ca.crt"
        processes.wait_for_cluster(child, url, ca_file, _CLUSTER_START_TIMEOUT)
    bootstrap.write_kubeconfig(place)
    bootstrap.write_config(place)
    applied = common.run(bootstrap.connect(place))
    console.print(
        "applied the app-of-apps from config-repo" if applied else "resuming: Git is in charge"
    )
    controller_args = ["controller", "--config", str(place.config)]
    controller_args += ["--cache-dir", str(place.cache / "repositories")]
    children.start("controller", controller_args)
    final = common.run(_converge(place, children, console))
    elapsed = time.monotonic() - started
    summary(console, place, base, final, elapsed)
    while True:
        _check(children)
        time.sleep(0.5)


async def _converge(
    place: Workdir, children: processes.Children, console: Console
) -> progress.Snapshot:
    target = kubeconnect.from_kubeconfig(place.kubeconfig, MANAGEMENT)
    async with KubeClient(target) as client:
        return await progress.converge(
            client,
            console,
            timeout=_CONVERGE_TIMEOUT,
            check=lambda: _check(children),
            nudge=firstsync.FirstSync(client),
        )


def summary(
    console: Console, place: Workdir, base: int, final: progress.Snapshot, elapsed: float
) -> None:
    """What runs where, and what to try next."""
    ready, total = len(final.ready()), len(final.apps)
    if ready == total and final.converged():
        console.print(
            f"\n[bold green]gitferry is up[/]: {total} applications synced and healthy "
            f"in {elapsed:.1f}s."
        )
    elif final.converged():
        console.print(
            f"\n[bold green]gitferry is up[/] in {elapsed:.1f}s: {ready} of {total} "
            "applications synced and healthy; automated sync is off for:"
        )
    else:
        console.print(
            f"\n[bold yellow]gitferry is up, but {total - ready} of {total} applications are "
            "not synced and healthy yet[/] (see `gitferry app list`):"
        )
    for app in final.apps:
        if app not in final.ready():
            status = app.get("status") or {}
            sync = (status.get("sync") or {}).get("status", "Unknown")
            health = (status.get("health") or {}).get("status", "Unknown")
            console.print(f"  {app['metadata']['name']}: {sync}, {health}")
    clusters = ", ".join(f"{c} https://127.0.0.1:{cluster_port(base, c)}" for c in CLUSTERS)
    repos = place.root / "repos"
    console.print(
        f"""
  clusters    {clusters}
  kubeconfig  {place.kubeconfig}
  config      {place.config}
  repos       {repos} (push to them: changes are live in seconds)
  logs        {place.root / "logs"}

Try, in another terminal:
  export GITFERRY_CONFIG={place.config} KUBECONFIG={place.kubeconfig}
  gitferry app list
  kubectl --context production get deploy -A
  cd {repos / "config-repo"}   # edit environments/development/applications/greeter/values.yaml,
                               # then: git commit -am "say hello" && git push

Press Ctrl-C to stop; `gitferry up --workdir {place.root}` starts it again where it left off."""
    )


def _check(children: processes.Children) -> None:
    dead = children.dead()
    if dead is not None:
        raise processes.PlatformError(
            f"{dead.name} stopped unexpectedly (exit {dead.process.returncode}): "
            f"{dead.last_lines()} (log: {dead.log})"
        )


def _recorded_port(place: Workdir) -> int | None:
    try:
        data: Any = yaml.safe_load(place.settings.read_text())
    except (OSError, yaml.YAMLError):
        return None
    port = data.get("port") if isinstance(data, dict) else None
    return port if isinstance(port, int) else None


def _record_port(place: Workdir, base: int) -> None:
    place.settings.write_text(yaml.safe_dump({"port": base}))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
