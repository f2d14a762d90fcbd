"""Sprig v3 template functions (github.com/Masterminds/sprig), in Python, with Go's types.

`FUNCTIONS` holds them by name. Covered: strings, lists and dicts, arithmetic and
conversions, defaults and reflection, JSON, encodings and hashes, regular expressions (RE2, see
`regex`), paths, dates, UUIDs, `fail`. Left out, and so
"function X not defined" when used: the crypto helpers (`bcrypt`, `htpasswd`,
`genPrivateKey`, `derivePassword`, the certificate builders, `encryptAES`/`decryptAES`),
`semver`/`semverCompare`, `urlParse`/`urlJoin`, `duration`/`durationRound`/`ago`, and the
functions Argo CD removes (`env`, `expandenv`, `getHostByName`).
"""

from __future__ import annotations

from gitferry.appset.gotemplate.funcs import Function
from gitferry.appset.gotemplate.sprig import collections, dates, misc, numbers, regex, strings

FUNCTIONS: dict[str, Function] = {
    **strings.FUNCS,
    **numbers.FUNCS,
    **collections.FUNCS,
    **misc.FUNCS,
    **dates.FUNCS,
    **regex.FUNCS,
}
