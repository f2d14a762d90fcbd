"""Strategic merge patch, as kube-apiserver 1.32 applies it: properties — without a schema or
directives it is a JSON merge patch, and merging containers is a union and idempotent.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gitferry.apiserver import schema
from gitferry.apiserver.patch import merge, strategic
from tests.apiserver.patch.strategic_objects import POD, ctr, spec

_keys = st.text("abcxyz", min_size=1, max_size=3)
_scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.text("ab", max_size=2)
_documents = st.recursive(
    _scalars.filter(lambda value: value is not None),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)
# Nulls only as members outside lists: the two algorithms treat nulls inside lists differently
# (SMP leaves them for decoding to drop, evanphx v4 prunes them).
_patches = st.recursive(
    _scalars | st.lists(_documents, max_size=3),
    lambda inner: st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(_keys, _documents, max_size=4), st.dictionaries(_keys, _patches, max_size=4))
def test_without_schema_or_directives_strategic_merge_is_a_merge_patch(
    original: dict[str, Any], patch: dict[str, Any]
) -> None:
    assert strategic.apply(original, patch, schema.UNTYPED) == merge.apply(original, patch)


_names = st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=6)


@given(_names, _names)
def test_merging_containers_is_a_union_and_idempotent(
    existing: list[str], added: list[str]
) -> None:
    original = spec(containers=[ctr(name, "old") for name in existing])
    patch = spec(containers=[ctr(name, "new") for name in added])
    once = strategic.apply(original, patch, POD)
    names = [container["name"] for container in once["spec"]["containers"]]
    assert sorted(names) == sorted(set(existing) | set(added))
    assert strategic.apply(once, patch, POD) == once
