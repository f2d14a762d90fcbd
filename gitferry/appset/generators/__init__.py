"""ApplicationSet generators: each turns its spec into a list of parameter sets.

`dispatch.transform` runs one generator entry (every generator type it sets, in Argo CD's
fixed order, each with its merged template and post selector); `listgen`, `clusters`, `git`
produce parameters; `combine` holds matrix and merge, which run their children through
`dispatch` again. Generators raise `errors.GeneratorFailure`; `generate` turns it into a
`ParamsGenerationError` naming the generator. Called by `gitferry.appset.generate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitferry.appset.gitreader import GitView
from gitferry.appset.templating import Renderer


@dataclass(frozen=True)
class Context:
    """What every generator of one pass may use."""

    go_template: bool  # spec.goTemplate: nested Go-typed parameters instead of flat strings
    renderer: Renderer  # the ApplicationSet's engine (values, matrix interpolation)
    clusters: Sequence[Mapping[str, Any]]  # cluster Secrets of the Argo CD namespace
    git: GitView  # repository reads, cached for the pass
    new_git_file_globbing: bool = False  # doublestar patterns for the git files generator
