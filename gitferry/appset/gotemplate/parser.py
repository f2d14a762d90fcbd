"""The parser of Go's text/template: items into trees, with Go's rules and error messages.

`parse(name, text, functions)` returns every tree the text defines: the main one under `name`
and one per `{{define}}`/`{{block}}`. Functions are checked at parse time
(`function "slugifi" not defined`), variables too (`undefined variable "$x"`). Errors read as
Go's: `template: NAME:LINE: MESSAGE`. Called by `template.Template.parse`.
"""

from __future__ import annotations

import re
from collections.abc import Container

from gitferry.appset.gotemplate import nodes as n
from gitferry.appset.gotemplate.errors import ParseError
from gitferry.appset.gotemplate.lexer import Item, Lexer, T

_OCTAL = re.compile(r"[+-]?0[0-7_]+")
_INT_LIMIT = 1 << 63
_UINT_LIMIT = 1 << 64
_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


def unquote(text: str) -> str:
    """strconv.Unquote for "..." and `...` literals; ValueError("invalid syntax") otherwise."""
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1].replace("\r", "")
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError("invalid syntax")
    body = text[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == '"':
            raise ValueError("invalid syntax")
        if c != "\\":
            out.append(c)
            i += 1
            continue
        char, i = _unquote_escape(body, i + 1, '"')
        out.append(char)
    return "".join(out)


def _unquote_escape(body: str, i: int, quote: str) -> tuple[str, int]:
    if i >= len(body):
        raise ValueError("invalid syntax")
    c = body[i]
    if c in _ESCAPES:
        if c in "'\"" and c != quote:
            raise ValueError("invalid syntax")
        return _ESCAPES[c], i + 1
    size = {"x": 2, "u": 4, "U": 8}.get(c)
    if size is not None:
        digits = body[i + 1 : i + 1 + size]
        if len(digits) != size or not all(d in "0123456789abcdefABCDEF" for d in digits):
            raise ValueError("invalid syntax")
        code = int(digits, 16)
        if code > 0x10FFFF or (c != "x" and 0xD800 <= code < 0xE000):
            raise ValueError("invalid syntax")
        return chr(code), i + 1 + size
    if c in "01234567":
        digits = body[i : i + 3]
        if len(digits) != 3 or not all(d in "01234567" for d in digits) or int(digits, 8) > 255:
            raise ValueError("invalid syntax")
        return chr(int(digits, 8)), i + 3
    raise ValueError("invalid syntax")


def _parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64)-like: the integer, or None when it does not parse."""
    clean = text
    if _OCTAL.fullmatch(text):
        clean = text.replace("0", "0o", 1) if text[0] == "0" else text[0] + "0o" + text[2:]
    try:
        return int(clean, 0)
    except ValueError:
        return None


def _parse_float(text: str) -> float | None:
    body = text.replace("_", "")
    try:
        if body.lstrip("+-")[:2].lower() == "0x":
            return float.fromhex(body)
        return float(body)
    except (ValueError, OverflowError):
        return None


class Tree:
    """One parse of one template text; `trees` collects the defined templates by name."""

    def __init__(
        self, name: str, text: str, funcs: Container[str], trees: dict[str, n.ListNode]
    ) -> None:
        self.name = name
        self.text = text
        self.funcs = funcs
        self.trees = trees
        self.items: list[Item] = Lexer(text).run()
        self.i = 0
        self.furthest = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.action_line = 0

    # -- tokens ------------------------------------------------------------------------

    def next(self) -> Item:
        item = self.items[min(self.i, len(self.items) - 1)]
        self.i += 1
        self.furthest = max(self.furthest, min(self.i, len(self.items)) - 1)
        return item

    def backup(self, count: int = 1) -> None:
        self.i -= count

    def peek(self) -> Item:
        index = min(self.i, len(self.items) - 1)
        self.furthest = max(self.furthest, index)
        return self.items[index]

    def next_non_space(self) -> Item:
        item = self.next()
        while item.typ == T.SPACE:
            item = self.next()
        return item

    def peek_non_space(self) -> Item:
        item = self.next_non_space()
        self.backup()
        return item

    def errorf(self, message: str) -> ParseError:
        line = self.items[min(self.furthest, len(self.items) - 1)].line
        return ParseError(f"template: {self.name}:{line}: {message}")

    def expect(self, expected: T, context: str) -> Item:
        token = self.next_non_space()
        if token.typ != expected:
            raise self.unexpected(token, context)
        return token

    def unexpected(self, token: Item, context: str) -> ParseError:
        if token.typ == T.ERROR:
            extra = ""
            if self.action_line and self.action_line != token.line:
                extra = f" in action started at {self.name}:{self.action_line}"
                if token.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            return self.errorf(token.val + extra)
        return self.errorf(f"unexpected {token.describe()} in {context}")

    # -- top level ---------------------------------------------------------------------

    def parse(self) -> n.ListNode:
        root = n.ListNode(self.peek().pos)
        while self.peek().typ != T.EOF:
            if self.peek().typ == T.LEFT_DELIM:
                self.next()
                if self.next_non_space().typ == T.DEFINE:
                    self._definition()
                    continue
                self.i = self._last_delim()
            node = self._text_or_action()
            if isinstance(node, (n.EndNode, n.ElseNode)):
                raise self.errorf(f"unexpected {node}")
            root.nodes.append(node)
        self._add(self.name, root)
        return root

    def _last_delim(self) -> int:
        index = self.i - 1
        while self.items[index].typ != T.LEFT_DELIM:
            index -= 1
        return index

    def _add(self, name: str, root: n.ListNode) -> None:
        existing = self.trees.get(name)
        if existing is None or _is_empty(existing):
            self.trees[name] = root
        elif not _is_empty(root):
            raise self.errorf(f"template: multiple definition of template {_q(name)}")

    def _definition(self) -> None:
        context = "define clause"
        token = self.next_non_space()
        if token.typ not in (T.STRING, T.RAW_STRING):
            raise self.unexpected(token, context)
        name = self._unquote(token)
        self.expect(T.RIGHT_DELIM, context)
        saved_vars, self.vars = self.vars, ["$"]
        body, end = self._item_list()
        if not isinstance(end, n.EndNode):
            raise self.errorf(f"unexpected {end} in {context}")
        self.vars = saved_vars
        self._add(name, body)

    def _text_or_action(self) -> n.Node:
        token = self.next_non_space()
        if token.typ == T.TEXT:
            return n.TextNode(token.pos, token.val)
        if token.typ == T.LEFT_DELIM:
            self.action_line = token.line
            try:
                return self._action()
            finally:
                self.action_line = 0
        raise self.unexpected(token, "input")

    def _item_list(self) -> tuple[n.ListNode, n.Node]:
        body = n.ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != T.EOF:
            node = self._text_or_action()
            if isinstance(node, (n.EndNode, n.ElseNode)):
                return body, node
            body.nodes.append(node)
        raise self.errorf("unexpected EOF")

    # -- actions -----------------------------------------------------------------------

    def _action(self) -> n.Node:
        token = self.next_non_space()
        typ = token.typ
        if typ == T.BLOCK:
            return self._block()
        if typ in (T.BREAK, T.CONTINUE):
            return self._break_or_continue(token)
        if typ == T.ELSE:
            return self._else()
        if typ == T.END:
            return n.EndNode(self.expect(T.RIGHT_DELIM, "end").pos)
        if typ in (T.IF, T.RANGE, T.WITH):
            return self._control(token.val)
        if typ == T.TEMPLATE:
            return self._template()
        self.backup()
        token = self.peek()
        return n.ActionNode(token.pos, token.line, self._pipeline("command", T.RIGHT_DELIM))

    def _break_or_continue(self, token: Item) -> n.Node:
        word = token.val
        after = self.next_non_space()
        if after.typ != T.RIGHT_DELIM:
            raise self.unexpected(after, "{{" + word + "}}")
        if self.range_depth == 0:
            raise self.errorf("{{" + word + "}} outside {{range}}")
        if word == "break":
            return n.BreakNode(token.pos, token.line)
        return n.ContinueNode(token.pos, token.line)

    def _else(self) -> n.Node:
        peek = self.peek_non_space()
        if peek.typ in (T.IF, T.WITH):
            return n.ElseNode(peek.pos, peek.line)
        token = self.expect(T.RIGHT_DELIM, "else")
        return n.ElseNode(token.pos, token.line)

    def _control(self, context: str) -> n.BranchNode:
        depth = len(self.vars)
        try:
            pipe = self._pipeline(context, T.RIGHT_DELIM)
            if context == "range":
                self.range_depth += 1
            body, nxt = self._item_list()
            if context == "range":
                self.range_depth -= 1
            else_list: n.ListNode | None = None
            if isinstance(nxt, n.ElseNode):
                follow = self.peek().typ
                if (context, follow) in (("if", T.IF), ("with", T.WITH)):
                    self.next()
                    else_list = n.ListNode(nxt.pos, [self._control(context)])
                else:
                    else_list, nxt = self._item_list()
                    if not isinstance(nxt, n.EndNode):
                        raise self.errorf(f"expected end; found {nxt}")
            return n.BranchNode(pipe.pos, pipe.line, pipe, body, else_list, context)
        finally:
            del self.vars[depth:]

    def _template(self) -> n.Node:
        context = "template clause"
        token = self.next_non_space()
        name = self._template_name(token, context)
        pipe: n.PipeNode | None = None
        if self.next_non_space().typ != T.RIGHT_DELIM:
            self.backup()
            pipe = self._pipeline(context, T.RIGHT_DELIM)
        return n.TemplateNode(token.pos, token.line, name, pipe)

    def _block(self) -> n.Node:
        context = "block clause"
        token = self.next_non_space()
        name = self._template_name(token, context)
        pipe = self._pipeline(context, T.RIGHT_DELIM)
        saved_vars, self.vars = self.vars, ["$"]
        body, end = self._item_list()
        self.vars = saved_vars
        if not isinstance(end, n.EndNode):
            raise self.errorf(f"unexpected {end} in {context}")
        self._add(name, body)
        return n.TemplateNode(token.pos, token.line, name, pipe)

    def _template_name(self, token: Item, context: str) -> str:
        if token.typ not in (T.STRING, T.RAW_STRING):
            raise self.unexpected(token, context)
        return self._unquote(token)

    def _unquote(self, token: Item) -> str:
        try:
            return unquote(token.val)
        except ValueError as err:
            raise self.errorf(str(err)) from None

    # -- pipelines ---------------------------------------------------------------------

    def _pipeline(self, context: str, end: T) -> n.PipeNode:
        token = self.peek_non_space()
        pipe = n.PipeNode(token.pos, token.line)
        while True:  # declarations: "$x :=", "$x =", "$i, $e :="
            v = self.peek_non_space()
            if v.typ != T.VARIABLE:
                break
            self.next_non_space()
            start = self.i
            nxt = self.peek_non_space()
            if nxt.typ in (T.ASSIGN, T.DECLARE):
                pipe.is_assign = nxt.typ == T.ASSIGN
                self.next_non_space()
                pipe.decl.append(n.VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
                break
            if nxt.typ == T.CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(n.VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (T.VARIABLE, T.RIGHT_DELIM, T.RIGHT_PAREN):
                        continue
                    raise self.errorf("range can only initialize variables")
                raise self.errorf(f"too many declarations in {context}")
            self.i = start - 1  # not a declaration: the variable is an operand
            break
        while True:
            token = self.next_non_space()
            if token.typ == end:
                self._check_pipeline(pipe, context)
                return pipe
            if token.typ in _OPERAND_START:
                self.backup()
                pipe.cmds.append(self._command())
                continue
            raise self.unexpected(token, context)

    def _check_pipeline(self, pipe: n.PipeNode, context: str) -> None:
        if not pipe.cmds:
            raise self.errorf(f"missing value for {context}")
        for i, cmd in enumerate(pipe.cmds[1:]):
            first = cmd.args[0]
            if isinstance(first, (n.BoolNode, n.DotNode, n.NilNode, n.NumberNode, n.StringNode)):
                raise self.errorf(f"non executable command in pipeline stage {i + 2}")

    def _command(self) -> n.CommandNode:
        cmd = n.CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self._operand()
            if operand is not None:
                cmd.args.append(operand)
            token = self.next()
            if token.typ == T.SPACE:
                continue
            if token.typ in (T.RIGHT_DELIM, T.RIGHT_PAREN):
                self.backup()
            elif token.typ != T.PIPE:
                raise self.unexpected(token, "operand")
            break
        if not cmd.args:
            raise self.errorf("empty command")
        return cmd

    def _operand(self) -> n.Node | None:
        node = self._term()
        if node is None:
            return None
        if self.peek().typ == T.FIELD:
            chain = n.ChainNode(self.peek().pos, node)
            while self.peek().typ == T.FIELD:
                chain.field.append(self.next().val[1:])
            if isinstance(node, n.FieldNode):
                return n.FieldNode(chain.pos, [*node.ident, *chain.field])
            if isinstance(node, n.VariableNode):
                return n.VariableNode(chain.pos, [*node.ident, *chain.field])
            if isinstance(node, (n.BoolNode, n.StringNode, n.NumberNode, n.NilNode, n.DotNode)):
                raise self.errorf(f"unexpected . after term {_q(str(node))}")
            return chain
        return node

    def _term(self) -> n.Node | None:
        token = self.next_non_space()
        typ = token.typ
        if typ == T.IDENTIFIER:
            if token.val not in self.funcs:
                raise self.errorf(f"function {_q(token.val)} not defined")
            return n.IdentifierNode(token.pos, token.val)
        if typ == T.DOT:
            return n.DotNode(token.pos)
        if typ == T.NIL:
            return n.NilNode(token.pos)
        if typ == T.VARIABLE:
            name = token.val.split(".")[0]
            if name not in self.vars:
                raise self.errorf(f"undefined variable {_q(name)}")
            return n.VariableNode(token.pos, [token.val])
        if typ == T.FIELD:
            return n.FieldNode(token.pos, [token.val[1:]])
        if typ == T.BOOL:
            return n.BoolNode(token.pos, token.val == "true")
        if typ in (T.CHAR_CONSTANT, T.NUMBER, T.COMPLEX):
            return self._number(token)
        if typ == T.LEFT_PAREN:
            return self._pipeline("parenthesized pipeline", T.RIGHT_PAREN)
        if typ in (T.STRING, T.RAW_STRING):
            return n.StringNode(token.pos, token.val, self._unquote(token))
        self.backup()
        return None

    def _number(self, token: Item) -> n.NumberNode:
        text = token.val
        node = n.NumberNode(token.pos, text)
        if token.typ == T.CHAR_CONSTANT:
            body = text[1:-1]
            if body.startswith("\\"):
                try:
                    char, end = _unquote_escape(body, 1, "'")
                except ValueError:
                    raise self.errorf("invalid syntax") from None
            else:
                char, end = body[:1], 1
            if end != len(body) or not char:
                raise self.errorf(f"malformed character constant: {text}")
            code = ord(char)
            node.is_int = node.is_uint = node.is_float = True
            node.int_val, node.float_val = code, float(code)
            return node
        if token.typ == T.COMPLEX or text.endswith("i"):
            raise self.errorf(f"illegal number syntax: {_q(text)}")
        value = _parse_int(text)
        if value is not None:
            node.is_int = -_INT_LIMIT <= value < _INT_LIMIT
            node.is_uint = 0 <= value < _UINT_LIMIT
            if node.is_int or node.is_uint:
                node.int_val, node.is_float, node.float_val = value, True, float(value)
        if not (node.is_int or node.is_uint):
            f = _parse_float(text)
            if f is not None:
                if not any(c in text for c in ".eEpP"):
                    raise self.errorf(f"integer overflow: {_q(text)}")
                node.is_float, node.float_val = True, f
                if f.is_integer() and -_INT_LIMIT <= f < _INT_LIMIT:
                    node.is_int, node.int_val = True, int(f)
                if f.is_integer() and 0 <= f < _UINT_LIMIT:
                    node.is_uint, node.int_val = True, int(f)
        if not (node.is_int or node.is_uint or node.is_float):
            raise self.errorf(f"illegal number syntax: {_q(text)}")
        return node


_OPERAND_START = {
    T.BOOL,
    T.CHAR_CONSTANT,
    T.COMPLEX,
    T.DOT,
    T.FIELD,
    T.IDENTIFIER,
    T.NUMBER,
    T.NIL,
    T.RAW_STRING,
    T.STRING,
    T.VARIABLE,
    T.LEFT_PAREN,
}


def _q(text: str) -> str:
    from gitferry.appset.gotemplate.printf import quote

    return quote(text)


def _is_empty(node: n.Node) -> bool:
    if isinstance(node, n.ListNode):
        return all(_is_empty(x) for x in node.nodes)
    if isinstance(node, n.TextNode):
        return node.text.strip() == ""
    return False


def parse(name: str, text: str, funcs: Container[str]) -> dict[str, n.ListNode]:
    """Every template `text` defines, the main one under `name`."""
    trees: dict[str, n.ListNode] = {}
    Tree(name, text, funcs, trees).parse()
    return trees
