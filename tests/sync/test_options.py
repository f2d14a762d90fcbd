"""Sync options (reference 2.6): the app-level list matches exactly, the annotation is a CSV
list, and each option is read from the object the reference names (target or live)."""

from __future__ import annotations

import pytest

from gitferry.sync.options import AppSyncOptions, Propagation, ResourceOptions, resolve

APP = [
    # (app-level list, field, expected)
    ((), "validate", True),
    (("Validate=false",), "validate", False),
    ((" Validate=false",), "validate", True),  # app-level items are not trimmed
    (("SkipDryRunOnMissingResource=true",), "skip_dry_run_on_missing_resource", True),
    (("PruneLast=true",), "prune_last", True),
    (("Prune=false",), "prune", "false"),
    (("Prune=confirm",), "prune", "confirm"),
    (("Delete=confirm",), "delete", "confirm"),
    (("CreateNamespace=true",), "create_namespace", True),
    (("ApplyOutOfSyncOnly=true",), "apply_out_of_sync_only", True),
    (("RespectIgnoreDifferences=true",), "respect_ignore_differences", True),
    ((), "server_side_apply", True),  # gitferry's default
    (("ServerSideApply=true",), "server_side_apply", True),
    (("ServerSideApply=false",), "server_side_apply", False),
    (("ClientSideApplyMigration=false",), "client_side_apply_migration", False),
    (("Replace=true",), "replace", True),
    ((), "prune_propagation", Propagation.FOREGROUND),
    (("PrunePropagationPolicy=background",), "prune_propagation", Propagation.BACKGROUND),
    (("PrunePropagationPolicy=orphan",), "prune_propagation", Propagation.ORPHAN),
    (("FailOnSharedResource=true",), "fail_on_shared_resource", True),
]


@pytest.mark.parametrize(("items", "name", "expected"), APP)
def test_app_level_options(items, name, expected) -> None:
    assert getattr(AppSyncOptions.parse(items), name) == expected


def test_a_request_list_replaces_the_spec_list() -> None:
    assert AppSyncOptions.effective(["Replace=true"], ["Validate=false"]) == ["Replace=true"]
    assert AppSyncOptions.effective([], ["Validate=false"]) == ["Validate=false"]


def test_the_annotation_is_a_trimmed_deduplicated_csv(k8s) -> None:
    obj = k8s.make("Pod", "p", None, {k8s.OPTIONS: " Force=true ,,Prune=confirm, Prune=false"})
    parsed = ResourceOptions.of(obj)
    assert parsed.force
    assert parsed.prune == "confirm"  # the first Prune= item wins
    assert ResourceOptions.of(None) == ResourceOptions()


RESOLVE = [
    # (app list, target annotation, live annotation, strategy force, field, expected)
    ((), "Validate=false", None, False, "validate", False),
    ((), None, "Validate=false", False, "validate", True),  # read from the target only
    (("Validate=false",), None, None, False, "validate", False),
    ((), "ServerSideApply=false", None, False, "server_side_apply", False),
    (("ServerSideApply=false",), "ServerSideApply=true", None, False, "server_side_apply", True),
    ((), None, "ServerSideApply=false", False, "server_side_apply", True),
    ((), "Replace=true", None, False, "replace", True),
    ((), None, "Replace=true", False, "replace", True),  # target or live
    ((), None, "Force=true", False, "force", True),
    ((), None, None, True, "force", True),  # the sync strategy's force
    ((), "Prune=false", None, False, "prune", None),  # read from the live object only
    ((), None, "Prune=false", False, "prune", "false"),
    (("Prune=confirm",), None, None, False, "prune", "confirm"),
    (("Prune=false",), None, "Prune=true", False, "prune", "true"),  # the resource wins
    ((), "PruneLast=true", None, False, "prune_last", False),
    ((), None, "PruneLast=true", False, "prune_last", True),
    ((), "SkipDryRunOnMissingResource=true", None, False, "skip_dry_run_on_missing_resource", True),
]


@pytest.mark.parametrize(("app", "target", "live", "force", "name", "expected"), RESOLVE)
def test_task_options_come_from_the_right_object(
    k8s, app, target, live, force, name, expected
) -> None:
    def obj(value):
        return k8s.make("Pod", "p", "apps", {k8s.OPTIONS: value} if value else None)

    options = resolve(AppSyncOptions.parse(app), obj(target), obj(live), force=force)
    assert getattr(options, name) == expected
