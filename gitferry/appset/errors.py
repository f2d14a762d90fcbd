"""The errors that abort an ApplicationSet's generation pass.

Argo CD stops the whole reconcile when a generator fails (condition reason
`ApplicationParamsGenerationError`) or a parameter set cannot be rendered
(`RenderTemplateParamsError`); the controller reads `reason` for the ErrorOccurred condition.
Messages name the ApplicationSet, the generator (`generators[1].matrix.generators[0].git`)
and, for rendering, the parameter set (shortened). Raised by `generate` and `generators`.
"""

from __future__ import annotations

from typing import Any

from gitferry.model.errors import GitFerryError

PARAMS_GENERATION = "ApplicationParamsGenerationError"
RENDER_TEMPLATE = "RenderTemplateParamsError"


class ApplicationSetError(GitFerryError):
    """An ApplicationSet cannot be turned into Applications."""

    reason = PARAMS_GENERATION

    def __init__(
        self,
        message: str,
        *,
        generator: str = "",
        params: dict[str, Any] | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.generator = generator  # e.g. "generators[0].matrix.generators[1].git"
        self.params = params  # the parameter set being rendered, if any
        self.retryable = retryable


class ParamsGenerationError(ApplicationSetError):
    """A generator could not produce its parameter sets."""

    reason = PARAMS_GENERATION


class TemplateRenderError(ApplicationSetError):
    """A parameter set could not be rendered into an Application."""

    reason = RENDER_TEMPLATE


class GeneratorFailure(Exception):
    """Raised inside generators with a plain reason; `generate` adds the subject."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
