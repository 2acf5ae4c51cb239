"""The entities enricher's core and batch handler, without a broker.

Expect: every odd input (empty, 1 MB, non-English, markup) gets a bounded cost and a recorded
outcome; events are schema-valid, deterministic, and their spans point into the body.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.entities import core
from consumers.entities.service import EntitiesMetrics, make_handler
from consumers.nlp.model import load_model
from newswire import events, ids
from newswire.metrics import new_registry
from newswire.records import ArticleIngested, Extraction, Origin
from newswire.schema_registry import validate_event
from newswire.topics import ENTITIES

BODY = (
    "U.S. President Donald Trump said he would speak with Russian President Vladimir Putin on Monday.\n\n"
    "Ukrainian President Volodymyr Zelenskyy met Vice President JD Vance in Rome. Zelensky said the "
    "talks in Istanbul had produced a prisoner exchange."
)


@pytest.fixture(scope="module")
def nlp() -> Any:
    return load_model()


def article(body: str, language: str | None = None) -> ArticleIngested:
    return ArticleIngested(
        article_id=ids.article_id_for_text(body or "empty"),
        revision=ids.content_hash(body or "empty"),
        url=None,
        title="A title",
        outlet="test",
        published="2025-05-18T12:00:00Z",
        body=body,
        origin=Origin(kind="seed", path="x.txt"),
        extraction=Extraction(outcome="text"),
        language=language,
    )


def envelope(a: ArticleIngested) -> events.Envelope:
    return a.envelope("urn:newswire/test", datetime(2025, 5, 18, tzinfo=UTC))


# ---------------------------------------------------------------------------------------------
# prepare: outcomes and bounded cost


def test_empty_body_is_not_analysed() -> None:
    p = core.prepare("   \n\t ")
    assert (p.outcome, p.analyse) == ("empty", False)


def test_declared_foreign_language_is_skipped() -> None:
    p = core.prepare(BODY, language="uk")
    assert p.outcome == "skipped" and "uk" in (p.reason or "")


def test_undeclared_non_english_text_is_skipped() -> None:
    german = "Der Präsident sagte am Montag, dass die Gespräche in der Türkei fortgesetzt werden. " * 20
    cyrillic = "Президент заявив, що переговори триватимуть у понеділок у Стамбулі. " * 20
    assert core.prepare(german).outcome == "skipped"
    assert core.prepare(cyrillic).outcome == "skipped"
    assert core.prepare(BODY * 5).outcome == "ok"


def test_long_body_is_cut_at_a_break_and_recorded() -> None:
    body = (BODY + "\n\n") * 10_000  # about 2 MB
    p = core.prepare(body, max_chars=50_000)
    assert p.outcome == "truncated" and p.analyse
    assert 25_000 < len(p.text) <= 50_000
    assert body.startswith(p.text)
    assert str(len(body)) in (p.reason or "")


def test_markup_only_and_other_scripts() -> None:
    assert core.prepare("<div>" * 1000).outcome == "empty"
    assert core.prepare("".join(chr(0x4E00 + i % 500) for i in range(3000))).outcome == "skipped"
    assert core.prepare("Путін і Зеленський " * 30).outcome == "skipped"


def test_markup_is_blanked_in_place() -> None:
    body = "<p>President <b>Emmanuel Macron</b> visited <a href='x'>Berlin</a> on Tuesday.</p>" * 3
    p = core.prepare(body)
    assert len(p.text) == len(body) and "<" not in p.text and p.markup_chars > 0
    assert p.text.index("Emmanuel Macron") == body.index("Emmanuel Macron")


def test_a_wire_dateline_is_blanked_in_place() -> None:
    """ "LISBON, June 3 (Reuters) -" opening an article is no part of its first sentence (the
    agency read as the subject of "said"); a hyphen with no agency before it is kept."""
    for opening in (
        "LISBON, June 3 (Reuters) - ",
        "PORT LOUIS (AP) — ",
        "WASHINGTON — ",
        "Title\n\nOSLO, May 2 (AFP) -- ",
    ):
        body = opening + "President Emmanuel Macron said on Tuesday that talks would resume. " + BODY
        p = core.prepare(body)
        assert len(p.text) == len(body) and p.text.index("President") == body.index("President"), opening
        assert not any(w in p.text for w in ("Reuters", "AP)", "WASHINGTON", "OSLO")), opening
    body = "NATO - Russia relations soured, the minister said. " + BODY
    assert core.prepare(body).text == body


@given(st.text(max_size=3000), st.integers(min_value=100, max_value=2000))
@settings(max_examples=200, deadline=None)
def test_prepare_never_moves_offsets_and_respects_the_budget(body: str, budget: int) -> None:
    p = core.prepare(body, max_chars=budget)
    assert p.outcome in core.OUTCOMES
    assert len(p.text) <= max(budget, 0) or not p.analyse
    if p.analyse:
        assert len(p.text) <= len(body)
        assert all(a == b or b == " " for a, b in zip(body, p.text, strict=False))


# ---------------------------------------------------------------------------------------------
# extraction over odd inputs


def test_odd_inputs_each_get_an_outcome(nlp: Any) -> None:
    huge = ("Chancellor Friedrich Merz met Keir Starmer in London. " * 20_000)[:1_000_000]
    inputs = [
        (BODY, None),
        ("", None),
        ("Der Präsident sagte am Montag, dass die Gespräche fortgesetzt werden. " * 20, None),
        ("<div><script>var x = {a: 1};</script><p>Emmanuel Macron visited Berlin.</p></div>", None),
        (huge, None),
        ("!!! ??? ... 12345 ###", None),
    ]
    results = core.extract_batch(nlp, inputs, max_chars=20_000)
    assert [r.prepared.outcome for r in results] == ["ok", "empty", "skipped", "ok", "truncated", "ok"]
    for (body, _lang), r in zip(inputs, results, strict=True):
        for e in r.entities.entities:
            for m in e.mentions:
                assert body[m.start : m.end] == m.text
    assert any(e.id == "emmanuel-macron" for e in results[3].entities.entities)
    assert any(e.id == "keir-starmer" for e in results[4].entities.entities)


# ---------------------------------------------------------------------------------------------
# the batch handler


def test_handler_emits_one_valid_event_per_article_with_derived_ids(nlp: Any) -> None:
    registry = new_registry("entities-test")
    metrics = EntitiesMetrics.create(registry)
    handle = make_handler(nlp, None, "urn:newswire", metrics=metrics)
    inputs = [envelope(article(BODY)), envelope(article("   ")), envelope(article(BODY + " Kyiv.", "en"))]
    outs = handle(inputs)
    assert [len(o) for o in outs] == [1, 1, 1]
    for env, (out,) in zip(inputs, outs, strict=True):
        assert out.role == ENTITIES
        ev = out.envelope
        assert ev.id == ids.derived_event_id(events.ENTITIES_EXTRACTED, env.id, core.EXTRACTOR)
        assert (ev.causationid, ev.extractor, ev.subject, ev.time) == (env.id, core.EXTRACTOR, env.subject, env.time)
        decoded = validate_event(events.encode(ev))
        body = env.data["body"]
        for e in decoded["data"]["entities"]:
            assert e["count"] == len(e["mentions"])
            for m in e["mentions"]:
                assert body[m["start"] : m["end"]] == m["text"]
    first = outs[0][0].envelope.data
    assert first["outcome"]["status"] == "ok"
    by_id = {e["id"]: e for e in first["entities"]}
    assert {"donald-trump", "vladimir-putin", "volodymyr-zelensky", "jd-vance", "rome", "istanbul"} <= set(by_id)
    assert by_id["volodymyr-zelensky"]["count"] == 2
    assert outs[1][0].envelope.data["outcome"]["status"] == "empty"
    assert registry.get_sample_value("newswire_entities_articles_total", {"outcome": "ok"}) == 2
    assert registry.get_sample_value("newswire_entities_articles_total", {"outcome": "empty"}) == 1
    # deterministic: the same input gives byte-identical events
    again = handle(inputs)
    assert [events.encode(o[0].envelope) for o in again] == [events.encode(o[0].envelope) for o in outs]


def test_handler_counts_and_raises_on_an_invalid_article(nlp: Any) -> None:
    registry = new_registry("entities-test")
    handle = make_handler(nlp, None, "urn:newswire", metrics=EntitiesMetrics.create(registry))
    good = envelope(article(BODY))
    bad = events.Envelope(
        id="evt-bad", type=events.ARTICLE_INGESTED, source="x", subject="art-x", time=good.time, data={"title": "?"}
    )
    with pytest.raises(KeyError):
        handle([good, bad])
    assert registry.get_sample_value("newswire_entities_errors_total", {"reason": "invalid_article"}) == 1
