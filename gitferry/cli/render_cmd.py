"""`gitferry render -f APP.yaml`: the desired manifests of an Application, offline.

Prints the manifests as a YAML stream (or a JSON list) in a stable order, with tracking
metadata as a sync would apply them; warnings (repeated resources, cached revisions) go to
stderr.
"""

from __future__ import annotations

from pathlib import Path

import click

from gitferry.cli import common, offline


@click.command("render")
@click.option(
    "-f",
    "--file",
    "path",
    required=True,
    type=click.Path(path_type=Path, allow_dash=True),
    help="A file holding one Application (- for standard input).",
)
@offline.source_options()
@common.OUTPUT
@common.handle_errors()
def render(
    path: Path,
    locals_: tuple[str, ...],
    repo_secrets: Path | None,
    cache_dir: Path | None,
    output: str,
) -> None:
    """Render an Application's desired manifests without a control plane."""
    app = offline.application_from(common.load_objects(path), path)
    rendered = common.run(
        offline.render(
            app,
            cache_dir=cache_dir or common.cache_dir(),
            locals_=offline.parse_locals(locals_),
            secrets=offline.repository_secrets(repo_secrets),
        )
    )
    for warning in rendered.result.warnings:
        click.echo(f"warning: app {rendered.app.name}: {warning}", err=True)
    common.print_objects(rendered.result.manifests, output)
