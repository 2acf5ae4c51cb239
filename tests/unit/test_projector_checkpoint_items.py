"""A restart takes back the items its checkpoint saved, and only when they are the facts' items."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import orjson

from consumers.projector import items
from consumers.projector.store import CheckpointStore
from consumers.projector.view import TalksView, build
from newswire import events
from tests.unit.projector_support import seed_events

#: The seeds' view as this rendering gives it. When a change to :mod:`consumers.projector.items`
#: moves it, bump ``items.RENDER_VERSION`` (so that restarts build the new items rather than take
#: back the old ones) and put the new hash here.
RENDERED = (7, "3113160b5b83e10c")


def _restart(tmp: Path, view: TalksView, version: int = items.RENDER_VERSION) -> tuple[TalksView, int]:
    """Checkpoint ``view``, restore it in a new store as the projector does (with items rendered
    by ``version``); the items built."""
    store = CheckpointStore.in_dir(tmp)
    store.save(view.checkpoint_parts(), {("t", 0): 1}, 0.0)
    store.close()
    store = CheckpointStore.in_dir(tmp)
    with patch.object(items, "RENDER_VERSION", version):
        restored = TalksView.from_snapshot(store.load().snapshot or {}, refreshed=False)
        store.holds(restored.checkpoint_parts())
        restored.refresh()
    store.close()
    return restored, restored.built


def test_a_restart_takes_back_the_saved_items_instead_of_building_them(tmp_path: Path) -> None:
    view = build(seed_events())
    restored, built = _restart(tmp_path, view)
    assert built == 0
    assert restored.canonical_hash() == view.canonical_hash()


def test_items_of_facts_not_refreshed_yet_are_built(tmp_path: Path) -> None:
    """Checkpointed after an event but before the refresh, the saved items are those of the
    facts before it: the restart builds them (the last seed adds sources to saved items)."""
    evts = seed_events()
    last = max(i for i, e in enumerate(evts) if e.type == events.CLAIMS_EXTRACTED)
    view = build(evts[:last] + evts[last + 1 :])
    view.apply(evts[last])
    restored, built = _restart(tmp_path, view)
    assert built > 0
    assert restored.canonical_hash() == build(evts).canonical_hash()


def test_items_of_another_rendering_are_built(tmp_path: Path) -> None:
    view = build(seed_events())
    restored, built = _restart(tmp_path, view, items.RENDER_VERSION + 1)
    assert built > 0
    assert restored.canonical_hash() == view.canonical_hash()


def test_the_render_version_moves_with_the_rendering() -> None:
    """Fails when what an item holds changes: bump ``items.RENDER_VERSION`` (see ``RENDERED``)."""
    assert (items.RENDER_VERSION, build(seed_events()).canonical_hash()[:16]) == RENDERED


def test_facts_read_back_equal_and_share_their_strings() -> None:
    """A restored view holds one string per name and sentence, as the view it restored did
    (each fact read from JSON had its own copies: 7 % more memory)."""
    view = build(seed_events())
    restored = TalksView.from_snapshot(orjson.loads(orjson.dumps(view.to_snapshot())))
    assert restored.claims == view.claims
    facts = [f for _rank, fs in restored.claims.values() for f in fs]
    for field in ("bucket", "kind", "sentence", "asserted_by"):
        by_value: dict[str, int] = {}
        for f in facts:
            by_value.setdefault(getattr(f, field), id(getattr(f, field)))
            assert id(getattr(f, field)) == by_value[getattr(f, field)], field
    names = {}
    for f in facts:
        for p in f.participants:
            assert names.setdefault(p, id(p)) == id(p)
    for aid, (_rank, fs) in restored.claims.items():
        assert all(f.article_id is aid for f in fs)
