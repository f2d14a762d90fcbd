"""How one task is written (reference 3.7 step 4, 2.6): apply (server-side by default),
create, replace or update, with force and validation, and the kubectl-style message."""

from __future__ import annotations

import pytest

from gitferry.model.operation import Strategy, SyncOperation

pytestmark = pytest.mark.anyio

COMMANDS = [
    # (id, kind, target options, live: None or its options, app options, strategy force,
    #  expected verb, expected call details, expected message)
    ("default", "Pod", None, "", (), False, "apply", {"server_side": True},
     "pod/p serverside-applied"),
    ("new", "Pod", None, None, (), False, "apply", {"server_side": True},
     "pod/p serverside-applied"),
    ("ssa off on resource", "Pod", "ServerSideApply=false", "", (), False, "apply",
     {"server_side": False}, "pod/p configured"),
    ("ssa off in app, new", "Pod", None, None, ("ServerSideApply=false",), False, "apply",
     {"server_side": False}, "pod/p created"),
    ("resource turns ssa back on", "Pod", "ServerSideApply=true", "", ("ServerSideApply=false",),
     False, "apply", {"server_side": True}, "pod/p serverside-applied"),
    ("replace", "Pod", "Replace=true", "", (), False, "replace", {"force": False},
     "pod/p replaced"),
    ("replace set on live", "Pod", None, "Replace=true", (), False, "replace", {"force": False},
     "pod/p replaced"),
    ("replace in app", "Pod", None, "", ("Replace=true",), False, "replace", {"force": False},
     "pod/p replaced"),
    ("replace, no live object", "Pod", "Replace=true", None, (), False, "create",
     {"validate": True}, "pod/p created"),
    ("force", "Pod", "Force=true", "", (), False, "apply", {"force": True},
     "pod/p serverside-applied"),
    ("force and replace on live", "Pod", None, "Force=true,Replace=true", (), False, "replace",
     {"force": True}, "pod/p replaced"),
    ("strategy force", "Pod", None, "", (), True, "apply", {"force": True},
     "pod/p serverside-applied"),
    ("validate off", "Pod", "Validate=false", "", (), False, "apply", {"validate": False},
     "pod/p serverside-applied"),
    ("namespaces are updated, not replaced", "Namespace", "Replace=true", "", (), False,
     "replace", {"force": False}, "Namespace/p updated"),
    ("deployment naming", "Deployment", None, None, (), False, "apply", {},
     "deployment.apps/p serverside-applied"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "target", "live", "app", "force", "verb", "details", "message"),
    [c[1:] for c in COMMANDS],
    ids=[c[0] for c in COMMANDS],
)
async def test_write_command(
    driver, k8s, fake_cluster, kind, target, live, app, force, verb, details, message
):
    def obj(options, namespace=None):
        return k8s.make(kind, "p", namespace, {k8s.OPTIONS: options} if options else None)

    if live is not None:
        fake_cluster.seed(obj(live, None if kind == "Namespace" else "apps"))
    strategy = SyncOperation(strategy=Strategy.HOOK, force=force)
    d = driver([obj(target)], sync=strategy, sync_options=app)
    outcome = await d.step()
    assert outcome.state.message == "successfully synced (all tasks run)"
    writes = [(v, extra) for v, who, extra in fake_cluster.calls if v != "dry-run"]
    assert len(writes) == 1
    assert writes[0][0] == verb
    assert details.items() <= writes[0][1].items()
    assert d.result("p")["message"] == message


async def test_an_update_carries_the_live_resource_version(driver, k8s, fake_cluster):
    fake_cluster.seed(k8s.make("Namespace", "p"), resourceVersion="41")
    target = k8s.make("Namespace", "p", None, {k8s.OPTIONS: "Replace=true"})
    sent = []
    original = fake_cluster.replace

    async def spy(obj, **options):
        sent.append(obj)
        return await original(obj, **options)

    fake_cluster.replace = spy
    await driver([target]).step()
    assert sent[-1]["metadata"]["resourceVersion"] == "41"


MIGRATION = [
    # (app options, live managed fields, expected applies as (server_side, field_manager))
    ((), [{"manager": "kubectl-client-side-apply", "operation": "Update"}],
     [(False, "kubectl-client-side-apply"), (True, "argocd-controller")]),
    (("ClientSideApplyMigration=false",),
     [{"manager": "kubectl-client-side-apply", "operation": "Update"}],
     [(True, "argocd-controller")]),
    ((), [{"manager": "kubectl-client-side-apply", "operation": "Apply"}],
     [(True, "argocd-controller")]),
    ((), [{"manager": "argocd-controller", "operation": "Apply"}], [(True, "argocd-controller")]),
]  # fmt: skip


@pytest.mark.parametrize(("app", "managed", "applies"), MIGRATION)
async def test_client_side_fields_move_to_server_side_apply_first(
    driver, k8s, fake_cluster, app, managed, applies
):
    fake_cluster.seed(k8s.make("ConfigMap", "c", "apps"), managedFields=managed)
    await driver([k8s.make("ConfigMap", "c")], sync_options=app).step()
    calls = [
        (x["server_side"], x["field_manager"]) for v, _, x in fake_cluster.calls if v == "apply"
    ]
    assert calls == applies
