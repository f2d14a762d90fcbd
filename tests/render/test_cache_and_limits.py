"""The manifest cache (a repeat does no Git or renderer work; callers cannot corrupt it) and
renderer time limits (a runaway renderer is killed, and the next render still works)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from gitferry.model.errors import RenderError, RenderLimitError
from gitferry.render import cache

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  v: '1'\n"
FILES_BY_TYPE = {
    "Directory": {"app/cm.yaml": CM},
    "Kustomize": {"app/cm.yaml": CM, "app/kustomization.yaml": "resources:\n- cm.yaml\n"},
    "Helm": {
        "app/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "app/templates/cm.yaml": CM,
    },
}
TOOL = {"Directory": None, "Kustomize": "kubectl", "Helm": "helm_sdk"}


@pytest.mark.parametrize("source_type", list(FILES_BY_TYPE))
def test_a_repeat_render_does_no_git_or_renderer_work(
    source_type: str,
    repo: Any,
    make_app: Any,
    render: Any,
    renderer: Any,
    request: pytest.FixtureRequest,
) -> None:
    if TOOL[source_type]:
        request.getfixturevalue(TOOL[source_type])
    provider, _ = repo(FILES_BY_TYPE[source_type])
    app = make_app(source={"path": "app"})
    first = render(app, provider)
    second = render(app, provider)
    assert second == first
    assert first.source_types == [source_type]
    assert renderer.renders == {source_type: 1}
    assert provider.calls["snapshot"] == 1
    assert (renderer.cache.hits, renderer.cache.misses) == (1, 1)


def test_callers_cannot_corrupt_the_cache(repo: Any, make_app: Any, render: Any) -> None:
    provider, _ = repo(FILES_BY_TYPE["Directory"])
    app = make_app(source={"path": "app"})
    first = render(app, provider)
    first.manifests[0]["data"]["v"] = "changed"
    first.manifests.clear()
    assert render(app, provider).manifests[0]["data"]["v"] == "1"


# id -> (first app kwargs, second app kwargs, render options, renders expected)
KEYS = {
    "same inputs hit": ({}, {}, ({}, {}), 1),
    "other source options miss": ({}, {"directory": {"include": "*.yaml"}}, ({}, {}), 2),
    "another destination namespace misses (it is in the build env)": (
        {},
        {"namespace": "other"},
        ({}, {}),
        2,
    ),
    "tracking options do not re-render": (
        {},
        {},
        ({}, {"tracking_method": "label", "installation_id": "x"}),
        1,
    ),
    "capabilities re-render": ({}, {}, ({}, {"kube_version": "1.30.0"}), 2),
}


@pytest.mark.parametrize(("first", "second", "options", "renders"), KEYS.values(), ids=list(KEYS))
def test_cache_keys(
    first: dict[str, Any],
    second: dict[str, Any],
    options: tuple[dict[str, Any], dict[str, Any]],
    renders: int,
    repo: Any,
    make_app: Any,
    render: Any,
    renderer: Any,
) -> None:
    provider, _ = repo(FILES_BY_TYPE["Directory"])

    def app(extra: dict[str, Any]) -> Any:
        namespace = extra.pop("namespace", "default")
        return make_app(source={"path": "app", **extra}, namespace=namespace)

    render(app(dict(first)), provider, **options[0])
    render(app(dict(second)), provider, **options[1])
    assert sum(renderer.renders.values()) == renders


def test_the_cache_drops_the_least_recently_used() -> None:
    lru = cache.ManifestCache(max_entries=2, max_bytes=100)
    for key in "abc":
        lru.put(key, cache.Entry(b"x" * 10, "Directory"))
    assert lru.get("a") is None
    assert lru.get("c") is not None
    lru.put("big", cache.Entry(b"x" * 95, "Directory"))
    assert len(lru) == 1
    lru.put("huge", cache.Entry(b"x" * 101, "Directory"))
    assert lru.get("huge") is None


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_runaway_helm_template_is_killed(
    repo: Any, make_app: Any, render: Any, renderer: Any, helm_sdk: Any
) -> None:
    loop = "{{- range $i := until 100000 }}{{- range $j := until 100000 }}{{- end }}{{- end }}\n"
    provider, _ = repo({**FILES_BY_TYPE["Helm"], "app/templates/loop.yaml": loop})
    quick, _ = repo(FILES_BY_TYPE["Helm"], "quick")
    render(make_app("warm", source={"path": "app"}), quick)  # a worker is running
    before = set(renderer.helm_pool.pids())
    started = time.monotonic()
    with pytest.raises(RenderLimitError, match=r"did not finish within 1s; killed"):
        render(make_app(source={"path": "app"}), provider, timeout_seconds=1)
    assert time.monotonic() - started < 10
    killed = [pid for pid in before if not _alive(pid)]
    assert len(killed) == 1
    assert killed[0] not in renderer.helm_pool.pids()
    renderer.cache.clear()
    assert render(make_app("again", source={"path": "app"}), quick).manifests


def test_a_slow_kustomize_is_killed(
    tmp_path: Path, repo: Any, make_app: Any, renderer: Any
) -> None:
    fake = tmp_path / "slow-kustomize"
    pids = tmp_path / "pids"
    fake.write_text(f"#!/bin/sh\necho $$ > {pids}\nsleep 60 &\necho $! >> {pids}\nwait\n")
    fake.chmod(0o755)
    provider, _ = repo(FILES_BY_TYPE["Kustomize"])
    from gitferry.render.options import RenderOptions

    options = RenderOptions(kustomize_command=(str(fake),), timeout_seconds=1)
    started = time.monotonic()
    with pytest.raises(RenderLimitError, match=r"kustomize build app: did not finish within 1s"):
        asyncio.run(renderer.render_app(make_app(source={"path": "app"}), provider, options))
    assert time.monotonic() - started < 10
    recorded = [int(p) for p in pids.read_text().split()]
    assert len(recorded) == 2
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in recorded) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in recorded)


def test_a_memory_bomb_kills_only_its_worker(
    repo: Any, make_app: Any, render: Any, renderer: Any, helm_sdk: Any
) -> None:
    bomb = "{{- range $i := until 2000000000 }}{{- end }}\n"
    provider, _ = repo({**FILES_BY_TYPE["Helm"], "app/templates/bomb.yaml": bomb})
    started = time.monotonic()
    with pytest.raises(RenderError, match="worker process died: fatal error: out of memory"):
        render(make_app(source={"path": "app"}), provider)
    assert time.monotonic() - started < 30
    quick, _ = repo(FILES_BY_TYPE["Helm"], "quick")
    assert render(make_app("again", source={"path": "app"}), quick).manifests


def test_the_byte_cap_counts_all_sources_of_an_app(
    tmp_path: Path, tree: Any, make_app: Any, render: Any, Provider: Any
) -> None:
    data = "data:\n  v: " + "x" * 480 + "\n"
    root = tree(
        tmp_path / "r",
        {
            "a/cm.yaml": CM.replace("  v: '1'\n", "") + data,
            "b/cm2.yaml": CM.replace("name: cm", "name: cm2").replace("  v: '1'\n", "") + data,
        },
    )
    provider = Provider({"https://git.example/r.git": root})
    sources = [{"repoURL": "https://git.example/r.git", "path": p} for p in ("a", "b")]
    assert len(render(make_app(sources=sources), provider).manifests) == 2
    with pytest.raises(RenderLimitError, match="app app: manifests exceed 1000 bytes combined"):
        render(make_app(sources=sources), provider, max_manifest_bytes=1000)


def test_symbolic_revisions_are_never_cached(
    repo: Any, make_app: Any, render: Any, renderer: Any
) -> None:
    provider, root = repo(FILES_BY_TYPE["Directory"])

    async def working_tree(url: str, revision: str) -> Any:
        return type("Resolved", (), {"sha": "WORKING_TREE", "from_cache": False})()

    provider.resolve = working_tree
    app = make_app(source={"path": "app"})
    assert render(app, provider).manifests[0]["data"]["v"] == "1"
    (root / "app/cm.yaml").write_text(CM.replace("'1'", "'2'"))
    assert render(app, provider).manifests[0]["data"]["v"] == "2"
    assert renderer.renders["Directory"] == 2
