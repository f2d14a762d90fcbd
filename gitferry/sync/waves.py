"""Prune ordering (reference 3.5); an object's own wave (reference 3.3) is read by
`gitferry.model.hooks.sync_wave`.

* Prunes are mirrored: the distinct waves of the prune tasks, sorted, swap ends (the first
  with the last, the second with the second-to-last...; an odd middle stays), so what was
  created last is deleted first. Other tasks keep their waves.
* Then every prune with PruneLast (app-level, or on its live object) moves to one wave past
  the highest Sync-phase wave of all tasks (prunes included, after mirroring, at least 0).
* Within a wave prunes run before anything else (`run`), and a wave whose pruned objects
  are still being deleted holds the next one (`executor`).

Pure. Used by the planner before it sorts.
"""

from __future__ import annotations

from dataclasses import replace

from gitferry.model.operation import SyncPhase
from gitferry.sync.tasks import SyncTask


def mirror_prune_waves(tasks: list[SyncTask]) -> list[SyncTask]:
    """Swap the prune waves end for end."""
    distinct = sorted({t.wave for t in tasks if t.is_prune})
    mirrored = dict(zip(distinct, reversed(distinct), strict=True))
    return [
        replace(t, wave_override=mirrored[t.wave])
        if t.is_prune and mirrored[t.wave] != t.wave
        else t
        for t in tasks
    ]


def move_prune_last(tasks: list[SyncTask]) -> list[SyncTask]:
    """PruneLast prunes go one wave past the last Sync-phase wave."""
    last = max([0, *(t.wave for t in tasks if t.phase is SyncPhase.SYNC)]) + 1
    return [
        replace(t, wave_override=last) if t.is_prune and t.options.prune_last else t for t in tasks
    ]
