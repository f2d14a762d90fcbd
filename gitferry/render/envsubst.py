"""The build environment of a source and `$VAR` substitution (reference 1.13).

`build_env` gives the `ARGOCD_APP_*` variables; `expand` substitutes them exactly as Go's
`os.Expand` does with Argo CD's mapping (`$$` is a literal `$`, unknown names become empty).
Used by the Helm options (value file paths, parameters), the Kustomize options (images,
labels, annotations) and as the environment of the kustomize process.
"""

from __future__ import annotations

from collections.abc import Mapping

from gitferry.model.application import Application
from gitferry.model.source import ApplicationSource

_SPECIAL = set("*#$@!?-0123456789")


def build_env(
    app: Application, source: ApplicationSource, revision: str, control_namespace: str
) -> dict[str, str]:
    """The `ARGOCD_APP_*` variables of one source at one revision."""
    return {
        "ARGOCD_APP_NAME": app.instance_name(control_namespace),
        "ARGOCD_APP_NAMESPACE": app.destination.namespace,
        "ARGOCD_APP_PROJECT_NAME": app.project,
        "ARGOCD_APP_REVISION": revision,
        "ARGOCD_APP_REVISION_SHORT": revision[:7],
        "ARGOCD_APP_REVISION_SHORT_8": revision[:8],
        "ARGOCD_APP_SOURCE_REPO_URL": source.repo_url,
        "ARGOCD_APP_SOURCE_PATH": source.path,
        "ARGOCD_APP_SOURCE_TARGET_REVISION": source.target_revision,
    }


def _is_name_char(char: str) -> bool:
    return char == "_" or (char.isascii() and char.isalnum())


def _shell_name(text: str) -> tuple[str, int]:
    """Go's `getShellName`: the variable name at the start of `text` and the width consumed.
    An empty name with a positive width is bad syntax (its characters are dropped)."""
    if text[0] == "{":
        if len(text) > 2 and text[1] in _SPECIAL and text[2] == "}":
            return text[1], 3
        end = text.find("}", 1)
        if end == 1:
            return "", 2
        if end < 0:
            return "", 1
        return text[1:end], end + 1
    if text[0] in _SPECIAL:
        return text[0], 1
    width = 0
    while width < len(text) and _is_name_char(text[width]):
        width += 1
    return text[:width], width


def expand(text: str, env: Mapping[str, str]) -> str:
    """Substitute `$VAR` and `${VAR}`; `$$` gives `$`; unknown variables give ""."""
    if "$" not in text:
        return text
    out: list[str] = []
    start = 0
    i = 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            out.append(text[start:i])
            name, width = _shell_name(text[i + 1 :])
            if not name and width > 0:
                pass
            elif not name:
                out.append("$")
            else:
                out.append("$" if name == "$" else env.get(name, ""))
            i += 1 + width
            start = i
        else:
            i += 1
    out.append(text[start:])
    return "".join(out)
