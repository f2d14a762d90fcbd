"""The error tree of the engine: one root, one subtree per subsystem.

Every error gitferry reports to a user is a `GitFerryError`. Its message is one line that
starts with the subject (`repo https://git.example/x.git: ...`, `app guestbook: ...`,
`apps/Deployment/prod/web: ...`), says what failed and, where there is one, what to do. The
type decides whether retrying can help (`retryable`). Messages never contain credentials.

The CLI prints these as one line with a non-zero exit; the controller turns them into
Application conditions.
"""

from __future__ import annotations


class GitFerryError(Exception):
    """Root of every error gitferry reports."""

    retryable = False


class InvalidSpecError(GitFerryError):
    """An Application, project or setting is malformed or contradicts itself."""


class InputError(GitFerryError):
    """A file or argument given on the command line cannot be used (missing, malformed)."""


# -- sources -------------------------------------------------------------------------------


class RepositoryError(GitFerryError):
    """A Git, Helm or OCI repository cannot be read as asked."""


class RepositoryUnreachableError(RepositoryError):
    """The repository did not answer (network, authentication, missing remote)."""

    retryable = True


class RevisionNotFoundError(RepositoryError):
    """No branch, tag, commit or version matches the requested revision."""


class SignatureError(RepositoryError):
    """A commit is not signed by an allowed key."""


# -- rendering -----------------------------------------------------------------------------


class RenderError(GitFerryError):
    """The manifests of a source cannot be produced."""


class UnsafePathError(RenderError):
    """A path in a source points outside its repository (`..`, absolute, or a symlink)."""


class ManifestError(RenderError):
    """A manifest file is malformed; the message names the file and line."""


class RenderLimitError(RenderError):
    """Rendering exceeded a cap (time, bytes, files)."""


# -- clusters ------------------------------------------------------------------------------


class ClusterError(GitFerryError):
    """A Kubernetes API request failed."""


class ClusterUnreachableError(ClusterError):
    """The cluster did not answer."""

    retryable = True
