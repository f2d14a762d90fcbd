"""RBAC benchmark (target: over 20,000 enforce calls/s): 100,000 `Enforcer.enforce` calls
against a generated 500-line policy, and pycasbin's own `enforce` (Argo CD's model and matcher,
the same policy) on a sample of the same requests as the baseline measured in the same run.
Every sampled decision is also compared between the two.

    .venv/bin/python bench/rbac_bench.py
"""

from __future__ import annotations

import random
import sys
import time

from gitferry.policy import rbac

CALLS = 100_000
CASBIN_SECONDS = 10.0
SEED = 7

RESOURCES = ["applications", "applicationsets", "logs", "exec", "clusters", "repositories"]
ACTIONS = ["get", "create", "update", "delete", "sync", "override", "action/*", "*"]
REQUEST_ACTIONS = ["get", "create", "update", "delete", "sync", "action/apps/Deployment/restart"]
PROJECTS = [f"proj-{i}" for i in range(50)]
APPS = [f"app-{i}" for i in range(200)]


def policy(rng: random.Random) -> str:
    """400 `p` lines over 40 roles and 100 `g` lines (users, groups, role inheritance)."""
    lines = []
    for i in range(400):
        project = rng.choice(PROJECTS)
        obj = rng.choice([f"{project}/*", f"{project}/app-{rng.randrange(20)}*", "*/*", "*"])
        effect = "deny" if rng.random() < 0.15 else "allow"
        resource, action = rng.choice(RESOURCES), rng.choice(ACTIONS)
        lines.append(f"p, role:team-{i % 40}, {resource}, {action}, {obj}, {effect}")
    for i in range(60):
        lines.append(f"g, user-{i}, role:team-{rng.randrange(40)}")
    for i in range(30):
        lines.append(f"g, group-{i}, role:team-{rng.randrange(40)}")
    for i in range(10):
        lines.append(f"g, role:team-{i}, role:team-{rng.randrange(10, 40)}")
    return "\n".join(lines)


def requests(rng: random.Random) -> list[tuple[str | rbac.Claims, str, str, str]]:
    subjects: list[str | rbac.Claims] = [f"user-{i}" for i in range(80)]
    subjects += [f"role:team-{i}" for i in range(40)]
    subjects += [
        rbac.Claims(sub=f"sso-{i}", groups=[f"group-{i % 35}", "other"]) for i in range(40)
    ]
    made: list[tuple[str | rbac.Claims, str, str, str]] = []
    for _ in range(CALLS):
        obj = f"{rng.choice(PROJECTS)}/{rng.choice(APPS)}"
        made.append((rng.choice(subjects), rng.choice(REQUEST_ACTIONS), rng.choice(RESOURCES), obj))
    return made


def main() -> int:
    rng = random.Random(SEED)
    data = {"policy.csv": policy(rng), "policy.default": "role:readonly"}
    print(f"policy: {len(data['policy.csv'].splitlines())} lines (+ the built-in policy)")
    enforcer = rbac.Enforcer.from_configmap(data)
    work = requests(rng)

    start = time.perf_counter()
    answers = [enforcer.enforce(*request) for request in work]
    fast = time.perf_counter() - start
    fast_rate = CALLS / fast
    memo = enforcer._config.base.compiled.allowed.cache_info()  # type: ignore[attr-defined]
    print(f"gitferry: {CALLS:,} calls in {fast:.3f} s = {fast_rate:,.0f} calls/s")
    print(f"  decision memo: {memo.hits:,} hits, {memo.misses:,} misses")

    cold = rbac.Enforcer.from_configmap(data)
    distinct = list(dict.fromkeys(work))[:20_000]
    start = time.perf_counter()
    for request in distinct:
        cold.enforce(*request)
    cold_time = time.perf_counter() - start
    print(
        f"  {len(distinct):,} distinct requests, fresh caches: {len(distinct) / cold_time:,.0f}/s"
    )

    enforcer.enforce_with_casbin(*work[0])  # load casbin outside the timing
    start = time.perf_counter()
    checked = mismatches = 0
    while checked < len(work) and time.perf_counter() - start < CASBIN_SECONDS:
        if enforcer.enforce_with_casbin(*work[checked]) != answers[checked]:
            mismatches += 1
        checked += 1
    slow = time.perf_counter() - start
    slow_rate = checked / slow
    print(f"pycasbin enforce: {checked:,} calls in {slow:.3f} s = {slow_rate:,.0f} calls/s")
    print(f"ratio gitferry / pycasbin: {fast_rate / slow_rate:,.0f}x")
    print(f"decisions compared: {checked:,}, mismatches: {mismatches}")
    target = "met" if fast_rate > 20_000 else "MISSED"
    print(f"target 20,000 calls/s: {target}")
    return 1 if mismatches or fast_rate <= 20_000 else 0


if __name__ == "__main__":
    sys.exit(main())
