"""The `gitferry` command: the root click group and the error boundary of every command.

Subcommands live in one module per noun (`cluster_cmd`, ...) and are registered here. User
errors (bad input, unreachable clusters, taken ports) are printed as one line on stderr with a
non-zero exit; only bugs show a traceback.
"""

from __future__ import annotations

import click

from gitferry.cli import cluster_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gitferry")
def main() -> None:
    """gitferry: GitOps continuous delivery that reads Argo CD's resources unchanged."""


main.add_command(cluster_cmd.cluster)
