"""How template functions are declared: a Python callable plus its Go signature.

The executor checks and converts arguments from the Go parameter types, as text/template does
with reflection: `string`, `int`, `int64`, `float64`, `bool`, `any` (interface{}), `map`
(map[string]interface{}), `list` ([]interface{}), `strmaps` is never used; `value` is a
builtin's reflect.Value (the raw value, MISSING included). A function signals a Go error
return by raising `FuncError`; its message follows "error calling NAME: ".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

GO_PARAM_TYPES = {
    "string": "string",
    "int": "int",
    "int64": "int64",
    "float64": "float64",
    "bool": "bool",
    "any": "interface {}",
    "map": "map[string]interface {}",
    "list": "[]interface {}",
    "value": "reflect.Value",
}

# Caps on what one function call may build, so a template cannot exhaust memory.
MAX_ITEMS = 1_000_000
MAX_CHARS = 4 * 1024 * 1024


class FuncError(Exception):
    """A function returned an error (or panicked) in Go terms."""


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    call: Callable[..., Any]
    params: tuple[str, ...] = ()
    variadic: str | None = None  # the element type of a trailing ...T parameter

    def __post_init__(self) -> None:
        for typ in (*self.params, *([self.variadic] if self.variadic else [])):
            if typ not in GO_PARAM_TYPES:
                raise ValueError(f"{self.name}: unknown Go parameter type {typ!r}")


F = TypeVar("F", bound=Callable[..., Any])


def define(
    table: dict[str, Function], name: str, params: str = "", variadic: str | None = None
) -> Callable[[F], F]:
    """Decorator registering `call` under `name` with space-separated Go parameter types."""

    def register(call: F) -> F:
        table[name] = Function(name, call, tuple(params.split()), variadic)
        return call

    return register


def check_items(count: int) -> None:
    if count > MAX_ITEMS:
        raise FuncError(f"result of {count} items is over the limit of {MAX_ITEMS}")


def check_chars(count: int) -> None:
    if count > MAX_CHARS:
        raise FuncError(f"result of {count} characters is over the limit of {MAX_CHARS}")
