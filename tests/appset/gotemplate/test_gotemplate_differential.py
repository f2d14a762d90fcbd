"""Random templates over random data, rendered by our engine and by the real Go engine: the
outputs, or the error messages, must be identical.

Templates are built from a grammar of fields, variables, literals, parenthesised commands,
pipelines, `if`/`else`, `range` with two variables, `with` and declarations, over functions
whose Go behaviour does not depend on the clock, randomness, map order (`keys`) or the
environment (and leaving out the ones helmfile replaces in the reference). Data is
JSON: numbers are float64, as in Argo CD. Skips where the Go reference is not installed."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gitferry.appset.functions import ENGINE
from gitferry.appset.gotemplate import TemplateError

KEYS = ("a", "b", "c", "x")

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12).map(float),
    st.sampled_from([0.5, -1.25, 1e21, 1e-7, 1234567.0, 100000.0, 3.0e6]),
    st.text(alphabet="ab xy<&\"'é\n", max_size=4),
)
_values = st.recursive(
    _leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=8,
)
DATA = st.dictionaries(st.sampled_from(KEYS), _values, max_size=4)

# name -> number of arguments (None: 0 to 3)
FUNCTIONS: dict[str, int | None] = {
    "upper": 1, "lower": 1, "title": 1, "trim": 1, "quote": None, "squote": None,
    "len": 1, "not": 1, "and": 2, "or": 2, "eq": 2, "ne": 2, "lt": 2, "ge": 2,
    "index": 2, "print": None, "println": None, "list": None, "dict": 2, "first": 1,
    "last": 1, "hasKey": 2, "typeOf": 1, "kindOf": 1, "toString": 1,
    "toJson": 1, "default": 2, "empty": 1, "coalesce": None, "ternary": 3, "has": 2,
    "trunc": 2, "join": 2, "splitList": 2, "contains": 2, "replace": 3, "indent": 2,
    "add": 2, "max": 2, "mul": 2, "b64enc": 1, "sha256sum": 1, "html": 1, "js": 1,
    "urlquery": 1, "cat": None, "compact": 1, "uniq": 1, "reverse": 1, "append": 2,
    "nospace": 1, "plural": 3, "atoi": 1, "sortAlpha": 1, "regexMatch": 2, "regexFind": 2,
    "regexReplaceAll": 3, "regexSplit": 3, "regexFindAll": 3,
}  # fmt: skip
_PRINTF_FORMATS = ['"%v"', '"%s"', '"%d"', '"%q"', '"%5.2f"', '"%x %v"', '"%T"', '"%e"', '"%g"']

_fields = st.sampled_from([".", ".a", ".b", ".a.b", ".a.x", ".c.a", "$", "$.a", ".x", ".b.c.a"])
_literals = st.sampled_from(
    [
        '"s"',
        '""',
        '"a b"',
        '"a,b"',
        "1",
        "0",
        "-2",
        "3",
        "1.5",
        "true",
        "false",
        "nil",
        "'c'",
        "`r`",
    ]
)


@st.composite
def _call(draw: st.DrawFn, operand: st.SearchStrategy[str]) -> str:
    if draw(st.integers(0, 9)) == 0:
        fmt = draw(st.sampled_from(_PRINTF_FORMATS))
        args = draw(st.lists(operand, max_size=2))
        return " ".join(["printf", fmt, *args])
    name = draw(st.sampled_from(sorted(FUNCTIONS)))
    arity = FUNCTIONS[name]
    count = draw(st.integers(0, 3)) if arity is None else arity
    return " ".join([name, *draw(st.lists(operand, min_size=count, max_size=count))])


_operand: st.SearchStrategy[str] = st.deferred(
    lambda: _fields | _literals | _call(_operand).map(lambda c: f"({c})")
)


@st.composite
def _pipeline(draw: st.DrawFn) -> str:
    head = draw(_fields | _literals.filter(lambda x: x != "nil") | _call(_operand))
    stages = draw(st.lists(st.sampled_from(["upper", "quote", "len", "toJson", "not", "print"])))
    return " | ".join([head, *stages[:2]])


@st.composite
def _piece(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 7))
    pipe = draw(_pipeline())
    if kind == 0:
        return draw(st.sampled_from(["x", " ", "\n", "-", "é"]))
    if kind == 1:
        return f"{{{{ if {pipe} }}}}T{{{{ else }}}}F{{{{ end }}}}"
    if kind == 2:
        return f"{{{{ range $i, $e := {pipe} }}}}[{{{{ $i }}}}:{{{{ $e }}}}]{{{{ end }}}}"
    if kind == 3:
        return f"{{{{ with {pipe} }}}}({{{{ . }}}}){{{{ else }}}}-{{{{ end }}}}"
    if kind == 4:
        return f"{{{{ $v := {pipe} }}}}<{{{{ $v }}}}>"
    return f"{{{{ {pipe} }}}}"


TEMPLATES = st.lists(_piece(), min_size=1, max_size=3).map("".join)


_GO_120_RANGE = re.compile(r"range can't iterate over -?[0-9]+$")


def _go_122_range(ours: tuple[bool, str], go: tuple[bool, str]) -> bool:
    """The reference is Go 1.20, which cannot range over an integer; Argo CD's Go can."""
    return not go[0] and _GO_120_RANGE.search(go[1]) is not None


def _ours(template: str, data: Any) -> tuple[bool, str]:
    try:
        return True, ENGINE.render(template, data, name="tpl", missing_key="error")
    except TemplateError as err:
        return False, str(err).rstrip()  # the reference prints messages space-trimmed


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(template=TEMPLATES, data=DATA)
def test_random_templates_render_as_go_renders_them(
    template: str, data: dict[str, Any], go_reference: Any
) -> None:
    ours, (ok, go_text) = _ours(template, data), go_reference.render(template, data)
    go = (ok, go_text if ok else go_text.rstrip())
    assume(not _go_122_range(ours, go))
    assert ours == go


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.floats(allow_nan=False, allow_infinity=False),
    verb=st.sampled_from(["%v", "%e", "%E", "%f", "%g", "%G", "%.3e", "%.0f", "%10.4g", "%+.2f"]),
)
def test_floats_print_as_go_prints_them(value: float, verb: str, go_reference: Any) -> None:
    template = f'{{{{ .f }}}}|{{{{ printf "{verb}" .f }}}}|{{{{ toJson .f }}}}'
    assert _ours(template, {"f": value}) == go_reference.render(template, {"f": value})
