"""Reading YAML files with a size limit and errors that name the file and line.

Used wherever gitferry reads YAML a user wrote: the CLI's `-f` files and, through callers,
settings. PyYAML's C loader is used when present. Errors are plain `ValueError`s whose text is
the one-line report (`app.yaml:12: mapping values are not allowed here`); callers wrap them in
their own error type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 16 * 1024 * 1024


def load_documents(path: Path, *, max_bytes: int = MAX_BYTES) -> list[Any]:
    """Every non-empty document of a YAML (or JSON) file."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ValueError(f"{path}: {size} bytes is over the {max_bytes}-byte limit")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ValueError(f"{path}: cannot read ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text") from err
    return parse_documents(text, str(path))


def parse_documents(text: str, name: str) -> list[Any]:
    """Every non-empty document of YAML text; `name` is used in errors."""
    try:
        return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ValueError(f"{where}: {problem}") from err


def dump_documents(docs: list[Any]) -> str:
    """A YAML stream of `docs`, keys in their order, one `---` between documents."""
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False, width=10_000)
