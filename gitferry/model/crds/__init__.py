"""gitferry's CustomResourceDefinitions of Argo CD's kinds, shipped as package data.

`gitferry install` applies them to a management cluster; the embedded cluster's tests apply
them with kubectl. Each file holds one CRD.
"""

from __future__ import annotations

import importlib.resources

NAMES = ("application.yaml", "applicationset.yaml", "appproject.yaml")


def manifests() -> dict[str, str]:
    """The YAML text of each CRD, by file name."""
    folder = importlib.resources.files(__name__)
    return {name: folder.joinpath(name).read_text(encoding="utf-8") for name in NAMES}
