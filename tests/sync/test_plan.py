"""The planner: which tasks a sync has and in what order (reference 3.1, 3.3, 3.4, 3.5, 2.7).
Every case is a table row: manifests (targets), live objects and options in, the ordered
tasks out as `Phase/wave Kind/name` (`prune` marks a prune). No cluster is involved."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitferry.model.operation import ManagedNamespaceMetadata, SyncOperationResource
from gitferry.sync import order, plan
from gitferry.sync.options import AppSyncOptions

START = datetime(2026, 1, 1, tzinfo=UTC)
# A case builds (targets, live) or (targets, live, plan options) from the builders.
Case = Callable[[Any], tuple[Any, ...]]


def rows(tasks) -> list[str]:
    return [
        f"{t.phase.value}/{t.wave} {'prune ' if t.is_prune else ''}{t.kind}/{t.name}" for t in tasks
    ]


def build(targets, live=(), namespace_live=None, **options) -> list[Any]:
    app = AppSyncOptions.parse(options.pop("sync_options", ()))
    opts = plan.PlanOptions(
        destination_namespace=options.pop("destination", "apps"),
        revision=options.pop("revision", "0123456789"),
        started_at=START,
        app=app,
        **options,
    )
    return plan.build(targets, list(live), options=opts, namespace_live=namespace_live)


def crd(k, wave: int = 0) -> dict[str, Any]:
    obj = k.waved(k.make("CustomResourceDefinition", "widgets.example.com"), wave)
    obj["spec"] = {"group": "example.com", "names": {"kind": "Widget"}}
    return obj


def pods(k, waves: dict[str, int], **annotations: dict[str, str]) -> dict[str, dict[str, Any]]:
    made = {}
    for name, wave in waves.items():
        extra = annotations.get(name)
        made[name] = k.waved(k.make("Pod", name, "apps", extra), wave)
    return made


def prune_mix(k):
    """Argo CD's TestWaveReorderingOfPruneTasks `mixedTasks`."""
    p = pods(k, {"pod1": 1, "pod2": 3, "pod3": 3, "pod4": 3, "pod5": 4, "pod6": 5, "pod7": 5})
    ns = k.waved(k.make("Namespace", "ns"), -1)
    targets = [ns, p["pod2"], p["pod6"]]
    live = [ns, p["pod1"], p["pod3"], p["pod4"], p["pod5"], p["pod6"], p["pod7"]]
    return targets, live


def prune_last(k, per_resource: bool):
    extra = {"pod2": {k.OPTIONS: "PruneLast=true"}} if per_resource else {}
    p = pods(k, {"pod1": 1, "pod2": 2, "pod3": 3, "pod4": 4}, **extra)
    ns = k.make("Namespace", "ns")
    options = {} if per_resource else {"sync_options": ("PruneLast=true",)}
    return [ns], [ns, *p.values()], options


def helm(k, name: str, hook: str, weight: str | None = None, argo: str | None = None):
    annotations = {"helm.sh/hook": hook}
    if weight is not None:
        annotations["helm.sh/hook-weight"] = weight
    if argo is not None:
        annotations[k.HOOK] = argo
    return k.make("Job", name, None, annotations)


ORDER: list[tuple[str, Case, list[str]]] = [
    (
        "phases run PreSync, Sync, PostSync, SyncFail",
        lambda k: (
            [
                k.hook("Job", "fail", "SyncFail"),
                k.hook("Job", "post", "PostSync"),
                k.make("Deployment", "web"),
                k.hook("Job", "pre", "PreSync"),
            ],
            [],
        ),
        [
            "PreSync/0 Job/pre",
            "Sync/0 Deployment/web",
            "PostSync/0 Job/post",
            "SyncFail/0 Job/fail",
        ],
    ),
    (
        "waves ascend within a phase",
        lambda k: (
            [
                k.waved(k.make("Deployment", "a"), 5),
                k.waved(k.make("Deployment", "b"), -1),
                k.make("Deployment", "c"),
            ],
            [],
        ),
        ["Sync/-1 Deployment/b", "Sync/0 Deployment/c", "Sync/5 Deployment/a"],
    ),
    (
        "kinds follow gitops-engine's list, unknown kinds last",
        lambda k: (
            [
                k.make(kind, kind.lower())
                for kind in (
                    "Widget",
                    "APIService",
                    "Ingress",
                    "CronJob",
                    "Job",
                    "StatefulSet",
                    "Deployment",
                    "Service",
                    "Role",
                    "ClusterRole",
                    "CustomResourceDefinition",
                    "PersistentVolumeClaim",
                    "ConfigMap",
                    "Secret",
                    "ServiceAccount",
                    "Namespace",
                )
            ],
            [],
        ),
        [
            "Sync/0 Namespace/namespace",
            "Sync/0 ServiceAccount/serviceaccount",
            "Sync/0 Secret/secret",
            "Sync/0 ConfigMap/configmap",
            "Sync/0 PersistentVolumeClaim/persistentvolumeclaim",
            "Sync/0 CustomResourceDefinition/customresourcedefinition",
            "Sync/0 ClusterRole/clusterrole",
            "Sync/0 Role/role",
            "Sync/0 Service/service",
            "Sync/0 Deployment/deployment",
            "Sync/0 StatefulSet/statefulset",
            "Sync/0 Job/job",
            "Sync/0 CronJob/cronjob",
            "Sync/0 Ingress/ingress",
            "Sync/0 APIService/apiservice",
            "Sync/0 Widget/widget",
        ],
    ),
    (
        "names order plainly within a kind, namespaces do not count",
        lambda k: (
            [
                k.make("ConfigMap", "b", "zz"),
                k.make("ConfigMap", "a", "zz"),
                k.make("ConfigMap", "B"),
                k.make("ConfigMap", "c", "aa"),
            ],
            [],
        ),
        ["Sync/0 ConfigMap/B", "Sync/0 ConfigMap/a", "Sync/0 ConfigMap/b", "Sync/0 ConfigMap/c"],
    ),
    (
        "a custom resource named first still follows every listed kind",
        lambda k: ([k.make("Widget", "a"), k.make("Deployment", "z")], []),
        ["Sync/0 Deployment/z", "Sync/0 Widget/a"],
    ),
    (
        "a Namespace moves into the earlier wave of the first object in it",
        lambda k: (
            [
                k.waved(k.make("Namespace", "team"), 2),
                k.waved(k.make("ConfigMap", "cm", "team"), -1),
            ],
            [],
        ),
        ["Sync/-1 Namespace/team", "Sync/-1 ConfigMap/cm"],
    ),
    (
        "a Namespace moves into PreSync ahead of a hook that needs it",
        lambda k: (
            [k.make("Namespace", "team"), k.make("Job", "pre", "team", {k.HOOK: "PreSync"})],
            [],
        ),
        ["PreSync/0 Namespace/team", "PreSync/0 Job/pre"],
    ),
    (
        "a Namespace already earlier stays where it is",
        lambda k: (
            [
                k.waved(k.make("Namespace", "team"), -1),
                k.waved(k.make("ConfigMap", "cm", "team"), 3),
            ],
            [],
        ),
        ["Sync/-1 Namespace/team", "Sync/3 ConfigMap/cm"],
    ),
    (
        "a CRD moves ahead of the first resource of its kind",
        lambda k: ([crd(k), k.waved(k.make("Widget", "w"), -2)], []),
        ["Sync/-2 CustomResourceDefinition/widgets.example.com", "Sync/-2 Widget/w"],
    ),
    (
        "prune waves are mirrored (Argo CD's mixedTasks)",
        prune_mix,
        [
            "Sync/-1 Namespace/ns",
            "Sync/1 prune Pod/pod7",
            "Sync/3 Pod/pod2",
            "Sync/3 prune Pod/pod5",
            "Sync/4 prune Pod/pod3",
            "Sync/4 prune Pod/pod4",
            "Sync/5 prune Pod/pod1",
            "Sync/5 Pod/pod6",
        ],
    ),
    (
        "app-level PruneLast moves every prune past the last wave",
        lambda k: prune_last(k, per_resource=False),
        [
            "Sync/0 Namespace/ns",
            "Sync/5 prune Pod/pod1",
            "Sync/5 prune Pod/pod2",
            "Sync/5 prune Pod/pod3",
            "Sync/5 prune Pod/pod4",
        ],
    ),
    (
        "PruneLast on a live object moves only that prune",
        lambda k: prune_last(k, per_resource=True),
        [
            "Sync/0 Namespace/ns",
            "Sync/1 prune Pod/pod4",
            "Sync/2 prune Pod/pod3",
            "Sync/4 prune Pod/pod1",
            "Sync/5 prune Pod/pod2",
        ],
    ),
    (
        "a hook in several phases is one task per phase",
        lambda k: ([k.hook("Job", "both", "PreSync,PostSync,PreSync")], []),
        ["PreSync/0 Job/both", "PostSync/0 Job/both"],
    ),
    (
        "Helm hooks map to phases, hook weights are waves, Argo hooks win",
        lambda k: (
            [
                helm(k, "h1", "pre-install", "-5"),
                helm(k, "h2", "post-upgrade"),
                helm(k, "h3", "pre-upgrade,pre-install", "x"),
                helm(k, "h4", "pre-install", argo="Sync"),
                k.make("CustomResourceDefinition", "c", None, {"helm.sh/hook": "crd-install"}),
            ],
            [],
        ),
        [
            "PreSync/-5 Job/h1",
            "PreSync/0 Job/h3",
            "Sync/0 CustomResourceDefinition/c",
            "Sync/0 Job/h4",
            "PostSync/0 Job/h2",
        ],
    ),
    (
        "sync-wave beats hook-weight; only Atoi integers parse",
        lambda k: (
            [
                k.make("ConfigMap", "a", None, {k.WAVE: "+3", "helm.sh/hook-weight": "1"}),
                k.make("ConfigMap", "b", None, {k.WAVE: " 2", "helm.sh/hook-weight": "-1"}),
                k.make("ConfigMap", "c", None, {k.WAVE: "1_0"}),
            ],
            [],
        ),
        ["Sync/-1 ConfigMap/b", "Sync/0 ConfigMap/c", "Sync/3 ConfigMap/a"],
    ),
    (
        "Skip objects get no task and their live objects are not pruned",
        lambda k: (
            [
                k.make("ConfigMap", "skipped", None, {k.HOOK: "Skip"}),
                k.hook("Job", "j", "Skip,PreSync"),
            ],
            [k.make("ConfigMap", "skipped", "apps", {k.HOOK: "Skip"})],
        ),
        ["PreSync/0 Job/j"],
    ),
    (
        "hooks with garbage values are ignored, valid values kept",
        lambda k: (
            [
                k.hook("Job", "garbage", "Garbage"),
                k.make("Job", "helm-test", None, {"helm.sh/hook": "test-success"}),
                k.make("Job", "rollback", None, {"helm.sh/hook": "pre-rollback"}),
                k.hook("Job", "mixed", "Garbage,PostSync"),
            ],
            [k.make("Job", "garbage", "apps", {k.HOOK: "Garbage"})],
        ),
        ["PostSync/0 Job/mixed"],
    ),
    (
        "live hooks are never pruned",
        lambda k: ([], [k.make("Job", "old-hook", "apps", {k.HOOK: "PreSync"})]),
        [],
    ),
]


@pytest.mark.parametrize(
    ("case", "expected"), [(c[1], c[2]) for c in ORDER], ids=[c[0] for c in ORDER]
)
def test_task_order(k8s, case: Case, expected: list[str]) -> None:
    targets, live, *options = case(k8s)
    assert rows(build(targets, live, **(options[0] if options else {}))) == expected


def test_a_moved_dependency_takes_the_phase_into_its_result_key(k8s) -> None:
    tasks = build(
        [k8s.make("Namespace", "team"), k8s.make("Job", "pre", "team", {k8s.HOOK: "PreSync"})]
    )
    assert tasks[0].result_key == "/Namespace/apps/team:PreSync"


def test_hooks_without_a_name_get_one_per_phase_from_the_revision_and_start(k8s) -> None:
    pre_post = k8s.hook("Pod", "", "PreSync,PostSync")
    pre_post["metadata"]["generateName"] = "my-pod-"
    stamp = int(START.timestamp())
    long_rev = build([pre_post], revision="FooBarBaz")
    assert [t.name for t in long_rev] == [
        f"my-pod-foobarb-presync-{stamp}",
        f"my-pod-foobarb-postsync-{stamp}",
    ]
    short_rev = build([pre_post], revision="foobar")
    assert short_rev[0].name == f"my-pod-foobar-presync-{stamp}"
    assert "name" not in pre_post["metadata"]  # the input is not changed


def test_targets_get_the_destination_namespace_and_hooks_the_finalizer(k8s) -> None:
    role = k8s.make("ClusterRole", "reader")
    job = k8s.hook("Job", "pre", "PreSync")
    tasks = {t.name: t for t in build([role, job])}
    assert tasks["reader"].target["metadata"]["namespace"] == "apps"
    assert tasks["reader"].key == "rbac.authorization.k8s.io/ClusterRole/apps/reader"
    assert tasks["pre"].target["metadata"]["finalizers"] == ["argocd.argoproj.io/hook-finalizer"]
    assert "namespace" not in role["metadata"]
    assert "finalizers" not in job["metadata"]


def test_targets_pair_with_live_objects_and_leftovers_are_prunes(k8s) -> None:
    live_role = k8s.make("ClusterRole", "reader")
    live_web = k8s.make("Deployment", "web", "apps")
    tasks = build(
        [k8s.make("ClusterRole", "reader"), k8s.make("Deployment", "web", "apps")],
        [live_role, live_web, k8s.make("Service", "old", "apps")],
    )
    by_name = {t.name: t for t in tasks}
    assert by_name["reader"].live is live_role
    assert by_name["web"].live is live_web
    assert by_name["old"].is_prune
    assert by_name["old"].key == "/Service/apps/old"


def test_hook_tasks_find_their_live_object(k8s) -> None:
    live = k8s.make("Job", "pre", "apps", {k8s.HOOK: "PreSync"})
    (task,) = build([k8s.hook("Job", "pre", "PreSync")], [live])
    assert task.live is live
    assert task.is_hook


def test_selective_sync_keeps_the_named_resources_only(k8s) -> None:
    tasks = build(
        [k8s.make("Deployment", "web"), k8s.make("Service", "web")],
        [k8s.make("ConfigMap", "old", "apps")],
        resources=(SyncOperationResource(kind="Deployment", name="web", group="apps"),),
        skip_hooks=True,
    )
    assert rows(tasks) == ["Sync/0 Deployment/web"]


def test_skip_hooks_leaves_hooks_out(k8s) -> None:
    tasks = build([k8s.hook("Job", "pre", "PreSync"), k8s.make("Pod", "p")], skip_hooks=True)
    assert rows(tasks) == ["Sync/0 Pod/p"]


NAMESPACE_TASK = [
    # (namespace exists, managed metadata, a Namespace manifest in git, expected first row)
    (False, None, False, "PreSync/0 Namespace/fresh"),
    (True, None, False, "Sync/0 ConfigMap/cm"),
    (
        True,
        ManagedNamespaceMetadata({"team": "a"}, {"owner": "x"}),
        False,
        "PreSync/0 Namespace/fresh",
    ),
    (False, None, True, "Sync/0 Namespace/fresh"),
]


@pytest.mark.parametrize(("exists", "managed", "manifest", "first"), NAMESPACE_TASK)
def test_create_namespace_task(k8s, exists, managed, manifest, first) -> None:
    targets = [k8s.make("ConfigMap", "cm")]
    if manifest:
        targets.append(k8s.make("Namespace", "fresh"))
    live_ns = k8s.make("Namespace", "fresh") if exists else None
    tasks = build(
        targets,
        destination="fresh",
        sync_options=("CreateNamespace=true",),
        namespace_live=live_ns,
        managed_namespace_metadata=managed,
    )
    assert rows(tasks)[0] == first
    if managed is not None:
        meta = tasks[0].target["metadata"]
        assert meta["labels"] == {"team": "a"}
        assert meta["annotations"] == {
            "owner": "x",
            "argocd.argoproj.io/sync-options": "ServerSideApply=true",
        }
        assert tasks[0].live is live_ns
    if first.startswith("PreSync"):
        assert tasks[0].key == "/Namespace//fresh"


def test_resources_of_a_crd_in_the_sync_may_skip_the_dry_run(k8s) -> None:
    tasks = {t.kind: t for t in build([crd(k8s), k8s.make("Widget", "w"), k8s.make("Pod", "p")])}
    assert tasks["Widget"].may_skip_dry_run
    assert not tasks["Pod"].may_skip_dry_run


def test_planning_needs_no_cluster() -> None:
    """`plan` is pure: importing and running it loads no cluster client or executor."""
    code = (
        "import sys, datetime\n"
        "from gitferry.sync import plan\n"
        "opts = plan.PlanOptions(started_at=datetime.datetime(2026, 1, 1))\n"
        "plan.build([{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'p'}}], [],"
        " options=opts)\n"
        "loaded = [m for m in ('gitferry.cluster', 'gitferry.sync.executor', 'lightkube',"
        " 'httpx', 'asyncio') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


KINDS = ["ConfigMap", "Deployment", "Service", "Job", "Widget", "Namespace"]


@st.composite
def manifests(draw) -> list[dict[str, Any]]:
    """Objects of a few kinds, waves and namespaces, some of them hooks."""
    count = draw(st.integers(0, 12))
    made = []
    for index in range(count):
        kind = draw(st.sampled_from(KINDS))
        namespace = None if kind == "Namespace" else draw(st.sampled_from([None, "a", "b"]))
        name = draw(st.sampled_from(["a", "b", "x"])) if kind == "Namespace" else f"o{index}"
        annotations = {"argocd.argoproj.io/sync-wave": str(draw(st.integers(-2, 2)))}
        if kind == "Job" and draw(st.booleans()):
            annotations["argocd.argoproj.io/hook"] = draw(
                st.sampled_from(["PreSync", "PostSync", "PreSync,PostSync", "SyncFail"])
            )
        meta = {"name": name, "annotations": annotations}
        if namespace:
            meta["namespace"] = namespace
        made.append({"apiVersion": "v1", "kind": kind, "metadata": meta})
    return made


@settings(max_examples=200, deadline=None)
@given(manifests(), manifests())
def test_plans_are_ordered_and_namespaces_come_first(targets, live) -> None:
    before = copy.deepcopy((targets, live))
    tasks = build(targets, live)
    assert (targets, live) == before  # the inputs are not changed
    assert rows(build(targets, live)) == rows(tasks)  # the same inputs, the same plan
    ranks = [(order.PHASE_RANK[t.phase], t.wave) for t in tasks]
    assert ranks == sorted(ranks)
    for index, task in enumerate(tasks):
        if task.target is None or task.kind == "Namespace":
            continue
        later = tasks[index + 1 :]
        assert not any(
            t.kind == "Namespace" and t.name == task.namespace and t.target is not None
            for t in later
        ), f"Namespace {task.namespace} comes after {task}"
