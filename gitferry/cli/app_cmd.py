"""`gitferry app ...`: what `argocd app ...` does, against the Application objects of the
management cluster (there is no gitferry API server yet).

The commands write what Argo CD's API server writes and the controller reacts to it: an
`operation` starts a sync or rollback, the `argocd.argoproj.io/refresh` annotation asks for a
refresh, `operationState.phase: Terminating` stops an operation, finalizers decide whether a
deletion cascades. Verbs live in `app_read` (list, get, history), `app_sync` (sync, rollback,
wait, terminate-op), `app_write` (create, set, delete) and `app_diff`; this module only
groups them.
Registered on the root command by `main`.
"""

from __future__ import annotations

import click

from gitferry.cli import app_diff, app_read, app_refresh, app_sync, app_write


@click.group("app")
def app() -> None:
    """Applications: list, inspect, create, change, sync, roll back, delete."""


for _command in (
    app_read.list_,
    app_read.get,
    app_read.history,
    app_diff.diff,
    app_refresh.refresh,
    app_write.create,
    app_write.set_,
    app_write.delete,
    app_sync.sync,
    app_sync.wait,
    app_sync.rollback,
    app_sync.terminate_op,
):
    app.add_command(_command)
