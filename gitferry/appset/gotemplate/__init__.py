"""Go's text/template with Sprig, in Python: what Argo CD runs for `goTemplate: true`.

    engine = Engine(FUNCTIONS)                      # builtins + Sprig (+ caller's functions)
    engine.render("{{ .path.basename | upper }}", params, missing_key="error")

The language is Go's, checked against the real Go engine in the tests: pipelines, variables
(`:=`, `=`), `if`/`else if`/`range` (lists, maps, integers; `break`, `continue`)/`with`/
`define`/`template`/`block`, comments and `{{-`/`-}}` trimming, Go's constants, the builtins
(`and`, `or`, `not`, `len`, `index`, `print*`, `html`, `js`, `urlquery`, comparisons), Go's
truth, the `missingkey` option and Go's error messages. Values keep their Go types (see
`values`), so type errors happen where Go's happen. Parses are cached per engine; each
execution runs under `Limits` (steps, output, nesting).

Who calls it: the ApplicationSet renderer (`gitferry.appset.render`), through the function
table Argo CD uses (`gitferry.appset.functions`). The package knows nothing of
ApplicationSets.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitferry.appset.gotemplate import nodes, parser
from gitferry.appset.gotemplate.builtins import BUILTINS
from gitferry.appset.gotemplate.errors import ExecError, ParseError, TemplateError
from gitferry.appset.gotemplate.execute import MISSING_KEY_MODES, Limits, State
from gitferry.appset.gotemplate.funcs import FuncError, Function
from gitferry.appset.gotemplate.sprig import FUNCTIONS as SPRIG

__all__ = [
    "BUILTINS",
    "SPRIG",
    "Engine",
    "ExecError",
    "FuncError",
    "Function",
    "Limits",
    "ParseError",
    "Template",
    "TemplateError",
    "missing_key_option",
    "render",
]


@dataclass(frozen=True)
class Template:
    """A parsed template: the main tree under `name` plus every `define`d one."""

    name: str
    text: str
    trees: Mapping[str, nodes.ListNode]


def missing_key_option(options: list[str] | tuple[str, ...]) -> str:
    """The `missingkey` mode that Go's `Template.Option(options...)` leaves in effect."""
    mode = "invalid"
    for option in options:
        if option == "":
            raise TemplateError("empty option string")
        key, sep, value = option.partition("=")
        if not sep or key != "missingkey" or value not in MISSING_KEY_MODES:
            raise TemplateError(f"unrecognized option: {option}")
        mode = MISSING_KEY_MODES[value]
    return mode


class Engine:
    """Parses and executes templates with one function table (user functions shadow the
    builtins, as Go's `Funcs` do)."""

    def __init__(
        self,
        functions: Mapping[str, Function],
        *,
        limits: Limits | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.functions: dict[str, Function] = {**BUILTINS, **functions}
        self.limits = limits or Limits()
        self._cache: OrderedDict[tuple[str, str], Template] = OrderedDict()
        self._cache_size = cache_size

    def parse(self, text: str, name: str = "") -> Template:
        key = (name, text)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        try:
            trees = parser.parse(name, text, self.functions)
        except RecursionError:
            raise ParseError(f"template: {name}: nesting too deep") from None
        template = Template(name, text, trees)
        self._cache[key] = template
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return template

    def execute(self, template: Template, data: Any, *, missing_key: str = "invalid") -> str:
        tree = template.trees.get(template.name)
        state = State(
            template.name, template.text, template.trees, self.functions, missing_key, self.limits
        )
        if tree is None:
            raise ExecError(f"template: {template.name}: {_incomplete(template.name)}")
        state.vars = [["$", data, False]]
        try:
            state.walk(data, False, tree)
        except RecursionError:
            raise ExecError(f"template: {template.name}: nesting too deep") from None
        return "".join(state.out)

    def render(self, text: str, data: Any, *, name: str = "", missing_key: str = "invalid") -> str:
        """Parse (cached) and execute `text` over `data`."""
        if "{{" not in text:
            return text
        return self.execute(self.parse(text, name), data, missing_key=missing_key)


def render(text: str, data: Any, *, missing_key: str = "default") -> str:
    """`text` rendered with Argo CD's function table; the same as
    `gitferry.appset.functions.render` (which callers should prefer)."""
    from gitferry.appset import functions

    return functions.render(text, data, missing_key=missing_key)


def _incomplete(name: str) -> str:
    from gitferry.appset.gotemplate.printf import quote

    return f"{quote(name)} is an incomplete or empty template"
