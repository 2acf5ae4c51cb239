"""Near-duplicate detection for syndicated copies."""

from __future__ import annotations

from ingestor.feeds.dedupe import NearDuplicates

STORY = (
    "Delegations from both countries met in Istanbul on Friday for the first direct talks in three years. "
    "The meeting lasted less than two hours and ended with an agreement to exchange a thousand prisoners "
    "each, the foreign minister said, adding that a ceasefire was not discussed in detail."
)


def test_syndicated_copy_is_found_and_other_stories_are_not() -> None:
    near = NearDuplicates()
    sig = near.signature(STORY)
    assert sig is not None
    near.add("art-original", sig)
    copy = near.signature("(Reuters) " + STORY + " Reporting by a wire desk.")
    other = near.signature("A storm hit the coast overnight, cutting power to thousands of homes " * 3)
    assert copy is not None and other is not None
    assert near.find(copy) == "art-original"
    assert near.find(copy, exclude="art-original") is None
    assert near.find(other) is None


def test_signatures_survive_a_restart_and_capacity_is_bounded() -> None:
    a = NearDuplicates(capacity=3)
    sigs = {f"art-{i}": a.signature(f"story number {i} " + STORY[i * 10 :]) for i in range(5)}
    for k, s in sigs.items():
        assert s is not None
        a.add(k, s)
    assert len(a) == 3
    b = NearDuplicates(capacity=3)
    for k in ("art-2", "art-3", "art-4"):
        b.add(k, sigs[k] or b"")
    probe = sigs["art-4"]
    assert probe is not None and b.find(probe) == a.find(probe) == "art-4"
    assert a.signature("") is None
