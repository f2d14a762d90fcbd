"""The built-in types and object builders that test_strategic_merge.py,
test_strategic_errors.py and test_strategic_properties.py share: the Pod and Deployment type
nodes the patches apply to, and short builders for a container, a `spec` and a `metadata`.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver import schema

POD = schema.builtin().by_gvk[("", "v1", "Pod")]
DEPLOYMENT = schema.builtin().by_gvk[("apps", "v1", "Deployment")]


def ctr(name: str, image: str = "x", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **fields}


def spec(**fields: Any) -> dict[str, Any]:
    return {"spec": fields}


def meta(**fields: Any) -> dict[str, Any]:
    return {"metadata": fields}
