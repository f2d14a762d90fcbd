"""Resuming after a crash: every step starts from nothing but the persisted
`operationState` (a fresh driver, as after a controller restart), and a step whose results
were lost still leaves each hook created exactly once."""

from __future__ import annotations

from collections import Counter

import pytest

from gitferry.model.operation import OperationPhase

pytestmark = pytest.mark.anyio


def app(k8s):
    pre = k8s.hook("Job", "", "PreSync")
    pre["metadata"]["generateName"] = "migrate-"
    return [
        pre,
        k8s.make("Deployment", "web"),
        k8s.waved(k8s.make("Service", "front"), 1),
        k8s.hook("Job", "smoke", "PostSync"),
    ]


def creations(fake_cluster) -> Counter[str]:
    return Counter(who for verb, who, _ in fake_cluster.calls if verb == "apply")


async def test_a_restarted_controller_continues_from_the_persisted_state(driver, k8s, fake_cluster):
    healthy = {"web": ("Healthy", ""), "smoke": ("Healthy", "")}
    saved: dict = {}
    messages = []
    for _ in range(10):
        fresh = driver(app(k8s), health=healthy, **({"saved": saved} if saved else {}))
        outcome = await fresh.step()
        saved = fresh.saved
        messages.append(outcome.state.message)
        if outcome.state.phase.completed:
            break
    assert outcome.state.phase is OperationPhase.SUCCEEDED
    assert messages[-1] == "successfully synced (no more tasks)"
    counts = creations(fake_cluster)
    assert set(counts.values()) == {1}
    assert {who.split("/")[1].split("-")[0] for who in counts} == {
        "migrate",
        "web",
        "front",
        "smoke",
    }


async def test_a_hook_created_by_a_step_whose_results_were_lost_is_not_created_again(
    driver, k8s, fake_cluster
):
    d = driver(app(k8s), health={"web": ("Healthy", ""), "smoke": ("Healthy", "")})
    lost = await d.step(persist=False)  # created the PreSync hook, then the controller died
    assert lost.state.message.startswith("waiting for completion of hook batch/Job/migrate-")
    assert d.saved["syncResult"].get("resources") is None

    resumed = driver(app(k8s), health=d.health, saved=d.saved)
    outcome = await resumed.step()
    assert outcome.state.message == "waiting for healthy state of apps/Deployment/web"
    await resumed.step()  # front
    await resumed.step(persist=False)  # starts the PostSync hook; results lost again
    again = driver(app(k8s), health=d.health, saved=resumed.saved)
    assert await again.run() == "successfully synced (no more tasks)"

    counts = creations(fake_cluster)
    hooks = {who: n for who, n in counts.items() if who.startswith("Job/")}
    assert len(hooks) == 2
    assert set(hooks.values()) == {1}
    assert "delete" not in fake_cluster.verbs()


async def test_completed_hooks_are_not_run_again_when_later_steps_repeat(driver, k8s, fake_cluster):
    d = driver(app(k8s), health={"web": ("Progressing", ""), "smoke": ("Healthy", "")})
    for _ in range(4):
        await d.step()  # the PreSync hook completes, then web keeps progressing
    assert d.state.message == "waiting for healthy state of apps/Deployment/web"
    d.health["web"] = ("Healthy", "")
    assert await d.run() == "successfully synced (no more tasks)"
    pre = [who for who in creations(fake_cluster) if who.startswith("Job/migrate-")]
    assert len(pre) == 1
    assert creations(fake_cluster)[pre[0]] == 1


async def test_a_retry_runs_its_hooks_again(driver, k8s, fake_cluster):
    """A retry keeps `startedAt` but not the results: the failed attempt's hook is an old
    one (another attempt's mark), so BeforeHookCreation replaces it."""
    d = driver([k8s.hook("Job", "migrate", "PreSync")], health={"migrate": ("Degraded", "")})
    await d.step()
    job = fake_cluster.find("Job", "migrate")
    assert job["metadata"]["annotations"]["gitferry.io/sync-attempt"] == "1767225600/0/PreSync"
    assert (await d.step()).state.phase is OperationPhase.FAILED
    # The controller's retry: Running again, one more attempt, results cleared.
    d.saved.update(phase="Running", retryCount=1, message="Retrying attempt #1")
    d.saved["syncResult"].pop("resources")
    d.saved.pop("finishedAt")
    retried = await d.step()
    assert retried.state.message == "waiting for deletion of hook batch/Job/migrate"
    again = await d.step()
    assert again.state.message == "waiting for completion of hook batch/Job/migrate"
    job = fake_cluster.find("Job", "migrate")
    assert job["metadata"]["annotations"]["gitferry.io/sync-attempt"] == "1767225600/1/PreSync"
    assert creations(fake_cluster)["Job/migrate"] == 2
