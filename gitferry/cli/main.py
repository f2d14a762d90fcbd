"""The `gitferry` command: the root click group and the error boundary of every command.

Subcommands live in one module per noun (`cluster_cmd`, `render_cmd`, ...) and are registered
here. User errors (bad input, unreachable clusters, taken ports) are printed as one line on
stderr with a non-zero exit; only bugs show a traceback. Engine log lines stay quiet unless
`-v` is given, so a failing command prints its one error line and nothing else.
"""

from __future__ import annotations

import logging

import click

from gitferry.cli import (
    app_cmd,
    appset_cmd,
    cluster_cmd,
    controller_cmd,
    diff_cmd,
    health_cmd,
    install_cmd,
    proj_cmd,
    rbac_cmd,
    render_cmd,
)
from gitferry.cli.platform import init_cmd, up_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Show engine log lines (-vv for debug).")
@click.version_option(package_name="gitferry")
def main(verbose: int) -> None:
    """gitferry: GitOps continuous delivery that reads Argo CD's resources unchanged."""
    level = {0: logging.ERROR, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


main.add_command(app_cmd.app)
main.add_command(cluster_cmd.cluster)
main.add_command(render_cmd.render)
main.add_command(diff_cmd.diff)
main.add_command(install_cmd.install)
main.add_command(controller_cmd.controller)
main.add_command(health_cmd.health)
main.add_command(proj_cmd.proj)
main.add_command(appset_cmd.appset)
main.add_command(rbac_cmd.rbac_group)
main.add_command(up_cmd.up)
main.add_command(init_cmd.init)
