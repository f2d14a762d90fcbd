"""Server-side apply, as kube-apiserver 1.32 does it: properties over random labels and data —
re-applying the same config changes nothing, and a sole applier ends with exactly its labels.

The stories are played by ssa_story.py's player.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.apiserver.fields.ssa_story import Apply, Story, T, at, cm

label_keys = st.text(alphabet="abcdefghij-./", min_size=1, max_size=6)
label_maps = st.dictionaries(label_keys, st.text(max_size=5), max_size=5)


@settings(max_examples=60, deadline=None)
@given(first=label_maps, second=label_maps, data=label_maps)
def test_applying_the_same_config_twice_changes_nothing(
    first: dict[str, str], second: dict[str, str], data: dict[str, str]
) -> None:
    story = Story("ConfigMap")
    story.run([Apply("alice", {**cm(first), "data": data}), Apply("bob", cm(second), force=True)])
    story.step(Apply("bob", cm(second)), T(9))
    assert story.returned_live
    story.step(Apply("alice", {**cm(first), "data": data}, force=True), T(10))
    again = story.live
    story.step(Apply("alice", {**cm(first), "data": data}), T(11))
    assert story.live is again


@settings(max_examples=60, deadline=None)
@given(old=label_maps.filter(bool), new=label_maps.filter(bool))
def test_a_sole_applier_ends_with_exactly_its_labels(
    old: dict[str, str], new: dict[str, str]
) -> None:
    # (An apply that owns nothing leaves the object untracked, so both configs own labels.)
    story = Story("ConfigMap")
    story.run([Apply("alice", cm(old)), Apply("alice", cm(new))])
    assert at(story.live, ("metadata", "labels")) == new
