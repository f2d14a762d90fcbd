"""The Applications an ApplicationSet makes: one generation pass.

    result = await generate.generate(appset, clusters=secrets, git=repositories)
    result.applications   # valid Applications, in generation order
    result.invalid        # excluded ones (duplicates included), with Argo CD's messages
    result.parameters     # every parameter set, with the generator that made it

Every `spec.generators` entry runs in order (`generators.dispatch`); each parameter set of
each result is rendered into an Application (`templating`), the results concatenated, then
checked (`validate`). The first generator error raises `ParamsGenerationError`, the first
rendering error `TemplateRenderError`; either aborts the pass (Argo CD changes nothing then).
`GenerateOptions` caps what one ApplicationSet may make. Called by the controller and by
`gitferry appset generate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitferry.appset import validate
from gitferry.appset.errors import (
    GeneratorFailure,
    ParamsGenerationError,
    TemplateRenderError,
)
from gitferry.appset.generators import Context, dispatch
from gitferry.appset.gitreader import GitReader, GitView
from gitferry.appset.params import Params, describe
from gitferry.appset.templating import Renderer, RenderFailure, build_application


@dataclass(frozen=True, kw_only=True)
class GenerateOptions:
    """Limits and switches of one generation pass."""

    # Argo CD's --enable-new-git-file-globbing: doublestar patterns for git files generators.
    new_git_file_globbing: bool = False
    # The largest file a git files generator may read.
    max_file_bytes: int = 1024 * 1024
    # The most parameter sets (so Applications) one ApplicationSet may produce, and the most
    # files one git files generator may read.
    max_applications: int = 10_000


@dataclass(frozen=True)
class ParameterSet:
    """One parameter set and the generator that produced it (ParametersGenerated)."""

    generator: str
    params: Params


@dataclass(frozen=True)
class Generated:
    applications: list[dict[str, Any]]  # valid, in generation order
    invalid: list[validate.Invalid] = field(default_factory=list)
    parameters: list[ParameterSet] = field(default_factory=list)

    @property
    def duplicates(self) -> list[str]:
        """Names generated more than once (each later occurrence)."""
        return [item.name for item in self.invalid if item.duplicate]

    @property
    def names(self) -> set[str]:
        """Every generated name, valid or not: owned Applications with other names are the
        ones no longer generated."""
        return {a["metadata"].get("name", "") for a in self.applications} | {
            item.name for item in self.invalid
        }

    def validation_message(self) -> str:
        return validate.summary(self.invalid)


async def generate(
    appset: Mapping[str, Any],
    *,
    clusters: Sequence[Mapping[str, Any]] = (),
    git: GitReader | None = None,
    options: GenerateOptions | None = None,
) -> Generated:
    """Every Application `appset` generates (raises ApplicationSetError on any failure)."""
    options = options or GenerateOptions()
    meta = appset.get("metadata") or {}
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "")
    spec = appset.get("spec") or {}
    subject = f"applicationset {name}"
    go_template = bool(spec.get("goTemplate"))
    try:
        renderer = Renderer(go_template=go_template, options=spec.get("goTemplateOptions") or ())
    except RenderFailure as err:
        raise TemplateRenderError(f"{subject}: {err}") from None
    ctx = Context(
        go_template=go_template,
        renderer=renderer,
        clusters=clusters,
        git=GitView(git, max_file_bytes=options.max_file_bytes, max_files=options.max_applications),
        new_git_file_globbing=options.new_git_file_globbing,
    )
    template = spec.get("template") or {}
    sync_policy = spec.get("syncPolicy") or None
    patch = spec.get("templatePatch") or None
    apps: list[dict[str, Any]] = []
    parameters: list[ParameterSet] = []
    for index, entry in enumerate(spec.get("generators") or []):
        path = f"generators[{index}]"
        try:
            results = await dispatch.transform(entry, ctx, path, base_template=template)
        except RecursionError:
            raise ParamsGenerationError(f"{subject}: {path}: nested too deeply") from None
        except dispatch.Failure as err:
            raise ParamsGenerationError(
                f"{subject}: {err.generator}: {err}",
                generator=err.generator,
                retryable=err.retryable,
            ) from err
        except GeneratorFailure as err:
            raise ParamsGenerationError(
                f"{subject}: {path}: {err}", generator=path, retryable=err.retryable
            ) from err
        for result in results:
            for params in result.params:
                parameters.append(ParameterSet(result.generator, params))
                if len(parameters) > options.max_applications:
                    raise ParamsGenerationError(
                        f"{subject}: more than {options.max_applications} parameter sets; "
                        "narrow the generators",
                        generator=result.generator,
                    )
                try:
                    app = build_application(
                        result.template,
                        params,
                        renderer,
                        sync_policy=sync_policy,
                        template_patch=patch,
                        namespace=namespace,
                    )
                except RecursionError:
                    raise TemplateRenderError(
                        f"{subject}: {result.generator}: the template is nested too deeply",
                        generator=result.generator,
                        params=params,
                    ) from None
                except RenderFailure as err:
                    raise TemplateRenderError(
                        f"{subject}: {result.generator}: parameters {describe(params)}: {err}",
                        generator=result.generator,
                        params=params,
                    ) from err
                apps.append(app)
    valid, invalid = validate.check(apps, name)
    return Generated(valid, invalid, parameters)
