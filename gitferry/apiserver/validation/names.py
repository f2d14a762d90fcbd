"""Name and key rules of `k8s.io/apimachinery/pkg/util/validation`, with their exact messages.

Each check returns the list of problems (empty when valid), worded as kube-apiserver 1.32 words
them, including the formatter's quirk of two spaces before ` or ` between examples. The
regular expressions are compiled once: these run on every write of the API server's pipeline
(`validation`, `validation.kinds`, `validation.pods`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

NameCheck = Callable[[str, bool], list[str]]

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63

_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = _LABEL_FMT + r"(\." + _LABEL_FMT + ")*"
_DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_FMT + ")?"
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_PERCENT_FMT = "[0-9]+%"

_label = re.compile(_LABEL_FMT).fullmatch
_subdomain = re.compile(_SUBDOMAIN_FMT).fullmatch
_dns1035 = re.compile(_DNS1035_FMT).fullmatch
_qualified = re.compile(_QUALIFIED_FMT).fullmatch
_label_value = re.compile(_LABEL_VALUE_FMT).fullmatch
_config_key = re.compile(_CONFIG_KEY_FMT).fullmatch
_percent = re.compile(_PERCENT_FMT).fullmatch
_port_name_chars = re.compile("[-a-z0-9]+").fullmatch
_has_letter = re.compile("[a-z]").search

_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)


def regex_error(message: str, fmt: str, *examples: str) -> str:
    """`validation.RegexError`: examples are joined with `, ` and ` or ` (two spaces)."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = "".join((" or " if i else "") + f"'{example}', " for i, example in enumerate(examples))
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


SUBDOMAIN_ERROR = regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character",
    _SUBDOMAIN_FMT,
    "example.com",
)
LABEL_ERROR = regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character",
    _LABEL_FMT,
    "my-name",
    "123-abc",
)
DNS1035_ERROR = regex_error(
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character",
    _DNS1035_FMT,
    "my-name",
    "abc-123",
)
QUALIFIED_ERROR = regex_error(_QUALIFIED_MSG, _QUALIFIED_FMT, "MyName", "my.name", "123-abc")
LABEL_VALUE_ERROR = regex_error(
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character",
    _LABEL_VALUE_FMT,
    "MyValue",
    "my_value",
    "12345",
)
CONFIG_KEY_ERROR = regex_error(
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    _CONFIG_KEY_FMT,
    "key.name",
    "KEY_NAME",
    "key-name",
)
PERCENT_ERROR = regex_error(
    "a valid percent string must be a numeric string followed by an ending '%'",
    _PERCENT_FMT,
    "1%",
    "93%",
)


def dns1123_subdomain(value: str) -> list[str]:
    errs = [max_len_error(DNS1123_SUBDOMAIN_MAX)] if len(value) > DNS1123_SUBDOMAIN_MAX else []
    if not _subdomain(value):
        errs.append(SUBDOMAIN_ERROR)
    return errs


def dns1123_label(value: str) -> list[str]:
    errs = [max_len_error(DNS1123_LABEL_MAX)] if len(value) > DNS1123_LABEL_MAX else []
    if not _label(value):
        # A valid subdomain that is no valid label (length was checked) has dots.
        errs.append("must not contain dots" if _subdomain(value) else LABEL_ERROR)
    return errs


def dns1035_label(value: str) -> list[str]:
    errs = [max_len_error(DNS1123_LABEL_MAX)] if len(value) > DNS1123_LABEL_MAX else []
    if not _dns1035(value):
        errs.append(DNS1035_ERROR)
    return errs


def path_segment(value: str, prefix: bool = False) -> list[str]:
    """`path.IsValidPathSegmentName` (or its prefix form): no `.`/`..`, no `/` or `%`."""
    if not prefix and value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in value]


def _mask_trailing_dash(name: str) -> str:
    # Upstream quirk kept on purpose: two characters are dropped, one is appended.
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def _prefixed(check: Callable[[str], list[str]]) -> NameCheck:
    def name_check(name: str, prefix: bool) -> list[str]:
        return check(_mask_trailing_dash(name) if prefix else name)

    return name_check


NAME_CHECKS: dict[str, NameCheck] = {
    "subdomain": _prefixed(dns1123_subdomain),
    "label": _prefixed(dns1123_label),
    "dns1035": _prefixed(dns1035_label),
    "path": path_segment,
}


def qualified_name(value: str) -> list[str]:
    """`IsQualifiedName`: an optional DNS subdomain prefix and `/`, then a name."""
    parts = value.split("/")
    errs: list[str] = []
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + msg for msg in dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + QUALIFIED_ERROR
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if not _qualified(name):
        errs.append("name part " + QUALIFIED_ERROR)
    return errs


def label_value(value: str) -> list[str]:
    errs = [max_len_error(LABEL_VALUE_MAX)] if len(value) > LABEL_VALUE_MAX else []
    if not _label_value(value):
        errs.append(LABEL_VALUE_ERROR)
    return errs


def config_map_key(value: str) -> list[str]:
    """`IsConfigMapKey`, shared by ConfigMap and Secret keys."""
    errs = [max_len_error(DNS1123_SUBDOMAIN_MAX)] if len(value) > DNS1123_SUBDOMAIN_MAX else []
    if not _config_key(value):
        errs.append(CONFIG_KEY_ERROR)
    if value in (".", ".."):
        errs.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def port_number(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else ["must be between 1 and 65535, inclusive"]


def port_name(value: str) -> list[str]:
    """`IsValidPortName` (IANA_SVC_NAME)."""
    errs = [max_len_error(15)] if len(value) > 15 else []
    if not _port_name_chars(value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _has_letter(value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def percent(value: str) -> list[str]:
    return [] if _percent(value) else [PERCENT_ERROR]
