"""Canonical entities (consumers/nlp/canon.py) on small texts written for the rule they test.

Expect: one id per real-world entity whatever the surface form; spans that point at the text;
junk (dates, titles, headings, demonyms) not emitted; the alias file extensible without code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.nlp.canon import (
    ArticleEntities,
    fold_key,
    fold_name,
    load_gazetteer,
    resolve_entities,
)
from consumers.nlp.model import load_model


@pytest.fixture(scope="module")
def nlp() -> Any:
    return load_model()


def entities(nlp: Any, text: str, **kw: Any) -> ArticleEntities:
    return resolve_entities(nlp(text), **kw)


def ids(found: ArticleEntities) -> set[str]:
    return {e.id for e in found.entities}


def test_spelling_variants_titles_and_possessives_fold_to_one_id(nlp: Any) -> None:
    text = (
        "President Volodymyr Zelenskyy spoke on Sunday. Later, Zelensky met Andriy Yermak in Kyiv. "
        "Zelenskiy’s office said the talks went well."
    )
    found = entities(nlp, text)
    person = found.find("Zelenskyy")
    assert person is not None and person.id == "volodymyr-zelensky" and person.type == "PERSON"
    assert person.count == 3
    assert {m.text for m in person.mentions} <= {"Volodymyr Zelenskyy", "Zelensky", "Zelenskiy"}
    assert found.find("Andriy Yermak") is not None and found.find("Andriy Yermak").id == "andriy-yermak"  # type: ignore[union-attr]


def test_bare_surname_resolves_to_the_full_name_of_the_same_article(nlp: Any) -> None:
    text = (
        'Analysts at the bank cut their forecast. "This is a setback," said Adam Jonas, an analyst. '
        "Jonas added that rivals were moving faster. Jonas did not give a date."
    )
    found = entities(nlp, text)
    jonas = found.by_id("adam-jonas")
    assert jonas is not None and jonas.count == 3
    assert "jonas" not in ids(found)


def test_metonymy_stays_the_place(nlp: Any) -> None:
    found = entities(nlp, "Moscow said on Monday that the Kremlin would answer. Kyiv rejected the offer.")
    assert {"moscow", "kremlin", "kyiv"} <= ids(found)
    assert found.by_id("moscow").type == "GPE"  # type: ignore[union-attr]
    assert found.by_id("kremlin").type == "ORG"  # type: ignore[union-attr]


def test_titles_dates_and_demonyms_are_not_entities(nlp: Any) -> None:
    text = (
        "Secretary of State Marco Rubio met Ukrainian and Russian officials on Monday in Istanbul. "
        "Defense Minister Rustem Umerov said Ukrainian negotiators were ready."
    )
    found = entities(nlp, text)
    assert {"marco-rubio", "rustem-umerov", "istanbul"} <= ids(found)
    assert not ids(found) & {"state", "defense", "monday", "ukrainian", "russian", "secretary-of-state"}


def test_headings_and_page_debris_keep_only_known_names(nlp: Any) -> None:
    text = (
        "Diplomatic Engagements Amid Record Violence\n"
        "Marco Rubio spoke with Sergey Lavrov by phone on Sunday, the State Department said.\n"
        "Advertisement\n"
        "Leave a Reply\n"
        "Most Engaging Stories\n"
        "Reporting by Jane Holloway; Editing by Tom Berkeley\n"
        "Our Standards: The Example Newsroom Trust Principles.\n"
    )
    found = entities(nlp, text)
    assert {"marco-rubio", "sergey-lavrov"} <= ids(found)
    assert not any(w in i for i in ids(found) for w in ("engag", "reply", "advert", "holloway", "berkeley", "trust"))


def test_places_the_small_model_misses(nlp: Any) -> None:
    text = (
        "Russia launched drones against Kyiv, Dnipropetrovsk, and Donetsk regions. A bus was hit in "
        "Ukraine's Sumy region. Russia said it captured the village of Bahatyr in Donetsk."
    )
    found = entities(nlp, text)
    for place in ("kyiv", "dnipropetrovsk", "donetsk", "sumy", "bahatyr"):
        e = found.by_id(place)
        assert e is not None and e.type == "GPE", place


def test_particles_join_and_hyphen_compounds_split(nlp: Any) -> None:
    text = (
        "Vance met European Commission President Ursula von der Leyen in Rome. Vladimir Putin and "
        "Donald Trump will speak on Monday; the Trump-Putin call was confirmed."
    )
    found = entities(nlp, text)
    assert {"ursula-von-der-leyen", "vladimir-putin", "donald-trump", "european-commission"} <= ids(found)
    assert not any("-putin" in i and i != "vladimir-putin" for i in ids(found))


def test_alias_data_is_user_extensible_without_code(nlp: Any, tmp_path: Path) -> None:
    extra = tmp_path / "my-aliases.json"
    extra.write_text(
        json.dumps({"entities": [{"name": "Acme Widget Company", "type": "ORG", "aliases": ["AWC", "Acme"]}]}),
        encoding="utf-8",
    )
    text = "Shares of Acme rose on Tuesday. AWC said profits doubled."
    found = entities(nlp, text, gazetteer=load_gazetteer([extra]))
    acme = found.by_id("acme-widget-company")
    assert acme is not None and acme.type == "ORG" and acme.count == 2


def test_mentions_point_at_the_text_and_sit_in_their_sentence(nlp: Any) -> None:
    text = (
        "U.S. President Donald Trump said on Truth Social that he would call Vladimir Putin.\n\n"
        "Trump’s call with Putin is planned for Monday, the White House said."
    )
    found = entities(nlp, text)
    assert found.entities
    for e in found.entities:
        assert 0 < e.salience <= 1
        assert e.mentions == tuple(sorted(e.mentions, key=lambda m: m.start))
        for m in e.mentions:
            assert text[m.start : m.end] == m.text
            assert m.sentence_start <= m.start < m.end <= m.sentence_end
    assert abs(sum(e.salience for e in found.entities) - 1) < 0.01
    trump = found.by_id("donald-trump")
    assert trump is not None and "Trump" in {m.text for m in trump.mentions}
    assert found.at(text.index("Trump’s"), text.index("Trump’s") + 5) is trump


def test_same_doc_same_result(nlp: Any) -> None:
    text = "Keir Starmer spoke with Emmanuel Macron in Paris. Starmer said Britain would help."
    assert entities(nlp, text) == entities(nlp, text)


def test_empty_and_punctuation_docs(nlp: Any) -> None:
    assert entities(nlp, "").entities == ()
    assert entities(nlp, "... --- !!!").entities == ()


@given(st.text(max_size=40))
def test_fold_key_is_idempotent(text: str) -> None:
    assert fold_key(fold_key(text)) == fold_key(text)


@given(st.from_regex(r"[A-Z][a-z]{2,10}( [A-Z][a-z]{2,12})?", fullmatch=True))
def test_fold_name_is_idempotent_and_keeps_length_order(name: str) -> None:
    once = fold_name(name)
    assert fold_name(once) == once
    assert len(once) <= len(name)


def test_fold_name_variants() -> None:
    assert fold_name("Zelenskyy") == fold_name("Zelenskiy") == fold_name("Zelensky") == "Zelensky"
    assert fold_name("Sergei Lavrov") == "Sergey Lavrov"
    assert fold_name("Kowalski") == "Kowalski"  # Polish -ski is a different name, not a variant
    assert fold_name("Andriy") == "Andriy"


def test_mentions_the_model_missed_are_completed(nlp: Any) -> None:
    text = (
        "Tesla shares fell 7% on Wednesday after Chief Executive Elon Musk said the company would delay "
        "its robotaxi launch. Musk told analysts that regulators had asked for more data. Analysts said "
        "Tesla's rivals were moving faster."
    )
    found = entities(nlp, text)
    tesla, musk = found.by_id("tesla"), found.by_id("elon-musk")
    assert tesla is not None and tesla.count == 2 and tesla.mentions[0].start == 0
    assert musk is not None and [m.text for m in musk.mentions] == ["Elon Musk", "Musk"]
    assert "chief-executive-elon-musk" not in ids(found)


_WORDS = st.sampled_from(
    [
        "Trump",
        "Putin",
        "Zelenskyy",
        "Kyiv",
        "the",
        "President",
        "said",
        "in",
        "and",
        ",",
        ".",
        "’s",
        "\n",
        "Monday",
        "NATO",
        "<b>",
        "</b>",
        "Secretary",
        "of",
        "State",
        "von",
        "der",
        "Leyen",
        "-",
        "region",
        "village",
        "ÜBER",
        "北京",
        "“",
        "”",
        "U.S.",
        "X",
        "ADVERTISEMENT",
        "Rome",
        "Pope",
        "Leo",
        "XIV",
    ]
)


@given(st.lists(_WORDS, max_size=60).map(" ".join) | st.text(max_size=200))
@settings(max_examples=80, deadline=None)
def test_any_text_gives_consistent_spans(text: str) -> None:
    found = resolve_entities(load_model()(text))
    seen: set[tuple[int, int]] = set()
    for e in found.entities:
        assert e.id and e.type in {"PERSON", "ORG", "GPE", "LOC", "FAC"}
        for m in e.mentions:
            assert text[m.start : m.end] == m.text
            assert m.sentence_start <= m.start < m.end <= m.sentence_end
            assert (m.start, m.end) not in seen  # a span belongs to one entity
            seen.add((m.start, m.end))


def test_initials_with_and_without_dots_are_one_id(nlp: Any) -> None:
    found = entities(nlp, "J.D. Vance met reporters in Ohio on Friday. Later JD Vance flew to Washington.")
    vance = found.by_id("jd-vance")
    assert vance is not None and vance.count == 2


def test_an_acronym_joins_the_organization_it_abbreviates(nlp: Any) -> None:
    text = (
        "Speaking in Geneva, WMO Secretary-General Celeste Saulo said governments must act. "
        "Saulo said the World Meteorological Organization would publish a report in June."
    )
    found = entities(nlp, text)
    wmo = found.by_id("world-meteorological-organization")
    assert wmo is not None and {m.text for m in wmo.mentions} == {"WMO", "World Meteorological Organization"}
    assert "wmo" not in ids(found)


def test_a_broken_alias_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_gazetteer([bad])
    bad.write_text(json.dumps({"entities": [{"type": "ORG"}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="name"):
        load_gazetteer([bad])
