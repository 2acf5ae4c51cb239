"""Quote rules on sentences written for these tests (not taken from the seeds).

Expect: the speaker and cue of a quotation whether the attribution comes after ("X said"),
inverted ("said X"), with an addressee ("X told reporters"), through a role ("a spokesperson for
X"), through a pronoun ("she said"), or not at all in a continuing paragraph; curly and straight
marks; scare quotes are not quotes; reported speech is an indirect quote.
"""

from __future__ import annotations

from consumers.claims.quotes import quotation_spans
from tests.unit.test_claims_support import of_kind


def _direct(text: str) -> list[tuple[str | None, str, str]]:
    return [(c.quote.speaker_entity, c.quote.cue, c.quote.text) for c in of_kind(text, "quote") if c.quote.direct]


def test_attribution_after_the_quote() -> None:
    found = _direct("“The border will stay open for trade,” Angela Merkel said.")
    assert found == [("angela-merkel", "said", "The border will stay open for trade,")]


def test_inverted_attribution() -> None:
    found = _direct("“We are ready to talk at any time,” said Emmanuel Macron.")
    assert [(s, c) for s, c, _t in found] == [("emmanuel-macron", "said")]


def test_told_an_addressee() -> None:
    found = _direct("“Nobody wants another winter like this one,” Olaf Scholz told reporters in Berlin.")
    assert [(s, c) for s, c, _t in found] == [("olaf-scholz", "told")]


def test_spokesperson_for_someone_speaks_for_them() -> None:
    found = _direct("“The offer remains on the table for now,” a spokesperson for Emmanuel Macron said.")
    assert [s for s, _c, _t in found] == ["emmanuel-macron"]


def test_pronoun_speaker_is_the_recent_person() -> None:
    text = (
        "Angela Merkel arrived in Paris on Monday with a small team. "
        "“This is a day for careful work and patience,” she said."
    )
    assert [s for s, _c, _t in _direct(text)] == ["angela-merkel"]


def test_a_quotation_continued_in_the_next_paragraph_keeps_its_speaker() -> None:
    text = (
        "“We will rebuild every school that was hit,” Olaf Scholz said.\n"
        "“And we will do it before the winter comes back again.”"
    )
    found = _direct(text)
    assert [s for s, _c, _t in found] == ["olaf-scholz", "olaf-scholz"]
    assert "before the winter" in found[1][2]


def test_a_quotation_spanning_sentences_is_one_quote() -> None:
    text = "“The talks were long. They were also useful for both sides,” Angela Merkel said."
    found = _direct(text)
    assert len(found) == 1 and found[0][2].startswith("The talks were long. They were")


def test_straight_quotes_work_like_curly_ones() -> None:
    found = _direct('"The talks were useful and very long," Emmanuel Macron said.')
    assert [(s, c) for s, c, _t in found] == [("emmanuel-macron", "said")]


def test_scare_quotes_are_not_quotes() -> None:
    assert _direct("Critics called the plan “reckless” and the budget “a fantasy”.") == []


def test_reported_speech_is_an_indirect_quote() -> None:
    quotes = of_kind("Emmanuel Macron said that France would send more air defence systems.", "quote")
    assert [(c.quote.speaker_entity, c.quote.direct) for c in quotes] == [("emmanuel-macron", False)]
    assert "France would send more air defence systems" in quotes[0].quote.text


def test_quote_claims_are_asserted_by_their_speaker() -> None:
    (claim,) = of_kind("“The border will stay open for trade,” Angela Merkel said.", "quote")
    assert claim.asserted_by.kind == "source" and claim.asserted_by.entity == "angela-merkel"


def test_quotation_spans_pair_marks_and_skip_overlaps() -> None:
    text = 'He said “one two” and "three four" but “five'
    assert quotation_spans(text) == [(8, 17), (22, 34)]


def test_according_to_names_the_speaker() -> None:
    found = _direct("According to Emmanuel Macron, “the situation is getting worse by the day.”")
    assert [(s, c) for s, c, _t in found] == [("emmanuel-macron", "according to")]


def test_attribution_around_the_quote() -> None:
    text = "“The first part of it is clear,” Angela Merkel said, “and the second part will follow soon.”"
    assert [s for s, _c, _t in _direct(text)] == ["angela-merkel", "angela-merkel"]


def test_colon_before_the_quote() -> None:
    found = _direct("Olaf Scholz wrote on X: “We will not give up on this, not now and not ever.”")
    assert [(s, c) for s, c, _t in found] == [("olaf-scholz", "wrote")]


def test_no_continuation_when_someone_else_comes_in_between() -> None:
    text = (
        "“We will rebuild every school that was hit,” Olaf Scholz said. Emmanuel Macron disagreed.\n"
        "“That is not what the budget allows for this year.”"
    )
    assert [s for s, _c, _t in _direct(text)] == ["olaf-scholz"]


def test_a_countrys_leader_is_the_person_last_titled_with_that_country() -> None:
    """ "The Polish leader", "Poland's president": the person named before as "Polish President …";
    officials, an indefinite leader, or no such person before stay the country."""
    met = "Polish President Andrzej Duda met Chancellor Olaf Scholz in Berlin on Monday. "
    cases = {
        met + "Later, the Polish leader said that new sanctions were needed.": "andrzej-duda",
        met + "Poland's president said that new sanctions were needed.": "andrzej-duda",
        met + "Polish officials said that new sanctions were needed.": "poland",
        met + "A Polish leader said that new sanctions were needed.": "poland",
        "The Polish leader said that new sanctions were needed.": "poland",
        "Polish Defence Minister Jan Nowak met Olaf Scholz. The Polish leader said sanctions were needed.": "poland",
    }
    for text, speaker in cases.items():
        (quote,) = of_kind(text, "quote")
        assert quote.quote.speaker_entity == speaker, text
