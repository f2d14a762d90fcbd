"""Sync options (reference 2.6), parsed once: the app-level list, the resource annotation,
and their resolution for one task.

* App-level options come from `operation.sync.syncOptions`, or from
  `spec.syncPolicy.syncOptions` when the operation carries none (a request's list replaces
  the spec's, it is not merged). Items match exactly, with no trimming.
* The resource annotation `argocd.argoproj.io/sync-options` is a CSV list: split on `,`,
  trim, drop empty items and duplicates (reference 0; parsed by `gitferry.model.hooks`).
  "Option value of K" is the text after `K=` in the first item that starts with it.
* `resolve` decides one task's options, reading each option from the object the table in 2.6
  names: Validate and SkipDryRunOnMissingResource and ServerSideApply from the target,
  PruneLast and Prune from the live object, Replace and Force from either.

gitferry applies server-side by default (field manager `argocd-controller`, forced);
`ServerSideApply=false` (app or resource) asks for a client-style apply instead.

Pure. Used by the planner (`plan.build`), which stores the resolved options on each task for
the executor, and by the controller for the app-level checks (CreateNamespace,
FailOnSharedResource, RespectIgnoreDifferences, Delete=).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gitferry.model import hooks as model_hooks

DEFAULT_MIGRATION_MANAGER = "kubectl-client-side-apply"

Obj = dict[str, Any]


class Propagation(StrEnum):
    """Deletion propagation for prunes and hook deletions (Kubernetes' spelling)."""

    FOREGROUND = "Foreground"
    BACKGROUND = "Background"
    ORPHAN = "Orphan"


@dataclass(frozen=True, kw_only=True)
class AppSyncOptions:
    """The app-level sync options of one operation."""

    # Validate=false: apply without schema validation.
    validate: bool = True
    # SkipDryRunOnMissingResource=true: a kind the server does not know skips the dry-run.
    skip_dry_run_on_missing_resource: bool = False
    # PruneLast=true: every prune runs in an extra wave after everything else.
    prune_last: bool = False
    # Prune=false / Prune=confirm: the default for prunes; a resource annotation overrides it.
    prune: str | None = None
    # Delete=false / Delete=confirm: the default for cascade deletion of the app.
    delete: str | None = None
    # CreateNamespace=true: create the destination namespace if it is missing.
    create_namespace: bool = False
    # ApplyOutOfSyncOnly=true: skip resources whose diff says they are unchanged.
    apply_out_of_sync_only: bool = False
    # RespectIgnoreDifferences=true: the controller copies ignored live fields into targets.
    respect_ignore_differences: bool = False
    # ServerSideApply=false turns gitferry's default server-side apply off.
    server_side_apply: bool = True
    # ClientSideApplyMigration=false: do not move kubectl's client-side fields to SSA first.
    client_side_apply_migration: bool = True
    # Replace=true: create or replace instead of applying.
    replace: bool = False
    # PrunePropagationPolicy=foreground|background|orphan (default foreground).
    prune_propagation: Propagation = Propagation.FOREGROUND
    # FailOnSharedResource=true: fail the sync when a resource belongs to another app too.
    fail_on_shared_resource: bool = False

    @staticmethod
    def effective(operation_options: Sequence[str], spec_options: Sequence[str]) -> list[str]:
        """The list that applies: the operation's when it has one, else the spec's."""
        return list(operation_options) if operation_options else list(spec_options)

    @classmethod
    def parse(cls, items: Sequence[str]) -> AppSyncOptions:
        """Read the app-level list (exact matches, no trimming)."""
        have = set(items)
        propagation = Propagation.FOREGROUND
        if "PrunePropagationPolicy=background" in have:
            propagation = Propagation.BACKGROUND
        elif "PrunePropagationPolicy=orphan" in have:
            propagation = Propagation.ORPHAN
        return cls(
            validate="Validate=false" not in have,
            skip_dry_run_on_missing_resource="SkipDryRunOnMissingResource=true" in have,
            prune_last="PruneLast=true" in have,
            prune=next((v for v in ("false", "confirm") if f"Prune={v}" in have), None),
            delete=next((v for v in ("false", "confirm") if f"Delete={v}" in have), None),
            create_namespace="CreateNamespace=true" in have,
            apply_out_of_sync_only="ApplyOutOfSyncOnly=true" in have,
            respect_ignore_differences="RespectIgnoreDifferences=true" in have,
            server_side_apply="ServerSideApply=false" not in have,
            client_side_apply_migration="ClientSideApplyMigration=false" not in have,
            replace="Replace=true" in have,
            prune_propagation=propagation,
            fail_on_shared_resource="FailOnSharedResource=true" in have,
        )


@dataclass(frozen=True, kw_only=True)
class ResourceOptions:
    """The `argocd.argoproj.io/sync-options` annotation of one object."""

    validate_false: bool = False  # Validate=false
    skip_dry_run_on_missing_resource: bool = False  # SkipDryRunOnMissingResource=true
    prune_last: bool = False  # PruneLast=true
    prune: str | None = None  # the option value of Prune
    delete: str | None = None  # the option value of Delete
    server_side_apply: bool | None = None  # ServerSideApply=true / =false; None when unset
    replace: bool = False  # Replace=true
    force: bool = False  # Force=true

    @classmethod
    def of(cls, obj: Obj | None) -> ResourceOptions:
        items = model_hooks.csv_annotation(obj, model_hooks.SYNC_OPTIONS_ANNOTATION) if obj else ()
        ssa = None
        if "ServerSideApply=false" in items:
            ssa = False
        elif "ServerSideApply=true" in items:
            ssa = True
        return cls(
            validate_false="Validate=false" in items,
            skip_dry_run_on_missing_resource="SkipDryRunOnMissingResource=true" in items,
            prune_last="PruneLast=true" in items,
            prune=model_hooks.list_option_value(items, "Prune"),
            delete=model_hooks.list_option_value(items, "Delete"),
            server_side_apply=ssa,
            replace="Replace=true" in items,
            force="Force=true" in items,
        )


@dataclass(frozen=True, kw_only=True)
class TaskOptions:
    """The options that decide how one task is applied or pruned."""

    # Send the object for schema validation.
    validate: bool = True
    # A kind the server does not know skips the dry-run instead of failing the task.
    skip_dry_run_on_missing_resource: bool = False
    # Server-side apply (never used for dry-runs).
    server_side_apply: bool = True
    # Create when missing, replace when present (CRDs and Namespaces get an update).
    replace: bool = False
    # `--force`: replace by delete and re-create on conflicts.
    force: bool = False
    # The effective Prune= value for a prune task: "false", "confirm", or None.
    prune: str | None = None
    # Prune in the extra wave after everything else.
    prune_last: bool = False


def resolve(
    app: AppSyncOptions, target: Obj | None, live: Obj | None, *, force: bool
) -> TaskOptions:
    """One task's options; `force` is the operation's sync strategy force."""
    on_target = ResourceOptions.of(target)
    on_live = ResourceOptions.of(live)
    ssa = app.server_side_apply
    if on_target.server_side_apply is not None:
        ssa = on_target.server_side_apply
    return TaskOptions(
        validate=app.validate and not on_target.validate_false,
        skip_dry_run_on_missing_resource=(
            app.skip_dry_run_on_missing_resource or on_target.skip_dry_run_on_missing_resource
        ),
        server_side_apply=ssa,
        replace=app.replace or on_target.replace or on_live.replace,
        force=force or on_target.force or on_live.force,
        prune=on_live.prune if on_live.prune is not None else app.prune,
        prune_last=app.prune_last or on_live.prune_last,
    )
