"""What every command shares: the error boundary, output formats, reading `-f` files, the
cache directory, and running async engine code.

`handle_errors` turns gitferry's own errors (and a few expected system ones) into one line
on stderr and an exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from gitferry._kit import yamlio
from gitferry.model.errors import GitFerryError, InputError

T = TypeVar("T")

OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="Output format.",
)


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handle_errors(code: int = 1) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Report gitferry errors as one line with exit status `code`."""

    def decorate(command: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            try:
                return command(*args, **kwargs)
            except GitFerryError as err:
                fail(str(err), code)
            except KeyboardInterrupt:
                fail("interrupted", 130)
            raise AssertionError("unreachable")

        return wrapper

    return decorate


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def load_objects(path: Path) -> list[dict[str, Any]]:
    """The objects in a YAML or JSON file given with `-f` (`-` reads standard input)."""
    try:
        if str(path) == "-":
            docs = yamlio.parse_documents(sys.stdin.read(), "<stdin>")
        else:
            docs = yamlio.load_documents(path)
    except ValueError as err:
        raise InputError(str(err)) from err
    objects: list[dict[str, Any]] = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "List":
            objects.extend(item for item in doc.get("items") or () if isinstance(item, dict))
        elif isinstance(doc, dict):
            objects.append(doc)
        else:
            raise InputError(f"{path}: expected objects, found {type(doc).__name__}")
    return objects


def print_objects(objects: list[dict[str, Any]], output: str) -> None:
    if output == "json":
        click.echo(json.dumps(objects, indent=2))
    else:
        click.echo(yamlio.dump_documents(objects), nl=False)


def cache_dir() -> Path:
    """gitferry's cache for offline commands (`$XDG_CACHE_HOME/gitferry`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitferry"
