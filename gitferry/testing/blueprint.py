"""The sample manifests of the platform blueprint (`../shared/reference/platform-blueprint.md`),
read at test time from the shared reference so they are never copied into the project.

`manifest(marker)` returns the YAML block whose first comment line names `marker` (for
example `argocd/rbac/rbac-config.yaml`); tests skip cleanly when the reference is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BLUEPRINT = Path(__file__).resolve().parents[3] / "shared" / "reference" / "platform-blueprint.md"


def manifest(marker: str) -> str:
    """The YAML text of the blueprint block headed `# <marker>` (skips if not available)."""
    if not BLUEPRINT.is_file():
        pytest.skip("the shared reference (../shared/reference) is not present")
    blocks = re.findall(r"```yaml\n(.*?)```", BLUEPRINT.read_text(), flags=re.S)
    found = [block for block in blocks if block.startswith(f"# {marker}\n")]
    if len(found) != 1:
        raise LookupError(f"{BLUEPRINT}: expected one block headed '# {marker}'")
    return str(found[0])
