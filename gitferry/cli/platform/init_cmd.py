"""`gitferry init DIR`: scaffold the platform's four repositories without starting anything.

Writes `DIR/repos/<name>` (working clones) and `DIR/remotes/<name>.git` (their bare remotes,
with the post-receive hook a later `gitferry up --workdir DIR` answers) for application-repo,
config-repo, infrastructure-repo and policy-repo. Refuses a DIR that already holds them.
"""

from __future__ import annotations

from pathlib import Path

import click

from gitferry.cli import common
from gitferry.cli.platform import scaffold
from gitferry.cli.platform.layout import REPOSITORIES, Workdir
from gitferry.cli.platform.up_cmd import preflight
from gitferry.model.errors import InputError


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@common.handle_errors()
def init(directory: Path) -> None:
    """Scaffold the four repositories of the platform (blueprint layout) in DIRECTORY."""
    place = Workdir(directory.expanduser().absolute())
    preflight(place)
    taken = [p for p in (place.root / "repos", place.root / "remotes") if p.exists()]
    if taken:
        raise InputError(
            f"{taken[0]} already exists: choose an empty directory, or run "
            f"`gitferry up --workdir {place.root}` to use the repositories there"
        )
    place.root.mkdir(parents=True, exist_ok=True)
    published = common.run(scaffold.scaffold(place))
    for repo in published:
        click.echo(f"{repo.clone.name:<20} {repo.clone}  (remote {repo.remote}, {repo.commit[:7]})")
    click.echo(
        f"\n{len(REPOSITORIES)} repositories ready. Start the platform on them with:\n"
        f"  gitferry up --workdir {place.root}"
    )
