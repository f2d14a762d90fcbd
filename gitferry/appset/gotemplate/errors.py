"""The errors of the Go template engine; their messages are Go's, word for word."""

from __future__ import annotations


class TemplateError(Exception):
    """A template that cannot be parsed or executed."""


class ParseError(TemplateError):
    """`template: NAME:LINE: MESSAGE`."""


class ExecError(TemplateError):
    """`template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`."""
