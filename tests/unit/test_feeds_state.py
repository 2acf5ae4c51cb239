"""The SQLite state: validators, seen entries and revisions survive a restart; growth is bounded."""

from __future__ import annotations

from pathlib import Path

from ingestor.feeds.state import PublishedArticle, SeenEntry, State


def _poll(state: State, name: str, n: int, now: float, outcome: str = "ok") -> None:
    st = state.feed(name, f"https://example.com/{name}")
    state.record_poll(
        st,
        outcome=outcome,
        now=now,
        next_poll=now + 60,
        etag='"v1"',
        last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
        keep_validators=outcome == "ok",
        error=None if outcome == "ok" else "boom",
        title="T",
        entries=[SeenEntry(f"{name}-{i}", f"fp{i}", f"art-{i}") for i in range(n)],
        articles=[PublishedArticle(f"art-{name}-{i}", None, "rev", b"\x00" * 8) for i in range(n)],
        new_entries=n,
    )


def test_state_survives_restart(tmp_path: Path) -> None:
    s = State(tmp_path / "s.sqlite3")
    _poll(s, "a", 3, 100.0)
    s.close()
    s = State(tmp_path / "s.sqlite3")
    st = s.feed("a", "https://example.com/a")
    assert (st.etag, st.last_modified, st.failures, st.polls) == ('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT", 0, 1)
    assert set(s.seen_entries("a", ["a-0", "a-1", "zzz"])) == {"a-0", "a-1"}
    assert s.article_revision("art-a-0") == "rev"
    assert len(list(s.signatures(10))) == 3
    # a failed poll keeps the validators and counts the failure
    _poll(s, "a", 0, 200.0, outcome="error")
    st = s.feed("a", "https://example.com/a")
    assert st.failures == 1 and st.etag == '"v1"' and st.last_success == 100.0
    # a feed whose URL changed in the config starts over without the old validators
    assert s.feed("a", "https://example.com/moved").etag is None
    s.close()


def test_prune_bounds_growth(tmp_path: Path) -> None:
    s = State(tmp_path / "s.sqlite3")
    for i in range(5):
        _poll(s, f"f{i}", 50, float(i))
    removed = s.prune(max_entries_per_feed=10, max_articles=100)
    assert removed == 5 * 40 + 150 and len(list(s.signatures(1000))) == 100
    s.close()


def test_chunks_and_final_result_add_up(tmp_path: Path) -> None:
    s = State(tmp_path / "s.sqlite3")
    st = s.feed("c", "https://example.com/c")
    s.record_progress(
        st,
        now=1.0,
        entries=[SeenEntry("c-0", "fp", "art-c-0")],
        articles=[PublishedArticle("art-c-0", None, "r0", None)],
        new_entries=1,
    )
    assert s.feed("c", "https://example.com/c").etag is None  # no validators before the poll ends
    _poll(s, "c", 2, 2.0)
    st = s.feed("c", "https://example.com/c")
    assert (st.entries_total, st.published_total, st.polls, st.etag) == (3, 3, 1, '"v1"')
    assert set(s.seen_entries("c", ["c-0", "c-1"])) == {"c-0", "c-1"}
    s.close()
