"""Count rules on sentences written for these tests (not taken from the seeds).

Expect: digits and number words with their category from the verb or context; "at least" as a
lower bound; the source of a reported count; a breakdown adds no counts; single victims told one
by one add up; years, clock times, durations and ordinals are never counts.
"""

from __future__ import annotations

from tests.unit.test_claims_support import of_kind


def _counts(text: str) -> list[tuple[str, float, bool]]:
    return [(c.count.category, c.count.value, c.count.lower_bound) for c in of_kind(text, "count")]


def test_lower_bound_and_people_killed() -> None:
    assert _counts("Officials said at least three people were killed in the shelling.") == [("killed", 3, True)]


def test_digits_with_thousands_separator() -> None:
    assert _counts("The army said 1,200 drones were launched against the city.") == [("drones_launched", 1200, False)]


def test_intercepted_and_jammed_from_their_verbs() -> None:
    text = "Air defences shot down 14 drones, while nine others were jammed by electronic warfare."
    assert _counts(text) == [("drones_intercepted", 14, False), ("drones_jammed", 9, False)]


def test_a_reported_count_is_the_reporters_claim() -> None:
    (claim,) = of_kind("Belarus claimed to have downed 12 drones near the border.", "count")
    assert (claim.count.category, claim.count.value) == ("drones_intercepted", 12)
    assert claim.asserted_by.kind == "source" and claim.asserted_by.entity == "belarus"


def test_who_reports_a_count_is_its_source_not_its_actor() -> None:
    """Who reports what others did is no actor of it; who reports their own act is both."""
    cases = {
        "Moldova's defence ministry reported 40 drones launched overnight.": ("drones_launched", 40, None),
        "Romania reported 40 drones overnight.": ("drones_launched", 40, None),
        "Finnish officials said 30 missiles were launched at the port.": ("missiles_launched", 30, None),
        "Belarus claimed to have downed 12 drones near the border.": ("drones_intercepted", 12, "belarus"),
        "Poland reported intercepting 16 drones near the border.": ("drones_intercepted", 16, "poland"),
        "Hungary launched 20 drones at the depot.": ("drones_launched", 20, "hungary"),
    }
    for text, want in cases.items():
        (claim,) = of_kind(text, "count")
        assert (claim.count.category, claim.count.value, claim.count.actor) == want, text


def test_where_a_count_happened_is_found_in_its_verbs_subject_too() -> None:
    """The place said of the counted things or their verb, else inside the verb's subject; the
    place's own name before the larger one that holds it."""
    cases = {
        "Shelling killed five people in Lviv.": "lviv",
        "A missile strike on a market in Poland's Lublin region killed six people.": "lublin",
        "A missile strike on a market in the Lublin region of Poland killed six civilians.": "lublin",
        "A drone attack on Riga killed three people on Tuesday.": "riga",
        "The strike, which hit an apartment block in Krakow, killed four people.": "krakow",
        "The strike killed four civilians.": None,
    }
    for text, want in cases.items():
        (claim,) = of_kind(text, "count")
        assert (claim.count.category, claim.count.place) == ("killed", want), text
    # the clause a participle tells of
    text = "A drone hit an apartment building in Tartu, injuring five people."
    assert [(c.count.category, c.count.place) for c in of_kind(text, "count")] == [("injured", "tartu")]
    # the clause of how it happened, hung on the last of two verbs
    text = "Six people were killed and ten wounded when rockets hit a square in Tartu on Friday."
    assert [(c.count.category, c.count.place) for c in of_kind(text, "count")] == [
        ("killed", "tartu"),
        ("injured", "tartu"),
    ]


def test_a_scale_word_multiplies_the_number_before_it() -> None:
    """ "Two hundred" is 200 and "1.7 million" 1,700,000 (they were read as 100 and a million),
    with the lower bound before the first word; people who fled are displaced."""
    assert _counts("Two hundred soldiers were killed in the fighting.") == [("killed", 200, False)]
    assert _counts("More than 1.7 million people fled the region.") == [("displaced", 1_700_000, True)]
    assert _counts("Some 300 thousand residents were evacuated.") == [("displaced", 300_000, False)]
    assert _counts("Thousands of people fled the region and dozens were killed.") == []  # no number said


def test_unattributed_count_is_the_outlets() -> None:
    (claim,) = of_kind("The strike killed four civilians.", "count")
    assert claim.asserted_by.kind == "outlet" and claim.asserted_by.text == "test-outlet"


def test_a_breakdown_adds_no_counts() -> None:
    text = "Three soldiers were killed, one in the north and two near the river."
    assert _counts(text) == [("killed", 3, False)]


def test_single_victims_add_up() -> None:
    text = "A man was killed when the first shell landed. Later, another resident died in hospital."
    assert _counts(text) == [("killed", 2, False)]


def test_years_times_durations_and_ordinals_are_not_counts() -> None:
    text = (
        "The war began in 2022 and has lasted three years. The meeting starts at 10:00 "
        "and was the first of its kind in two decades."
    )
    assert _counts(text) == []


def test_days_of_a_truce() -> None:
    assert _counts("Both governments backed a 45-day truce along the front.") == [("ceasefire_days", 45, False)]
    assert _counts("The president declared a 36-hour holiday ceasefire.") == [("ceasefire_hours", 36, False)]


def test_soldiers_exchanged_are_prisoners_exchanged() -> None:
    assert _counts("A further 307 soldiers were exchanged on Saturday.") == [("prisoners_exchanged", 307, False)]


def test_prisoners_exchanged() -> None:
    assert _counts("The two sides exchanged 250 prisoners of war on Friday.") == [("prisoners_exchanged", 250, False)]


def test_numbers_with_no_counted_thing_are_ignored() -> None:
    assert _counts("The index rose 12 points and 300 listed firms reported profits.") == []


def test_bare_numbers_counted_by_their_verb() -> None:
    text = "The shelling of the market hit dozens of stalls, killing 5 and wounding 12."
    assert _counts(text) == [("killed", 5, False), ("injured", 12, False)]


def test_hedged_counts_are_marked_and_trusted_less() -> None:
    (plain,) = of_kind("The strike killed four civilians.", "count")
    (hedged,) = of_kind("The strike reportedly killed four civilians.", "count")
    assert (plain.hedged, hedged.hedged) == (False, True)
    assert hedged.confidence < plain.confidence
    assert (hedged.count.category, hedged.count.value) == ("killed", 4)


def test_part_of_a_whole_counts_each_with_its_own_verb() -> None:
    text = "Ukraine said its forces destroyed 15 of the 20 missiles fired by Russia overnight."
    assert _counts(text) == [("missiles_intercepted", 15, False), ("missiles_launched", 20, False)]


def test_a_toll_counts_what_it_tolls() -> None:
    assert _counts("The death toll rose to 31, officials said.") == [("killed", 31, False)]


def test_categories_are_data_that_can_grow() -> None:
    assert _counts("Police detained 40 protesters in the capital.") == [("detained", 40, False)]


def test_a_peoples_members_are_people() -> None:
    """ "46,000 Palestinians", "three Israelis": plural nationality or group nouns count people."""
    assert _counts("The war has killed more than 46,000 Palestinians, the ministry said.") == [("killed", 46000, True)]
    assert _counts("Three Israelis were wounded in the attack.") == [("injured", 3, False)]


def test_a_capital_launching_is_its_state() -> None:
    (launched,) = of_kind("Tehran launched 100 drones at Israel overnight.", "count")
    assert (launched.count.category, launched.count.actor) == ("drones_launched", "iran")
