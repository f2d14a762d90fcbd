"""Argo CD's `NormalizeGitURL` (reference 1.4), used to compare repository URLs with an
AppProject's `sourceRepos`.

Trim, lowercase; an SCP-style SSH URL (`git@host:org/repo`) gets `ssh://` and its first `:`
becomes `/`; one trailing `.git` goes; the rest is parsed and re-serialised as Go's `net/url`
does (which percent-encodes some characters, e.g. `{` and `}`), and a leading `ssh://` is
dropped. When Go cannot parse the URL the result is the empty string (so two unparsable URLs
"match" each other, as in Argo CD). The `net/url` subset needed for that round trip is ported
here; it works on UTF-8 bytes as Go does. Called by `project` for `sourceRepos`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import Enum, auto

_SSH_URL = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+\Z", re.S)
# Go's strings.TrimSpace: ASCII white space plus U+0085, U+00A0 and the Unicode spaces.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
_GO_SPACE += "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


@functools.lru_cache(maxsize=8192)
def normalize_git_url(repo: str) -> str:
    """The URL as Argo CD compares it; "" when Go's URL parser rejects it."""
    repo = repo.strip(_GO_SPACE).lower()
    if _SSH_URL.match(repo) and not repo.startswith("ssh://"):
        repo = "ssh://" + repo.replace(":", "/", 1)
    repo = repo.removesuffix(".git")
    try:
        serialised = _reserialise(repo.encode("utf-8", "surrogateescape"))
    except _ParseError:
        return ""
    return serialised.decode("utf-8", "surrogateescape").removeprefix("ssh://")


class _ParseError(ValueError):
    """Go's `url.Parse` returned an error."""


class _Mode(Enum):
    PATH = auto()
    HOST = auto()
    ZONE = auto()
    USER_PASSWORD = auto()
    FRAGMENT = auto()


_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_HOST_OK = frozenset(b"!$&'()*+,;=:[]<>\"")
_RESERVED = frozenset(b"$&+,/:;=?@")
_SUB_DELIMS_OK = frozenset(b"!$&'()*+,;=:@[]%")
_USERINFO_OK = _ALNUM | frozenset(b"-._:~!$&'()*+,;=%@")


def _should_escape(c: int, mode: _Mode) -> bool:
    if c in _ALNUM:
        return False
    if mode in (_Mode.HOST, _Mode.ZONE) and c in _HOST_OK:
        return False
    if c in b"-_.~":
        return False
    if c in _RESERVED:
        if mode is _Mode.PATH:
            return c == ord("?")
        if mode is _Mode.USER_PASSWORD:
            return c in b"@/?:"
        if mode is _Mode.FRAGMENT:
            return False
    return not (mode is _Mode.FRAGMENT and c in b"!()*")


def _escape(data: bytes, mode: _Mode) -> bytes:
    out = bytearray()
    for c in data:
        out += b"%%%02X" % c if _should_escape(c, mode) else bytes((c,))
    return bytes(out)


def _unescape(data: bytes, mode: _Mode) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        c = data[i]
        if c == ord("%"):
            if i + 2 >= len(data) or data[i + 1] not in _HEX or data[i + 2] not in _HEX:
                raise _ParseError("invalid URL escape")
            value = int(data[i + 1 : i + 3], 16)
            if mode is _Mode.HOST and value < 0x80 and data[i : i + 3] != b"%25":
                raise _ParseError("invalid URL escape")
            out.append(value)
            i += 3
            continue
        if mode in (_Mode.HOST, _Mode.ZONE) and c < 0x80 and _should_escape(c, mode):
            raise _ParseError("invalid character in host name")
        out.append(c)
        i += 1
    return bytes(out)


def _valid_encoded(data: bytes, mode: _Mode) -> bool:
    return all(c in _SUB_DELIMS_OK or not _should_escape(c, mode) for c in data)


def _valid_optional_port(port: bytes) -> bool:
    return not port or (port[:1] == b":" and all(0x30 <= c <= 0x39 for c in port[1:]))


@dataclass
class _URL:
    """The fields of Go's `url.URL` that `String()` reads."""

    scheme: bytes = b""
    opaque: bytes = b""
    user: bytes | None = None  # already escaped for output
    host: bytes = b""
    path: bytes = b""
    raw_path: bytes = b""
    omit_host: bool = False
    force_query: bool = False
    raw_query: bytes = b""
    fragment: bytes = b""
    raw_fragment: bytes = b""

    def escaped_path(self) -> bytes:
        raw = self.raw_path
        if raw and _valid_encoded(raw, _Mode.PATH) and _unescape(raw, _Mode.PATH) == self.path:
            return raw
        if self.path == b"*":
            return b"*"
        return _escape(self.path, _Mode.PATH)

    def escaped_fragment(self) -> bytes:
        raw = self.raw_fragment
        mode = _Mode.FRAGMENT
        if raw and _valid_encoded(raw, mode) and _unescape(raw, mode) == self.fragment:
            return raw
        return _escape(self.fragment, _Mode.FRAGMENT)

    def string(self) -> bytes:
        out = bytearray()
        if self.scheme:
            out += self.scheme + b":"
        if self.opaque:
            out += self.opaque
        else:
            if (self.scheme or self.host or self.user is not None) and not (
                self.omit_host and not self.host and self.user is None
            ):
                if self.host or self.path or self.user is not None:
                    out += b"//"
                if self.user is not None:
                    out += self.user + b"@"
                if self.host:
                    out += _escape(self.host, _Mode.HOST)
            path = self.escaped_path()
            if path and path[:1] != b"/" and self.host:
                out += b"/"
            if not out and b":" in path.partition(b"/")[0]:
                out += b"./"
            out += path
        if self.force_query or self.raw_query:
            out += b"?" + self.raw_query
        if self.fragment:
            out += b"#" + self.escaped_fragment()
        return bytes(out)


def _reserialise(raw: bytes) -> bytes:
    """`url.Parse(raw).String()`; raises `_ParseError` where Go returns an error."""
    if any(c < 0x20 or c == 0x7F for c in raw):
        raise _ParseError("invalid control character in URL")
    text, _, fragment = raw.partition(b"#")
    url = _parse(text)
    if fragment:
        url.fragment = _unescape(fragment, _Mode.FRAGMENT)
        if _escape(url.fragment, _Mode.FRAGMENT) != fragment:
            url.raw_fragment = fragment
    return url.string()


def _parse(raw: bytes) -> _URL:
    url = _URL()
    if raw == b"*":
        url.path = b"*"
        return url
    url.scheme, rest = _scheme(raw)
    url.scheme = url.scheme.lower()
    if rest.endswith(b"?") and rest.count(b"?") == 1:
        url.force_query, rest = True, rest[:-1]
    else:
        rest, _, url.raw_query = rest.partition(b"?")
    if not rest.startswith(b"/"):
        if url.scheme:
            url.opaque = rest  # a rootless path after a scheme is opaque
            return url
        if b":" in rest.partition(b"/")[0]:
            raise _ParseError("first path segment in URL cannot contain colon")
    if (url.scheme or not rest.startswith(b"///")) and rest.startswith(b"//"):
        authority, slash, path = rest[2:].partition(b"/")
        rest = slash + path
        url.user, url.host = _authority(authority)
    elif url.scheme and rest.startswith(b"/"):
        url.omit_host = True
    url.path = _unescape(rest, _Mode.PATH)
    if _escape(url.path, _Mode.PATH) != rest:
        url.raw_path = rest
    return url


def _scheme(raw: bytes) -> tuple[bytes, bytes]:
    for i, c in enumerate(raw):
        if c in _ALNUM and not 0x30 <= c <= 0x39:
            continue
        if (0x30 <= c <= 0x39 or c in b"+-.") and i > 0:
            continue
        if c == ord(":"):
            if i == 0:
                raise _ParseError("missing protocol scheme")
            return raw[:i], raw[i + 1 :]
        break
    return b"", raw


def _authority(authority: bytes) -> tuple[bytes | None, bytes]:
    at = authority.rfind(b"@")
    host = _host(authority[at + 1 :])
    if at < 0:
        return None, host
    userinfo = authority[:at]
    if not all(c in _USERINFO_OK for c in userinfo):
        raise _ParseError("invalid userinfo")
    name, colon, password = userinfo.partition(b":")
    user = _escape(_unescape(name, _Mode.USER_PASSWORD), _Mode.USER_PASSWORD)
    if colon:
        user += b":" + _escape(_unescape(password, _Mode.USER_PASSWORD), _Mode.USER_PASSWORD)
    return user, host


def _host(host: bytes) -> bytes:
    if host.startswith(b"["):
        end = host.rfind(b"]")
        if end < 0:
            raise _ParseError("missing ']' in host")
        if not _valid_optional_port(host[end + 1 :]):
            raise _ParseError("invalid port after host")
        zone = host[:end].find(b"%25")
        if zone >= 0:
            return (
                _unescape(host[:zone], _Mode.HOST)
                + _unescape(host[zone:end], _Mode.ZONE)
                + _unescape(host[end:], _Mode.HOST)
            )
    elif (colon := host.rfind(b":")) >= 0 and not _valid_optional_port(host[colon:]):
        raise _ParseError("invalid port after host")
    return _unescape(host, _Mode.HOST)
