"""Validation of objects before the embedded API server stores them, as kube-apiserver 1.32 does.

Called by the API server's write pipeline on create and on every update (after merging or
patching and after `defaults.apply_defaults`): `validate(resource, obj, old)` raises the 422
`errors.invalid` with every problem found, in kube's words, or returns when the object may be
stored. `old` is the stored object on updates and `None` on creates.

Rules, in the order kube checks them: metadata first (`validation.meta`: names, labels,
annotations, owners, finalizers; immutability on update), then the kind's own rules
(`validation.kinds`, `validation.pods`). Custom resources get the metadata rules only; their
schema is checked elsewhere.

Unknown fields (strict field validation) are found while the body is decoded (`decode`).
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.validation import fields as f
from gitferry.apiserver.validation import kinds as validation_kinds
from gitferry.apiserver.validation import meta as validation_meta

Cause = f.Cause
Obj = dict[str, Any]


def validate(resource: ResourceType, obj: Obj, old: Obj | None) -> None:
    """Raise `errors.invalid` listing every problem of `obj` (an update of `old` if given)."""
    causes = problems(resource, obj, old)
    if causes:
        name = f.mapping(obj.get("metadata")).get("name")
        raise errors.invalid(
            resource.group, resource.kind, name if isinstance(name, str) else "", causes
        )


def problems(resource: ResourceType, obj: Obj, old: Obj | None) -> list[Cause]:
    """Every problem of `obj` as (cause reason, field, message), in kube's order."""
    if old is None:
        causes = validation_meta.object_meta(resource, obj)
    else:
        causes = validation_meta.object_meta_update(resource, obj, old)
    if resource.builtin:
        check = validation_kinds.CHECKS.get((resource.group, resource.kind))
        if check is not None:
            causes.extend(check(obj, old))
    return causes
