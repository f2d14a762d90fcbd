"""Where the running platform is: the `GITFERRY_CONFIG` file and the options that override it.

`gitferry up` writes `<workdir>/config.yaml`:

    kubeconfig: /abs/path/kubeconfig     # a kubeconfig with one context per cluster
    context: management                  # the management cluster's context
    namespace: argocd                    # the control-plane namespace

Commands that talk to a running platform take `--config FILE` (default `$GITFERRY_CONFIG`),
and `--kubeconfig`/`--context`/`--namespace` win over the file. Without either, the user's
kubeconfig and its current context are used, with namespace `argocd`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from gitferry.cluster import connect
from gitferry.model.errors import InputError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Platform:
    """The management cluster and the control-plane namespace."""

    kubeconfig: Path
    context: str | None
    namespace: str
    allow_exec: bool = False

    def management(self) -> connect.ClusterTarget:
        return connect.from_kubeconfig(self.kubeconfig, self.context, allow_exec=self.allow_exec)


def _default_kubeconfig() -> Path:
    first = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(first) if first else Path.home() / ".kube" / "config"


def load(
    config: Path | None,
    kubeconfig: Path | None,
    context: str | None,
    namespace: str | None,
    allow_exec: bool = False,
) -> Platform:
    """Combine the config file (if any) with explicit options."""
    path = config or (
        Path(os.environ["GITFERRY_CONFIG"]) if os.environ.get("GITFERRY_CONFIG") else None
    )
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text())
        except OSError as err:
            raise InputError(f"{path}: cannot read the gitferry config ({err.strerror})") from err
        except yaml.YAMLError as err:
            raise InputError(f"{path}: the gitferry config is not valid YAML") from err
        if not isinstance(loaded, dict):
            raise InputError(f"{path}: the gitferry config must be a mapping")
        data = loaded
    base = path.parent if path is not None else Path.cwd()
    file_kubeconfig = data.get("kubeconfig")
    return Platform(
        kubeconfig=kubeconfig
        or ((base / file_kubeconfig) if file_kubeconfig else _default_kubeconfig()),
        context=context or data.get("context"),
        namespace=namespace or data.get("namespace") or "argocd",
        allow_exec=allow_exec,
    )


def platform_options(*, prefix: str = "") -> Callable[[F], F]:
    """Add --config/--kubeconfig/--context/--namespace and pass a `platform` argument.

    With `prefix="management-"` the cluster options become --management-kubeconfig and
    --management-context (for commands whose own --kubeconfig names another cluster)."""

    def decorate(function: F) -> F:
        @click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="gitferry config file (default: $GITFERRY_CONFIG).",
        )
        @click.option(
            f"--{prefix}kubeconfig",
            "platform_kubeconfig",
            type=click.Path(path_type=Path),
            help="The management cluster's kubeconfig.",
        )
        @click.option(
            f"--{prefix}context", "platform_context", help="The management cluster's context."
        )
        @click.option("--namespace", "-n", help="Control-plane namespace (default argocd).")
        @functools.wraps(function)
        def wrapper(
            *args: Any,
            config_path: Path | None,
            platform_kubeconfig: Path | None,
            platform_context: str | None,
            namespace: str | None,
            **kwargs: Any,
        ) -> Any:
            platform = load(config_path, platform_kubeconfig, platform_context, namespace)
            return function(*args, platform=platform, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
