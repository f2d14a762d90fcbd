"""The lexer of Go's text/template: template text into items, as `text/template/parse` does.

Delimiters are `{{` and `}}`; `{{- ` and ` -}}` trim the spaces around an action; comments
are `{{/* ... */}}`. Errors become an ERROR item carrying Go's message ("unclosed action",
"bad number syntax: \"1a\"", ...); the parser reports it where it meets it, so the first
problem in reading order wins, as in Go. Positions are indexes into the text (the parser turns
them into Go's byte columns for messages). Called by `parser`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from gitferry.appset.gotemplate.printf import quote


class T(IntEnum):
    """Item types; the keywords (including `.` and `nil`) come after KEYWORD, as in Go."""

    ERROR = 0
    BOOL = 1
    CHAR = 2  # a printable ASCII character inside an action: ',' and friends
    CHAR_CONSTANT = 3
    COMMENT = 4
    ASSIGN = 5
    DECLARE = 6
    EOF = 7
    FIELD = 8
    IDENTIFIER = 9
    LEFT_DELIM = 10
    LEFT_PAREN = 11
    NUMBER = 12
    PIPE = 13
    RAW_STRING = 14
    RIGHT_DELIM = 15
    RIGHT_PAREN = 16
    SPACE = 17
    STRING = 18
    TEXT = 19
    VARIABLE = 20
    COMPLEX = 23
    KEYWORD = 30
    BLOCK = 31
    BREAK = 32
    CONTINUE = 33
    DOT = 34
    DEFINE = 35
    ELSE = 36
    END = 37
    IF = 38
    NIL = 39
    RANGE = 40
    TEMPLATE = 41
    WITH = 42


KEYWORDS = {
    ".": T.DOT,
    "block": T.BLOCK,
    "break": T.BREAK,
    "continue": T.CONTINUE,
    "define": T.DEFINE,
    "else": T.ELSE,
    "end": T.END,
    "if": T.IF,
    "range": T.RANGE,
    "nil": T.NIL,
    "template": T.TEMPLATE,
    "with": T.WITH,
}

LEFT, RIGHT = "{{", "}}"
SPACES = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Item:
    typ: T
    pos: int
    val: str
    line: int

    def describe(self) -> str:
        """Go's item.String(), as used in "unexpected X in Y"."""
        if self.typ == T.EOF:
            return "EOF"
        if self.typ == T.ERROR:
            return self.val
        if self.typ > T.KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return quote(self.val[:10]) + "..."
        return quote(self.val)


def _is_space(c: str) -> bool:
    return c in (" ", "\t", "\r", "\n")


def _is_alnum(c: str) -> bool:
    return c == "_" or c.isalpha() or c.isdigit()


def _unicode_name(c: str) -> str:
    """Go's %#U: U+0023 '#'."""
    return f"U+{ord(c):04X} '{c}'" if c.isprintable() else f"U+{ord(c):04X}"


class Lexer:
    """Turns template text into a list of items (ending with EOF or ERROR)."""

    def __init__(self, text: str, *, break_ok: bool = True) -> None:
        self.text = text
        self.pos = 0
        self.start = 0
        self.line = 1
        self.start_line = 1
        self.paren_depth = 0
        self.break_ok = break_ok
        self.items: list[Item] = []

    # -- plumbing ----------------------------------------------------------------------

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _next(self) -> str:
        if self.pos >= len(self.text):
            self.pos += 1  # so that _backup restores
            return ""
        c = self.text[self.pos]
        self.pos += 1
        if c == "\n":
            self.line += 1
        return c

    def _backup(self) -> None:
        self.pos -= 1
        if self.pos < len(self.text) and self.text[self.pos] == "\n":
            self.line -= 1

    def _emit(self, typ: T) -> None:
        self.items.append(Item(typ, self.start, self.text[self.start : self.pos], self.start_line))
        self.start = self.pos
        self.start_line = self.line

    def _ignore(self) -> None:
        self.line += self.text.count("\n", self.start, self.pos)
        self.start = self.pos
        self.start_line = self.line

    def _error(self, message: str) -> bool:
        self.items.append(Item(T.ERROR, self.start, message, self.start_line))
        return False

    def _accept(self, chars: str) -> bool:
        if self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1
            return True
        return False

    def _accept_run(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def _has_left_trim(self, at: int) -> bool:
        t = self.text
        return at + 1 < len(t) and t[at] == "-" and _is_space(t[at + 1])

    def _has_right_trim(self, at: int) -> bool:
        t = self.text
        return at + 1 < len(t) and _is_space(t[at]) and t[at + 1] == "-"

    def _at_right_delim(self) -> tuple[bool, bool]:
        if self._has_right_trim(self.pos) and self.text.startswith(RIGHT, self.pos + 2):
            return True, True
        if self.text.startswith(RIGHT, self.pos):
            return True, False
        return False, False

    def _at_terminator(self) -> bool:
        c = self._peek()
        if c == "" or _is_space(c) or c in ".,|:)(":
            return True
        return self.text.startswith(RIGHT, self.pos)

    # -- states ------------------------------------------------------------------------

    def run(self) -> list[Item]:
        inside = False
        while True:
            if not inside:
                if not self._lex_text():
                    return self.items
                inside = self._lex_left_delim()
                if self.items and self.items[-1].typ == T.ERROR:
                    return self.items
                continue
            delim, _ = self._at_right_delim()
            if delim:
                if self.paren_depth == 0:
                    self._lex_right_delim()
                    inside = False
                    continue
                self._error("unclosed left paren")
                return self.items
            if not self._lex_inside_action():
                return self.items

    def _lex_text(self) -> bool:
        """Emit text up to the next `{{`; False at the end (EOF emitted)."""
        x = self.text.find(LEFT, self.pos)
        if x < 0:
            self.pos = len(self.text)
            if self.pos > self.start:
                self.line += self.text.count("\n", self.start, self.pos)
                self._emit(T.TEXT)
            self._emit(T.EOF)
            return False
        if x > self.pos:
            self.pos = x
            trim = 0
            if self._has_left_trim(x + len(LEFT)):
                chunk = self.text[self.start : self.pos]
                trim = len(chunk) - len(chunk.rstrip(SPACES))
            self.pos -= trim
            self.line += self.text.count("\n", self.start, self.pos)
            item = Item(T.TEXT, self.start, self.text[self.start : self.pos], self.start_line)
            self.start, self.start_line = self.pos, self.line
            self.pos += trim
            self._ignore()
            if item.val:
                self.items.append(item)
        return True

    def _lex_left_delim(self) -> bool:
        """At `{{`: a comment (read whole; False) or the start of an action (True)."""
        self.pos += len(LEFT)
        trim = self._has_left_trim(self.pos)
        after = 2 if trim else 0
        if self.text.startswith("/*", self.pos + after):
            self.pos += after
            self._ignore()
            self._lex_comment()
            return False
        self.items.append(Item(T.LEFT_DELIM, self.start, LEFT, self.start_line))
        self.pos += after
        self._ignore()
        self.paren_depth = 0
        return True

    def _lex_comment(self) -> bool:
        self.pos += 2
        x = self.text.find("*/", self.pos)
        if x < 0:
            return self._error("unclosed comment")
        self.pos = x + 2
        delim, trim = self._at_right_delim()
        if not delim:
            return self._error("comment ends before closing delimiter")
        if trim:
            self.pos += 2
        self.pos += len(RIGHT)
        if trim:
            rest = self.text[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACES))
        self._ignore()
        return True

    def _lex_right_delim(self) -> None:
        _, trim = self._at_right_delim()
        if trim:
            self.pos += 2
            self._ignore()
        self.pos += len(RIGHT)
        self._emit(T.RIGHT_DELIM)
        if trim:
            rest = self.text[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACES))
            self._ignore()

    def _lex_inside_action(self) -> bool:
        c = self._next()
        if c == "":
            return self._error("unclosed action")
        if _is_space(c):
            self._backup()
            return self._lex_space()
        if c == "=":
            self._emit(T.ASSIGN)
        elif c == ":":
            if self._next() != "=":
                return self._error("expected :=")
            self._emit(T.DECLARE)
        elif c == "|":
            self._emit(T.PIPE)
        elif c == '"':
            return self._lex_quote()
        elif c == "`":
            return self._lex_raw_quote()
        elif c == "$":
            return self._lex_variable()
        elif c == "'":
            return self._lex_char()
        elif c == "." and not ("0" <= self._peek() <= "9" and self._peek() != ""):
            return self._lex_field_or_variable(T.FIELD)
        elif c in "+-." or "0" <= c <= "9":
            self._backup()
            return self._lex_number()
        elif _is_alnum(c):
            self._backup()
            return self._lex_identifier()
        elif c == "(":
            self.paren_depth += 1
            self._emit(T.LEFT_PAREN)
        elif c == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return self._error("unexpected right paren")
            self._emit(T.RIGHT_PAREN)
        elif ord(c) < 0x80 and c.isprintable():
            self._emit(T.CHAR)
        else:
            return self._error(f"unrecognized character in action: {_unicode_name(c)}")
        return True

    def _lex_space(self) -> bool:
        count = 0
        while _is_space(self._peek()):
            self._next()
            count += 1
        if self._has_right_trim(self.pos - 1) and self.text.startswith(RIGHT, self.pos + 1):
            self._backup()
            if count == 1:
                return True  # on the trim-marked delimiter: the main loop takes it
        self._emit(T.SPACE)
        return True

    def _lex_identifier(self) -> bool:
        while _is_alnum(self._peek()):
            self._next()
        word = self.text[self.start : self.pos]
        if not self._at_terminator():
            return self._error(f"bad character {_unicode_name(self._peek())}")
        keyword = KEYWORDS.get(word)
        if keyword is not None and keyword > T.KEYWORD:
            if keyword in (T.BREAK, T.CONTINUE) and not self.break_ok:
                self._emit(T.IDENTIFIER)
            else:
                self._emit(keyword)
        elif word in ("true", "false"):
            self._emit(T.BOOL)
        else:
            self._emit(T.IDENTIFIER)
        return True

    def _lex_variable(self) -> bool:
        if self._at_terminator():
            self._emit(T.VARIABLE)
            return True
        return self._lex_field_or_variable(T.VARIABLE)

    def _lex_field_or_variable(self, typ: T) -> bool:
        if self._at_terminator():
            self._emit(T.VARIABLE if typ == T.VARIABLE else T.DOT)
            return True
        while _is_alnum(self._peek()):
            self._next()
        if not self._at_terminator():
            return self._error(f"bad character {_unicode_name(self._peek())}")
        self._emit(typ)
        return True

    def _lex_quoted(self, close: str, typ: T, what: str) -> bool:
        while True:
            c = self._next()
            if c == "\\":
                if self._next() not in ("", "\n"):
                    continue
                return self._error(f"unterminated {what}")
            if c in ("", "\n"):
                return self._error(f"unterminated {what}")
            if c == close:
                break
        self._emit(typ)
        return True

    def _lex_char(self) -> bool:
        return self._lex_quoted("'", T.CHAR_CONSTANT, "character constant")

    def _lex_quote(self) -> bool:
        return self._lex_quoted('"', T.STRING, "quoted string")

    def _lex_raw_quote(self) -> bool:
        while True:
            c = self._next()
            if c == "":
                return self._error("unterminated raw quoted string")
            if c == "`":
                break
        self._emit(T.RAW_STRING)
        return True

    def _scan_number(self) -> bool:
        self._accept("+-")
        digits = "0123456789_"
        if self._accept("0"):
            if self._accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self._accept("oO"):
                digits = "01234567_"
            elif self._accept("bB"):
                digits = "01_"
        self._accept_run(digits)
        if self._accept("."):
            self._accept_run(digits)
        if len(digits) == 11 and self._accept("eE"):
            self._accept("+-")
            self._accept_run("0123456789_")
        if len(digits) == 23 and self._accept("pP"):
            self._accept("+-")
            self._accept_run("0123456789_")
        self._accept("i")
        if _is_alnum(self._peek()):
            self.pos += 1
            return False
        return True

    def _lex_number(self) -> bool:
        if not self._scan_number():
            return self._error(f"bad number syntax: {quote(self.text[self.start : self.pos])}")
        if self._peek() in ("+", "-") and self._peek() != "":
            if not self._scan_number() or self.text[self.pos - 1] != "i":
                return self._error(f"bad number syntax: {quote(self.text[self.start : self.pos])}")
            self._emit(T.COMPLEX)
            return True
        self._emit(T.NUMBER)
        return True
