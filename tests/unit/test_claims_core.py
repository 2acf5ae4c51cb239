"""The claims core around the rules: time normalization, bounded cost, event data and its schema,
deterministic claim ids, and the scoring rules of ``eval claims``.

Expect: weekday references resolve forward for planned events and backward otherwise; a body too
long is cut and marked truncated; every event the core builds is valid against the shipped
schema; arbitrary text never breaks extraction and spans always lie inside the text.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from consumers.claims import extract
from consumers.claims.evaluate import score_article
from consumers.claims.events import _status_in_time
from consumers.claims.lexicon import default_lexicon
from consumers.claims.records import TimeExpr
from consumers.claims.timeexpr import normalize
from consumers.nlp.model import load_model
from newswire import events
from newswire.records import ArticleIngested, Extraction, Origin
from newswire.schema_registry import validate_event

SUNDAY = date(2025, 5, 18)


def test_a_week_is_past_or_ahead_as_a_paper_of_that_day_sees_it() -> None:
    """A Sunday's "last week" (the ISO week ending that day) is past: a planned event in it was
    held; the coming week is ahead; from a Saturday, its own ISO week is neither."""
    last = TimeExpr("last week", normalize("last week", SUNDAY, default_lexicon()))
    assert _status_in_time("planned", last, SUNDAY) == "held"
    assert _status_in_time("held", TimeExpr("next week", "2025-W22"), SUNDAY) == "planned"
    assert _status_in_time("planned", TimeExpr("this week", "2025-W21"), SUNDAY) == "planned"
    assert _status_in_time("planned", TimeExpr("this week", "2025-W20"), SUNDAY - timedelta(days=1)) == "planned"


def test_weekdays_resolve_against_the_publication_date() -> None:
    lex = default_lexicon()
    assert normalize("on Monday", SUNDAY, lex, future=True) == "2025-05-19"
    assert normalize("Friday's", SUNDAY, lex) == "2025-05-16"
    assert normalize("on Sunday", SUNDAY, lex) == "2025-05-18"
    assert normalize("overnight", SUNDAY, lex) == "2025-05-18"
    assert normalize("tomorrow", SUNDAY, lex) == "2025-05-19"
    # a Sunday ends its ISO week: "last week" is the week ending that day, "this week" ahead the next
    assert normalize("last week", SUNDAY, lex) == "2025-W20"
    assert normalize("last week", SUNDAY + timedelta(days=1), lex) == "2025-W20"
    assert normalize("last week", SUNDAY - timedelta(days=1), lex) == "2025-W19"
    assert normalize("earlier this week", SUNDAY, lex) == "2025-W20"
    assert normalize("this week", SUNDAY, lex, future=True) == "2025-W21"
    assert normalize("next week", SUNDAY, lex, future=True) == "2025-W21"
    assert normalize("next week", SUNDAY - timedelta(days=1), lex, future=True) == "2025-W21"
    assert normalize("in February", SUNDAY, lex) == "2025-02"
    assert normalize("last month", SUNDAY, lex) == "2025-04"
    assert normalize("March 3", SUNDAY, lex, future=True) == "2026-03-03"
    assert normalize("earlier", SUNDAY, lex) is None
    assert normalize("on Monday", None, lex) is None


def _article(body: str, article_id: str = "art-1") -> ArticleIngested:
    return ArticleIngested(
        article_id=article_id,
        revision="r1",
        url=None,
        title="t",
        outlet="test-outlet",
        published="2024-03-06T09:00:00Z",
        body=body,
        origin=Origin("seed"),
        extraction=Extraction("text"),
        language="en",
    )


def _valid_event(article: ArticleIngested, result: extract.ArticleClaims) -> dict[str, object]:
    parent = article.envelope("urn:test", datetime(2024, 3, 6, tzinfo=UTC))
    derived = events.derive(
        parent,
        event_type=events.CLAIMS_EXTRACTED,
        event_id="evt-x",
        source="urn:test/claims",
        extractor=extract.EXTRACTOR,
        data=extract.event_data(article, result),
    )
    return validate_event(events.encode(derived))


def test_event_data_is_schema_valid_with_deterministic_claim_ids() -> None:
    body = (
        "“We are ready to talk at any time,” said Emmanuel Macron. Russia launched 40 drones overnight. "
        "Joe Biden will speak with Xi Jinping on Friday."
    )
    article = _article(body)
    (first,) = extract.extract_articles(load_model(), [article])
    (second,) = extract.extract_articles(load_model(), [article])
    data = _valid_event(article, first)["data"]
    assert isinstance(data, dict)
    assert {c["kind"] for c in data["claims"]} == {"quote", "count", "event"}
    assert data == _valid_event(article, second)["data"]


def test_outcomes_bound_the_cost() -> None:
    nlp = load_model()
    long_body = "Russia said that it had launched 40 drones at the city and that they were all on target.\n" * 100
    empty, long, foreign = extract.extract_articles(
        nlp,
        [
            _article("   "),
            _article(long_body),
            replace(_article("Hallo Welt"), language="de"),
        ],
        max_chars=2_000,
    )
    assert (empty.outcome, empty.claims) == ("empty", ())
    assert long.outcome == "truncated" and long.reason is not None
    assert max(c.evidence.end for c in long.claims) <= 2_000
    assert (foreign.outcome, foreign.claims) == ("skipped", ())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from([*"ab “”\"'.,;:-—0123456789\n", "said", " Putin ", "killed", "drones", " met ", " 1,000 "]),
        max_size=120,
    ).map("".join)
)
@example("said met .")  # (a verb with no children under an xcomp had read an unbound loop variable)
def test_arbitrary_text_never_breaks_extraction(text: str) -> None:
    doc = extract.parse(load_model(), [text])[0]
    for claim in extract.extract_claims(doc, outlet="o", published=SUNDAY):
        ev = claim.evidence
        assert 0 <= ev.sentence_start <= ev.start <= ev.end <= ev.sentence_end <= len(text)
        assert text[ev.sentence_start : ev.sentence_end] == ev.sentence


def test_scoring_follows_the_gold_rules() -> None:
    gold = {
        "quotes": [{"speaker": "a", "contains": "the border stays open"}, {"speaker": "b", "contains": "never"}],
        "counts": [{"category": "killed", "value": 2}],
        "events": [{"kind": "call", "participants": ["a", "b"], "status": "planned"}],
    }
    claims = [
        {"kind": "quote", "quote": {"speaker": {"entity": "a"}, "text": "Yes, the border stays open, he said"}},
        {"kind": "quote", "quote": {"speaker": {"entity": "c"}, "text": "never again"}},
        {"kind": "count", "count": {"category": "killed", "value": 2}},
        {"kind": "count", "count": {"category": "injured", "value": 2}},
        {"kind": "event", "event": {"kind": "call", "participants": ["a", "b", "c"], "status": "held"}},
        {"kind": "event", "event": {"kind": "call", "participants": ["a"], "status": "planned"}},
        {
            "kind": "event",
            "event": {"kind": "agreement", "participants": ["a", "b"], "negated": True, "status": "agreed"},
        },
    ]
    s = score_article(claims, gold)
    assert (s.quotes.found, s.quotes.gold, s.speaker_seen, s.speaker_right) == (1, 2, 2, 1)
    assert (s.counts.precision, s.counts.recall) == (0.5, 1.0)
    # superset matches, a subset does not; negated events are not predictions
    assert (s.events.predicted, s.events.correct, s.events.found) == (2, 1, 1)
    assert s.status_right == 0


def test_the_core_imports_no_kafka_http_or_clock() -> None:
    code = (
        "import sys, consumers.claims.extract, consumers.claims.evaluate; "
        "bad = [m for m in ('kafka', 'urllib3', 'httpx', 'prometheus_client') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
