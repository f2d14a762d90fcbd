"""Executing a parsed Go template over data, with text/template's semantics and messages.

The rules followed (from Go's `text/template/exec.go`):
- A pipeline's value passes to the next command as its last argument; a nil interface left at
  the end prints as `<no value>`.
- Fields index maps; a missing key gives no value (`missingkey=default|invalid`), the zero
  value (`zero`) or the error `map has no entry for key "x"` (`error`). A field of a nil
  interface is `nil pointer evaluating interface {}.x`; of anything else but a map,
  `can't evaluate field x in type T`.
- Arguments are converted to the parameter types of the function (constants to the type,
  values must match it: `wrong type for value; expected string; got float64`).
- `and`/`or` short-circuit; `range` goes over lists, maps (sorted keys) and integers, with
  `break`/`continue`; variables are scoped to their block.
- Errors read `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
Limits Go does not have: a budget of steps, of output characters and of template nesting
(`Limits`), so user templates cannot run the controller out of time or memory.
Called by `template.Template.execute`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from gitferry.appset.gotemplate import nodes as n
from gitferry.appset.gotemplate.errors import ExecError
from gitferry.appset.gotemplate.funcs import GO_PARAM_TYPES, FuncError, Function
from gitferry.appset.gotemplate.values import (
    MISSING,
    Int64,
    StrList,
    StrMap,
    fmt_v,
    go_type,
    is_int,
    is_true,
    print_value,
)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _NoFinal:
    """No value piped in (Go's missingVal), distinct from a piped-in nil."""


NO_FINAL: Any = _NoFinal()


@dataclass(frozen=True)
class Limits:
    steps: int = 1_000_000  # nodes walked plus functions called, per execution
    output: int = 4 * 1024 * 1024  # characters written, per execution
    depth: int = 40  # nested {{template}} calls


MISSING_KEY_MODES = {"default": "invalid", "invalid": "invalid", "zero": "zero", "error": "error"}


def _type_name(value: Any, iface: bool) -> str:
    return "interface {}" if iface else go_type(value)


class State:
    """One execution: the output, the variables, the node being evaluated (for errors)."""

    def __init__(
        self,
        name: str,
        text: str,
        trees: Mapping[str, n.ListNode],
        funcs: Mapping[str, Function],
        missing_key: str,
        limits: Limits,
    ) -> None:
        self.name = name  # the parsed text's name: locations in messages
        self.executing = name  # the template being executed: `executing "..."`
        self.text = text
        self.trees = trees
        self.funcs = funcs
        self.missing_key = missing_key
        self.limits = limits
        self.node: n.Node | None = None
        self.vars: list[list[Any]] = []  # [name, value, is_interface]
        self.out: list[str] = []
        self.written = 0
        self.steps = 0
        self.depth = 0

    # -- errors and bookkeeping --------------------------------------------------------

    def at(self, node: n.Node) -> None:
        self.node = node

    def errorf(self, message: str) -> NoReturn:
        if self.node is None:
            raise ExecError(f"template: {self.name}: {message}")
        prefix = self.text[: self.node.pos]
        line = prefix.count("\n") + 1
        newline = prefix.rfind("\n")
        col = len(prefix[newline + 1 :].encode()) if newline >= 0 else len(prefix.encode())
        raise ExecError(
            f"template: {self.name}:{line}:{col}: executing {_quote(self.executing)} "
            f"at <{self.node}>: {message}"
        )

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.limits.steps:
            self.errorf(f"evaluation exceeded {self.limits.steps} steps")

    def write(self, text: str) -> None:
        self.written += len(text)
        if self.written > self.limits.output:
            self.errorf(f"output exceeded {self.limits.output} characters")
        self.out.append(text)

    # -- variables ---------------------------------------------------------------------

    def push(self, name: str, value: Any, iface: bool = False) -> None:
        self.vars.append([name, value, iface])

    def pop(self, mark: int) -> None:
        del self.vars[mark:]

    def set_var(self, name: str, value: Any) -> None:
        for entry in reversed(self.vars):
            if entry[0] == name:
                entry[1], entry[2] = value, False
                return
        self.errorf(f"undefined variable: {name}")

    def set_top_var(self, depth: int, value: Any, iface: bool) -> None:
        self.vars[-depth][1] = value
        self.vars[-depth][2] = iface

    def var_value(self, name: str) -> tuple[Any, bool]:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry[1], entry[2]
        self.errorf(f"undefined variable: {name}")

    # -- walking -----------------------------------------------------------------------

    def walk(self, dot: Any, iface: bool, node: n.Node) -> None:
        self.step()
        self.at(node)
        if isinstance(node, n.TextNode):
            self.write(node.text)
        elif isinstance(node, n.ActionNode):
            value = self.eval_pipeline(dot, iface, node.pipe)
            if not node.pipe.decl:
                self.at(node)
                self.write(print_value(value))
        elif isinstance(node, n.ListNode):
            for child in node.nodes:
                self.walk(dot, iface, child)
        elif isinstance(node, n.BranchNode):
            if node.keyword == "range":
                self.walk_range(dot, iface, node)
            else:
                self.walk_if_or_with(dot, iface, node)
        elif isinstance(node, n.TemplateNode):
            self.walk_template(dot, iface, node)
        elif isinstance(node, n.BreakNode):
            raise _Break
        elif isinstance(node, n.ContinueNode):
            raise _Continue
        else:
            self.errorf(f"unknown node: {node}")

    def walk_if_or_with(self, dot: Any, iface: bool, node: n.BranchNode) -> None:
        mark = len(self.vars)
        try:
            value = self.eval_pipeline(dot, iface, node.pipe)
            truth, ok = is_true(value)
            if not ok:
                self.errorf(f"if/with can't use {fmt_v(value)}")
            if truth:
                if node.keyword == "with":
                    self.walk(value, False, node.body)
                else:
                    self.walk(dot, iface, node.body)
            elif node.else_list is not None:
                self.walk(dot, iface, node.else_list)
        finally:
            self.pop(mark)

    def walk_range(self, dot: Any, iface: bool, node: n.BranchNode) -> None:
        self.at(node)
        outer = len(self.vars)
        try:
            value = self.eval_pipeline(dot, iface, node.pipe)
            mark = len(self.vars)
            decl = node.pipe.decl

            def one(index: Any, elem: Any, elem_iface: bool) -> None:
                if decl:
                    if node.pipe.is_assign:
                        self.set_var(decl[0].ident[0], index if len(decl) > 1 else elem)
                    else:
                        self.set_top_var(1, elem, elem_iface)
                if len(decl) > 1:
                    if node.pipe.is_assign:
                        self.set_var(decl[1].ident[0], elem)
                    else:
                        self.set_top_var(2, index, False)
                try:
                    self.walk(elem, elem_iface, node.body)
                except _Continue:
                    pass
                finally:
                    self.pop(mark)

            ran = False
            try:
                if isinstance(value, list):
                    elem_iface = not isinstance(value, StrList)
                    for i, elem in enumerate(value):
                        ran = True
                        one(i, elem, elem_iface)
                elif isinstance(value, dict):
                    elem_iface = not isinstance(value, StrMap)
                    for key in sorted(value):
                        ran = True
                        one(key, value[key], elem_iface)
                elif is_int(value):
                    if len(decl) > 1:
                        self.errorf(
                            f"can't use {fmt_v(value)} to iterate over more than one variable"
                        )
                    for i in range(int(value)):
                        ran = True
                        self.step()
                        one(i, i, False)
                elif value is not MISSING and value is not None:
                    self.errorf(f"range can't iterate over {fmt_v(value)}")
            except _Break:
                return
            if not ran and node.else_list is not None:
                self.walk(dot, iface, node.else_list)
        finally:
            self.pop(outer)

    def walk_template(self, dot: Any, iface: bool, node: n.TemplateNode) -> None:
        self.at(node)
        tree = self.trees.get(node.name)
        if tree is None:
            self.errorf(f"template {_quote(node.name)} not defined")
        if self.depth >= self.limits.depth:
            self.errorf(f"exceeded maximum template depth ({self.limits.depth})")
        value = self.eval_pipeline(dot, iface, node.pipe) if node.pipe is not None else MISSING
        saved_vars, saved_name = self.vars, self.executing
        self.vars = [["$", value, False]]
        self.executing = node.name
        self.depth += 1
        try:
            self.walk(value, False, tree)
        finally:
            self.depth -= 1
            self.vars, self.executing = saved_vars, saved_name

    # -- pipelines and commands --------------------------------------------------------

    def eval_pipeline(self, dot: Any, iface: bool, pipe: n.PipeNode) -> Any:
        self.at(pipe)
        value = NO_FINAL
        for cmd in pipe.cmds:
            value = self.eval_command(dot, iface, cmd, value)
            if value is None:  # a nil interface: Go unwraps it to "no value"
                value = MISSING
        for variable in pipe.decl:
            if pipe.is_assign:
                self.set_var(variable.ident[0], value)
            else:
                self.push(variable.ident[0], value)
        return value

    def not_a_function(self, args: list[n.Node], final: Any) -> None:
        if len(args) > 1 or final is not NO_FINAL:
            self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, iface: bool, cmd: n.CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, n.FieldNode):
            return self.eval_field_node(dot, iface, first, cmd.args, final)
        if isinstance(first, n.ChainNode):
            return self.eval_chain_node(dot, iface, first, cmd.args, final)
        if isinstance(first, n.IdentifierNode):
            return self.eval_function(dot, iface, first, cmd, cmd.args, final)
        if isinstance(first, n.PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, iface, first)
        if isinstance(first, n.VariableNode):
            return self.eval_variable_node(dot, iface, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, n.BoolNode):
            return first.true
        if isinstance(first, n.DotNode):
            return dot
        if isinstance(first, n.NilNode):
            self.errorf("nil is not a command")
        if isinstance(first, n.NumberNode):
            return self.ideal_constant(first)
        if isinstance(first, n.StringNode):
            return first.text
        self.errorf(f"can't evaluate command {_quote(str(first))}")

    def ideal_constant(self, node: n.NumberNode) -> Any:
        self.at(node)
        text = node.text
        hex_int = (
            len(text) > 2
            and text[0] == "0"
            and text[1] in "xX"
            and not any(c in text for c in "pP")
        )
        rune = text.startswith("'")
        if node.is_float and not hex_int and not rune and any(c in text for c in ".eEpP"):
            return node.float_val
        if node.is_int:
            return node.int_val
        if node.is_uint:
            self.errorf(f"{text} overflows int")
        return MISSING

    def eval_field_node(
        self, dot: Any, iface: bool, field: n.FieldNode, args: list[n.Node] | None, final: Any
    ) -> Any:
        self.at(field)
        return self.eval_field_chain(dot, iface, field, field.ident, args, final)

    def eval_chain_node(
        self, dot: Any, iface: bool, chain: n.ChainNode, args: list[n.Node] | None, final: Any
    ) -> Any:
        self.at(chain)
        if not chain.field:
            self.errorf("internal error: no fields in evalChainNode")
        if isinstance(chain.node, n.NilNode):
            self.errorf(f"indirection through explicit nil in {chain}")
        receiver = self.eval_arg(dot, iface, "any", chain.node)
        return self.eval_field_chain(receiver, False, chain, chain.field, args, final)

    def eval_variable_node(
        self, dot: Any, iface: bool, var: n.VariableNode, args: list[n.Node] | None, final: Any
    ) -> Any:
        self.at(var)
        value, value_iface = self.var_value(var.ident[0])
        if len(var.ident) == 1:
            self.not_a_function(args or [var], final)
            return value
        return self.eval_field_chain(value, value_iface, var, var.ident[1:], args, final)

    def eval_field_chain(
        self,
        receiver: Any,
        iface: bool,
        node: n.Node,
        ident: list[str],
        args: list[n.Node] | None,
        final: Any,
    ) -> Any:
        for name in ident[:-1]:
            receiver, iface = self.eval_field(name, None, NO_FINAL, receiver, iface)
        return self.eval_field(ident[-1], args, final, receiver, iface)[0]

    def eval_field(
        self, name: str, args: list[n.Node] | None, final: Any, receiver: Any, iface: bool
    ) -> tuple[Any, bool]:
        if receiver is MISSING:
            if self.missing_key == "error":
                self.errorf(f"nil data; no entry for key {_quote(name)}")
            return MISSING, False
        if receiver is None:
            self.errorf(f"nil pointer evaluating {_type_name(receiver, True)}.{name}")
        if isinstance(receiver, dict):
            if (args is not None and len(args) > 1) or final is not NO_FINAL:
                self.errorf(f"{name} is not a method but has arguments")
            elem_iface = not isinstance(receiver, StrMap)
            if name in receiver:
                return receiver[name], elem_iface
            if self.missing_key == "zero":
                return ("" if isinstance(receiver, StrMap) else None), elem_iface
            if self.missing_key == "error":
                self.errorf(f"map has no entry for key {_quote(name)}")
            return MISSING, False
        self.errorf(f"can't evaluate field {name} in type {_type_name(receiver, iface)}")

    # -- functions ---------------------------------------------------------------------

    def eval_function(
        self,
        dot: Any,
        iface: bool,
        node: n.IdentifierNode,
        cmd: n.Node,
        args: list[n.Node] | None,
        final: Any,
    ) -> Any:
        self.at(node)
        function = self.funcs.get(node.ident)
        if function is None:
            self.errorf(f"{_quote(node.ident)} is not a defined function")
        return self.eval_call(dot, iface, function, cmd, node.ident, args, final)

    def eval_call(
        self,
        dot: Any,
        iface: bool,
        function: Function,
        node: n.Node,
        name: str,
        args: list[n.Node] | None,
        final: Any,
    ) -> Any:
        self.step()
        call_args = args[1:] if args is not None else []
        num_in = len(call_args) + (0 if final is NO_FINAL else 1)
        fixed = function.params
        if function.variadic is not None:
            if num_in < len(fixed):
                self.errorf(
                    f"wrong number of args for {name}: want at least {len(fixed)} "
                    f"got {len(call_args)}"
                )
        elif num_in != len(fixed):
            self.errorf(f"wrong number of args for {name}: want {len(fixed)} got {num_in}")

        if name in ("and", "or") and function.params == ("value",):
            return self._and_or(dot, iface, name, call_args, final)

        argv: list[Any] = []
        i = 0
        while i < len(fixed) and i < len(call_args):
            argv.append(self.eval_arg(dot, iface, fixed[i], call_args[i]))
            i += 1
        if function.variadic is not None:
            while i < len(call_args):
                argv.append(self.eval_arg(dot, iface, function.variadic, call_args[i]))
                i += 1
        if final is not NO_FINAL:
            if function.variadic is not None and num_in - 1 >= len(fixed):
                typ = function.variadic
            else:
                typ = fixed[num_in - 1]
            argv.append(self.validate(final, typ))
        try:
            result = function.call(*argv)
        except (ExecError, _Break, _Continue):
            raise
        except FuncError as err:
            self.at(node)
            self.errorf(f"error calling {name}: {err}")
        except RecursionError:
            self.at(node)
            self.errorf(f"error calling {name}: nesting too deep")
        except Exception as err:  # a Go panic inside the function: reported, not fatal
            self.at(node)
            self.errorf(f"error calling {name}: {err}")
        return result

    def _and_or(self, dot: Any, iface: bool, name: str, args: list[n.Node], final: Any) -> Any:
        value: Any = MISSING
        for arg in args:
            value = self.eval_arg(dot, iface, "value", arg)
            if value is None:
                value = MISSING
            if is_true(value)[0] == (name == "or"):
                return value
        if final is not NO_FINAL:
            value = final
        return value

    def eval_arg(self, dot: Any, iface: bool, typ: str, node: n.Node) -> Any:
        self.at(node)
        if isinstance(node, n.DotNode):
            return self.validate(dot, typ, iface)
        if isinstance(node, n.NilNode):
            if typ in ("any", "map", "list", "value"):
                return None if typ != "value" else MISSING
            self.errorf(f"cannot assign nil to {GO_PARAM_TYPES[typ]}")
        if isinstance(node, n.FieldNode):
            return self.validate(self.eval_field_node(dot, iface, node, [node], NO_FINAL), typ)
        if isinstance(node, n.VariableNode):
            return self.validate(self.eval_variable_node(dot, iface, node, None, NO_FINAL), typ)
        if isinstance(node, n.PipeNode):
            return self.validate(self.eval_pipeline(dot, iface, node), typ)
        if isinstance(node, n.IdentifierNode):
            result = self.eval_function(dot, iface, node, node, None, NO_FINAL)
            return self.validate(result, typ)
        if isinstance(node, n.ChainNode):
            return self.validate(self.eval_chain_node(dot, iface, node, None, NO_FINAL), typ)
        if typ == "bool":
            if isinstance(node, n.BoolNode):
                return node.true
            self.errorf(f"expected bool; found {node}")
        if typ == "float64":
            if isinstance(node, n.NumberNode) and node.is_float:
                return node.float_val
            self.errorf(f"expected float; found {node}")
        if typ in ("int", "int64"):
            if isinstance(node, n.NumberNode) and node.is_int:
                return Int64(node.int_val) if typ == "int64" else node.int_val
            self.errorf(f"expected integer; found {node}")
        if typ == "string":
            if isinstance(node, n.StringNode):
                return node.text
            self.errorf(f"expected string; found {node}")
        if typ in ("any", "value"):
            return self.eval_empty_interface(dot, node)
        self.errorf(f"can't handle {node} for arg of type {GO_PARAM_TYPES[typ]}")

    def eval_empty_interface(self, dot: Any, node: n.Node) -> Any:
        self.at(node)
        if isinstance(node, n.BoolNode):
            return node.true
        if isinstance(node, n.NumberNode):
            return self.ideal_constant(node)
        if isinstance(node, n.StringNode):
            return node.text
        self.errorf(f"can't handle assignment of {node} to empty interface argument")

    def validate(self, value: Any, typ: str, iface: bool = False) -> Any:
        """Go's validateType: the value as the parameter type `typ`, or Go's error."""
        if typ == "value":
            return value
        if value is MISSING:
            if typ in ("any", "map", "list"):
                return None
            self.errorf(f"invalid value; expected {GO_PARAM_TYPES[typ]}")
        if typ == "any":
            return value
        if value is None:
            self.errorf(f"wrong type for value; expected {GO_PARAM_TYPES[typ]}; got interface {{}}")
        ok = False
        if typ == "string":
            ok = isinstance(value, str)
        elif typ == "int":
            ok = is_int(value) and type(value) is int
        elif typ == "int64":
            ok = isinstance(value, Int64)
        elif typ == "float64":
            ok = isinstance(value, float)
        elif typ == "bool":
            ok = isinstance(value, bool)
        elif typ == "map":
            ok = isinstance(value, dict) and not isinstance(value, StrMap)
        elif typ == "list":
            ok = isinstance(value, list) and not isinstance(value, StrList)
        if not ok:
            self.errorf(
                f"wrong type for value; expected {GO_PARAM_TYPES[typ]}; got {go_type(value)}"
            )
        return value


def _quote(text: str) -> str:
    from gitferry.appset.gotemplate.printf import quote

    return quote(text)
