"""Event rules on sentences written for these tests (not taken from the seeds).

The articles are dated Wednesday 2024-03-06. Expect: participants as entity ids, status from tense
and modality (will → planned, met → held, failed to attend → cancelled, offered → proposed,
agreed → agreed, could follow → threatened, claimed → claimed), times normalized against the
publication date, and negations that never yield a positive agreement.
"""

from __future__ import annotations

from consumers.claims.records import Event
from tests.unit.test_claims_support import of_kind


def _events(text: str) -> list[Event]:
    return [c.event for c in of_kind(text, "event")]


def _one(text: str, kind: str) -> Event:
    found = [e for e in _events(text) if e.kind == kind and not e.negated]
    assert len(found) == 1, _events(text)
    return found[0]


def test_planned_call_with_normalized_weekday() -> None:
    e = _one("Joe Biden will speak with Xi Jinping on Friday about trade.", "call")
    assert set(e.participants) == {"joe-biden", "xi-jinping"}
    assert e.status == "planned"
    assert e.time is not None and e.time.text == "Friday" and e.time.date == "2024-03-08"


def test_held_meeting_with_place_and_past_weekday() -> None:
    e = _one("Emmanuel Macron met Olaf Scholz in Berlin on Monday.", "meeting")
    assert set(e.participants) == {"emmanuel-macron", "olaf-scholz"}
    assert e.status == "held" and e.place == "berlin"
    assert e.time is not None and e.time.date == "2024-03-04"


def test_failed_to_attend_is_cancelled() -> None:
    e = _one("Xi Jinping failed to attend a scheduled meeting with Joe Biden.", "meeting")
    assert set(e.participants) == {"xi-jinping", "joe-biden"} and e.status == "cancelled"


def test_offer_to_host_talks_is_one_offer() -> None:
    events = _events("Turkey offered to host talks between Armenia and Azerbaijan.")
    assert [(e.kind, e.participants, e.status) for e in events] == [("offer", ("turkey",), "proposed")]
    assert events[0].object is not None and "talks" in events[0].object


def test_agreed_is_an_agreement() -> None:
    e = _one("Armenia and Azerbaijan agreed to a prisoner exchange.", "agreement")
    assert set(e.participants) == {"armenia", "azerbaijan"} and e.status == "agreed"


def test_no_agreement_is_never_an_agreed_one() -> None:
    for text in (
        "Armenia and Azerbaijan held talks in Geneva, but no agreement was reached.",
        "Armenia and Azerbaijan held talks in Geneva that ended without a ceasefire agreement.",
        "Armenia and Azerbaijan did not agree on a ceasefire.",
    ):
        agreements = [e for e in _events(text) if e.kind == "agreement"]
        assert all(e.negated for e in agreements), (text, agreements)


def test_hedged_sanctions_are_threatened() -> None:
    e = _one("Germany warned that new sanctions could follow if the attacks continue.", "sanction")
    assert e.participants == ("germany",) and e.status == "threatened"


def test_sanctions_merely_discussed_are_not_an_event() -> None:
    assert [e for e in _events("Germany and France discussed sanctions and trade.") if e.kind == "sanction"] == []


def test_claimed_capture_is_the_claimants() -> None:
    (claim,) = [c for c in of_kind("Russia claimed to have captured the village of Novoselivka.", "event")]
    assert claim.event is not None
    assert (claim.event.kind, claim.event.participants, claim.event.status) == ("capture", ("russia",), "claimed")
    assert claim.asserted_by.entity == "russia"


def test_a_meeting_only_supposed_or_wished_for_is_proposed_not_planned() -> None:
    """The condition of what only would happen, or a meeting whose importance is stressed, is
    wanted, not upcoming; a condition of what will happen is planned."""
    cases = {
        "Analysts argued that a real breakthrough would only come when Joe Biden and Xi Jinping meet face-to-face.": (
            "proposed"
        ),
        "A deal would be possible once Joe Biden meets Xi Jinping in Geneva.": "proposed",
        "Washington has stressed the importance of a meeting between Joe Biden and Xi Jinping.": "proposed",
        "When Joe Biden meets Xi Jinping on Friday, he will raise the issue of tariffs.": "planned",
    }
    for text, status in cases.items():
        e = _one(text, "meeting")
        assert (set(e.participants), e.status) == ({"joe-biden", "xi-jinping"}, status), text


def test_sanctions_announced_are_imposed_and_a_contrast_clause_keeps_its_own_status() -> None:
    """Sanctions announced are imposed (a call announced is planned); "…, while Canada announced
    sanctions" takes no cue from the main clause's "threatened"."""
    text = "The European Union threatened new sanctions against Iran, while Canada announced sanctions on Syria."
    statuses = {e.participants: e.status for e in _events(text) if e.kind == "sanction"}
    assert statuses == {("european-union",): "threatened", ("canada",): "held"}
    assert _one("Joe Biden announced a call with Xi Jinping.", "call").status == "planned"


def test_talks_agreed_to_are_planned_and_a_day_is_no_object() -> None:
    """ "Agreed on Thursday to resume talks": the talks are to come (not "agreed"), and what was
    agreed is resuming them, not "Thursday"."""
    text = "Joe Biden and Xi Jinping agreed on Thursday to resume talks on a trade treaty."
    assert _one(text, "talks").status == "planned"
    deal = _one(text, "agreement")
    assert (deal.status, deal.object) == ("agreed", "to resume talks on a trade treaty")


def test_the_two_leaders_are_the_people_of_the_group_last_named() -> None:
    text = (
        "President Joe Biden and President Xi Jinping agreed to keep talking. "
        "The two leaders are scheduled to meet in Geneva next month."
    )
    e = _one(text, "meeting")
    assert (set(e.participants), e.status, e.place) == ({"joe-biden", "xi-jinping"}, "planned", "geneva")


def test_the_place_hung_on_the_person_met_is_the_meetings() -> None:
    e = _one("Spain's Prime Minister Pedro Sanchez met CIA Director William Burns in Lisbon on Sunday.", "meeting")
    assert (set(e.participants), e.place) == ({"pedro-sanchez", "william-burns"}, "lisbon")


def test_the_place_travelled_to_for_talks_is_theirs() -> None:
    e = _one("Joe Biden is expected to travel to Hanoi on Wednesday for talks with Xi Jinping.", "talks")
    assert (set(e.participants), e.place, e.status) == ({"joe-biden", "xi-jinping"}, "hanoi", "planned")


def test_talks_one_is_ready_to_hold_are_proposed_and_lie_ahead() -> None:
    """Ready to hold talks is no talks held; a month named for what is proposed is the coming one
    (published in March 2024: June 2024, not June 2023)."""
    e = _one("Joe Biden said he was ready to hold talks with Xi Jinping before the end of June.", "talks")
    assert (e.status, e.time.date if e.time else None) == ("proposed", "2024-06")


def test_sanctions_that_follow_are_a_threat_talks_that_follow_a_round_are_not() -> None:
    text = "The talks between Joe Biden and Xi Jinping on Friday follow a first round in Hanoi."
    assert _one(text, "talks").status == "planned"
    assert _one("Further sanctions against Iran will follow, Canada said.", "sanction").status == "threatened"


def test_a_place_that_holds_the_venue_is_the_events_one_that_describes_a_possessor_is_not() -> None:
    cases = {
        "Joe Biden met Xi Jinping at the U.S. ambassador's residence on Sunday.": None,
        "Joe Biden met Xi Jinping at the French ambassador's residence in Lisbon on Sunday.": "lisbon",
        "Joe Biden met Xi Jinping in the city of Lisbon on Sunday.": "lisbon",
        "Joe Biden met Xi Jinping in Portugal's capital on Sunday.": "portugal",
    }
    for text, place in cases.items():
        assert _one(text, "meeting").place == place, text


def test_a_proposal_of_nothing_in_particular_is_a_stance_not_a_proposal() -> None:
    assert _events("While Joe Biden has pushed for diplomacy, critics note he avoided Xi Jinping.") == []
    assert _one("Joe Biden pushed for more dialogue with China.", "proposal").object == "more dialogue with China"


def test_the_day_of_an_agreement_said_after_its_object_is_its_time_not_its_object() -> None:
    e = _one("Joe Biden and Xi Jinping agreed to a full and immediate ceasefire on Saturday.", "agreement")
    assert (e.object, e.time.date if e.time else None) == ("a full and immediate ceasefire", "2024-03-02")


def test_it_in_what_a_state_says_of_itself_is_that_state() -> None:
    e = _one("Vietnam said it had launched retaliatory attacks on the border posts.", "strike")
    assert (e.participants, e.status) == (("vietnam",), "held")
    assert _events("The report said it had launched retaliatory attacks on the border posts.") == []


def test_two_leaders_who_spoke_by_phone_held_a_call() -> None:
    e = _one("Joe Biden and Xi Jinping spoke by phone for more than two hours on Monday.", "call")
    assert (set(e.participants), e.status, e.time.date if e.time else None) == (
        {"joe-biden", "xi-jinping"},
        "held",
        "2024-03-04",
    )


def test_where_and_when_talks_are_scheduled_to_take_place() -> None:
    e = _one("Talks between Joe Biden and Xi Jinping are scheduled to take place in Lisbon on Friday.", "talks")
    assert (e.status, e.place, e.time.date if e.time else None) == ("planned", "lisbon", "2024-03-08")


def test_a_shelling_that_is_a_reported_subject_has_no_agent_in_the_reporter() -> None:
    assert _events("Vietnam says shelling continued.") == []


def test_what_is_to_come_before_something_else_has_not_happened() -> None:
    """ "… before agreeing to a ceasefire" agrees no ceasefire (it had made one agreed, which
    the view reads as the ceasefire's status); "without agreeing" negates it."""
    text = (
        "Vietnam and Laos held talks in Hanoi on Friday. "
        "Vietnam demanded that Laos withdraw its troops from the border before agreeing to a ceasefire."
    )
    deals = [e for e in _events(text) if e.kind == "agreement"]
    assert [(set(e.participants), e.status) for e in deals] == [({"vietnam", "laos"}, "proposed")]
    text = "Vietnam and Laos held talks in Hanoi on Friday. Vietnam left the talks without agreeing to a ceasefire."
    assert [e.negated for e in _events(text) if e.kind == "agreement"] == [True]
    e = _one("Joe Biden had challenged Xi Jinping to meet him in person in Hanoi.", "meeting")
    assert e.status == "proposed"


def test_the_two_sides_are_the_parties_last_named_together() -> None:
    text = (
        "Vietnam and Laos have long disputed their border. "
        "The two sides agreed on Friday to exchange 300 prisoners of war each."
    )
    e = _one(text, "agreement")
    assert (set(e.participants), e.status) == ({"vietnam", "laos"}, "agreed")


def test_a_call_the_two_leaders_held_a_day_before_is_held_and_theirs() -> None:
    """ "The two leaders" with no group named: the last two people named; the call of an
    after-clause takes no status from the main clause ("not ready" had made it proposed)."""
    text = 'Joe Biden said that Xi Jinping was "not ready" to end the dispute, a day after the two leaders held a call.'
    e = _one(text, "call")
    assert (set(e.participants), e.status) == ({"joe-biden", "xi-jinping"}, "held")


def test_tariffs_threatened_are_pressure_and_a_pronoun_source_is_named() -> None:
    text = "Joe Biden met reporters on Monday. He said Washington could impose tariffs on Chinese steel."
    (claim,) = [c for c in of_kind(text, "event") if c.event.kind == "sanction"]
    assert (claim.event.status, claim.asserted_by.text, claim.asserted_by.entity) == (
        "threatened",
        "Joe Biden",
        "joe-biden",
    )


def test_an_event_in_a_relative_clause_takes_no_cue_from_the_main_clause() -> None:
    text = "Joe Biden met Xi Jinping in Hanoi. Xi, who attended the Hanoi meeting, called it positive."
    assert {e.status for e in _events(text) if e.kind == "meeting"} == {"held"}


def test_an_airstrike_is_a_strike() -> None:
    e = _one("An Israeli airstrike on a school in Khan Younis killed 12 people.", "strike")
    assert (e.participants, e.status) == (("israel",), "held")


def test_a_strikes_place_is_where_its_target_is() -> None:
    """A strike's place is often inside what it hit; "struck" a target is a strike held, not a
    deal struck."""
    cases = {
        "A Russian drone strike on a bus in Poland's Lublin region wounded twelve people.": "lublin",
        "Russian forces struck a hospital in Gdynia on Tuesday.": "gdynia",
        "Russia launched an attack on Riga overnight.": "riga",
        "Russia launched a missile attack on France overnight.": None,  # a country tells no strike apart
    }
    for text, place in cases.items():
        e = _one(text, "strike")
        assert (e.participants, e.place, e.status) == (("russia",), place, "held"), text


def test_strike_overnight_and_a_later_reference_to_it() -> None:
    text = "Russia launched a massive drone attack on Odesa overnight. The attack damaged the port."
    strikes = [e for e in _events(text) if e.kind == "strike"]
    assert strikes and all(e.participants[0] == "russia" for e in strikes)
    assert strikes[0].status == "held"
    assert strikes[0].time is not None and strikes[0].time.date == "2024-03-06"


def test_proposal_pushed_for() -> None:
    e = _one("Italy has been pushing for a 30-day ceasefire in the region.", "proposal")
    assert e.participants == ("italy",) and e.status == "proposed"
    assert e.object is not None and "ceasefire" in e.object


def test_a_proposal_keeps_the_adjectives_a_comma_lists() -> None:
    """A comma between the adjectives of the head noun is inside what is proposed; one after
    the head noun ends it."""
    e = _one("Germany urged both sides to push for a swift, verifiable 60-day truce, officials said.", "proposal")
    assert e.object == "a swift, verifiable 60-day truce"
    e = _one("Italy has been pushing for a 30-day ceasefire, which Moscow rejected.", "proposal")
    assert e.object == "a 30-day ceasefire"


def test_spoke_to_someone_is_a_call() -> None:
    e = _one("Xi Jinping spoke to Joe Biden by phone on Tuesday.", "call")
    assert set(e.participants) == {"xi-jinping", "joe-biden"} and e.status == "held"
    assert e.time is not None and e.time.date == "2024-03-05"


def test_scheduled_meeting_next_week() -> None:
    e = _one("Joe Biden and Xi Jinping are scheduled to meet next week in San Francisco.", "meeting")
    assert e.status == "planned" and e.time is not None and e.time.date == "2024-W11"


def test_sanctions_agreed_or_imposed_are_acts() -> None:
    e = _one("The European Union agreed new sanctions against Russia on Friday.", "sanction")
    assert e.participants == ("european-union",)
    e = _one("Britain imposed sanctions on five Russian banks.", "sanction")
    assert e.participants == ("united-kingdom",) and e.status == "held"


def test_talking_by_phone_is_a_call_and_a_deal_discussed_is_not_agreed() -> None:
    text = "Vladimir Putin and Recep Tayyip Erdogan discussed the grain deal by phone."
    e = _one(text, "call")
    assert set(e.participants) == {"vladimir-putin", "recep-tayyip-erdogan"} and e.status == "held"
    assert all(x.status != "agreed" for x in _events(text) if x.kind == "agreement")


def test_talks_that_broke_down_are_cancelled() -> None:
    assert _one("Talks between Israel and Hamas broke down on Sunday.", "talks").status == "cancelled"


def test_negated_plans_and_verbs() -> None:
    for text in (
        "The Kremlin said Vladimir Putin had no plans to meet Volodymyr Zelensky.",
        "Putin will not meet Zelensky.",
    ):
        meetings = [e for e in _events(text) if e.kind == "meeting"]
        assert meetings and all(e.negated for e in meetings), (text, meetings)


def test_a_confirmed_call_is_not_held_by_the_tense_of_confirming() -> None:
    """The past tense of a reporting verb dates the saying, not the event it names; another
    governing verb's past tense still dates the event."""
    confirmed = _one("Joe Biden confirmed talks with Xi Jinping on trade.", "talks")
    assert confirmed.status == "planned"
    held = _one("Joe Biden held talks with Xi Jinping on trade.", "talks")
    assert held.status == "held"


def test_a_present_passive_is_no_past() -> None:
    """A participle under "is"/"are being" is present ("is being watched"); under "was" or
    "has" it is past."""
    watched = _one("The call between Joe Biden and Xi Jinping is being closely watched.", "call")
    assert watched.status == "planned"
    held = _one("The call between Joe Biden and Xi Jinping was closely watched.", "call")
    assert held.status == "held"


def test_a_meeting_acknowledged_is_not_held_by_the_aspect_of_acknowledging() -> None:
    """ "Have acknowledged" tells when it was said (a meeting whose importance is acknowledged is
    wished for: proposed); "has met" tells the meeting took place."""
    text = "Paris and Berlin have acknowledged the importance of a meeting between Emmanuel Macron and Olaf Scholz."
    assert _one(text, "meeting").status == "proposed"
    assert _one("Emmanuel Macron has met Olaf Scholz in Berlin.", "meeting").status == "held"


def test_a_ceasefire_in_force_is_an_agreement() -> None:
    """A ceasefire a verb tells is in force ("took effect", "reached", "brokered", "signed") is
    an agreement of its parties, named by its own words; a broker is no party."""
    took = _one("A ceasefire between Ethiopia and Eritrea took effect on Sunday.", "agreement")
    assert (set(took.participants), took.status, took.object) == ({"ethiopia", "eritrea"}, "agreed", "ceasefire")
    assert took.time is not None and took.time.date == "2024-03-03"
    brokered = _one("Qatar brokered a 10-day truce between Ethiopia and Eritrea last week.", "agreement")
    assert (set(brokered.participants), brokered.object) == ({"ethiopia", "eritrea"}, "10-day truce")
    signed = _one("Armenia and Azerbaijan signed a ceasefire in Moscow on Tuesday.", "agreement")
    assert (signed.status, signed.place) == ("agreed", "moscow")


def test_a_ceasefire_not_told_in_force_is_no_event() -> None:
    """Named without a verb of force, wished for, or failed, a ceasefire is no agreement (the
    truce that "came hours after" something, one that "must hold", one they "failed to reach")."""
    for text in (
        "The truce between Ethiopia and Eritrea came hours after Qatar announced the deal.",
        "The ceasefire between Ethiopia and Eritrea must hold, the UN chief said.",
        "Ethiopia and Eritrea failed to reach a ceasefire in Geneva.",
        "Mediators urged Ethiopia and Eritrea to reach a ceasefire.",
        "Hopefully a ceasefire between Ethiopia and Eritrea will take place.",
    ):
        assert not [e for e in _events(text) if e.kind == "agreement"], text


def test_a_ceasefire_due_to_take_effect_is_planned() -> None:
    e = _one("A 30-day ceasefire between Armenia and Azerbaijan will take effect on Monday.", "agreement")
    assert (e.status, e.object) == ("planned", "30-day ceasefire")


def test_talks_told_as_past_inside_a_phrase_are_held_and_take_no_date_of_the_main_clause() -> None:
    """ "after weeks of talks": held talks (they had been planned), and Friday is the truce's day."""
    talks = _one("Ethiopia and Eritrea reached a truce on Friday after weeks of talks in Nairobi.", "talks")
    assert talks.status == "held"
    assert talks.time is None or talks.time.date != "2024-03-01"


def test_a_deal_named_again_is_the_one_told_before() -> None:
    """ "welcomed the agreement", "accused X of violating the agreement", "under the deal": the
    agreement told before (agreed, its object), not an object-less proposal of its own."""
    for text in (
        "Ethiopia and Eritrea signed an accord on border trade on Sunday. The African Union welcomed the accord.",
        "Ethiopia and Eritrea agreed to a ceasefire on Saturday. Hours later, Ethiopia accused Eritrea of "
        "violating the agreement.",
        "Ethiopia and Eritrea agreed to a ceasefire. Under the deal, Eritrea will free 30 prisoners.",
        "Ethiopia and Eritrea signed an accord on border trade. Eritrea said it remained committed to the accord.",
    ):
        agreements = [e for e in _events(text) if e.kind == "agreement"]
        assert len(agreements) == 2, (text, agreements)
        first, again = agreements
        assert again.status == "agreed" and again.object == first.object, (text, again)
    mentioned = _one("Ethiopia and Eritrea discussed a deal on border trade.", "agreement")
    assert mentioned.status == "proposed"


def test_a_deal_welcomed_or_violated_exists() -> None:
    """Verbs that presuppose a deal ("welcomed", "violated") tell it is agreed, told before or not."""
    for text in (
        "The African Union welcomed the accord between Ethiopia and Eritrea.",
        "Monitors say Ethiopia and Eritrea are violating the accord on border trade.",
    ):
        assert _one(text, "agreement").status == "agreed", text


def test_a_participle_naming_which_deal_is_not_what_is_agreed() -> None:
    e = _one("Ethiopia and Eritrea signed an agreement brokered by Kenya.", "agreement")
    assert e.object is None
    e = _one("Ethiopia and Eritrea reached an agreement to reopen the border.", "agreement")
    assert e.object == "to reopen the border"


def test_a_capital_acting_stands_for_its_state() -> None:
    """ "Addis Ababa and Asmara"-style metonymy: a capital or seat of government named as a
    participant is its state (the ``seats`` table); a place stays a place."""
    talks = _one("Islamabad and New Delhi held talks in Geneva on Friday.", "talks")
    assert (set(talks.participants), talks.place) == ({"pakistan", "india"}, "geneva")
    sanction = _one("Washington imposed new sanctions on Caracas.", "sanction")
    assert sanction.participants == ("united-states",)
    talks = _one("Pakistan and India held talks in New Delhi on Friday.", "talks")
    assert talks.place == "new-delhi"


def test_the_two_sides_are_those_of_the_last_talks_told() -> None:
    """ "The two sides" after talks between A and B are A and B, not the mediators last named
    together."""
    text = (
        "Talks between Ethiopia and Eritrea opened in Nairobi on Monday. "
        "Kenya and Uganda, which mediate the talks, praised the progress. "
        "On Tuesday the two sides signed an accord on border trade."
    )
    accord = _one(text, "agreement")
    assert set(accord.participants) == {"ethiopia", "eritrea"}


def test_who_answers_a_demand_or_proposal_is_not_its_maker() -> None:
    """ "Asmara rejected the demand": Ethiopia's demand told before, now rejected; "Eritrea was
    studying the proposal" makes Eritrea no proposer."""
    text = (
        "Ethiopia demanded that Eritrea withdraw its troops from the border town of Badme. "
        "Eritrea rejected the demand on Tuesday."
    )
    demands = [e for e in _events(text) if e.kind == "demand"]
    assert [(d.participants, d.status) for d in demands] == [(("ethiopia",), "proposed"), (("ethiopia",), "rejected")]
    assert demands[1].object == demands[0].object
    studied = "Eritrea said it was studying the proposal and would respond within days."
    assert not [e for e in _events(studied) if e.kind == "proposal"]


def test_a_nationality_of_the_alias_data_names_its_state() -> None:
    """ "Lebanese officials": Lebanon, by the alias data's demonyms (the claims lexicon lists
    only a few); going somewhere "to meet" them puts the meeting there, then."""
    e = _one("U.S. envoy Amos Hochstein will travel to Beirut next week to meet Lebanese officials.", "meeting")
    assert (set(e.participants), e.place, e.status) == ({"amos-hochstein", "lebanon"}, "beirut", "planned")
    assert e.time is not None and e.time.text == "next week"


def test_a_ceasefire_in_force_through_a_raising_verb() -> None:
    held = _one("A ceasefire between Ethiopia and Eritrea appeared to be holding on Wednesday.", "agreement")
    assert held.status == "agreed"
    due = _one("The truce between Ethiopia and Eritrea is expected to take effect on Thursday.", "agreement")
    assert (due.status, due.object) == ("planned", "truce")


def test_what_a_deal_is_about_by_its_own_nouns() -> None:
    """ "a peace agreement", "a ceasefire deal" say what is agreed; a party named in the noun
    ("the Ethiopia-Eritrea deal") does not; "starting at midnight" is when, not what."""
    peace = _one("Ethiopia and Eritrea signed a peace agreement in Nairobi on Friday.", "agreement")
    assert peace.object == "peace agreement"
    truce = _one("Ethiopia and Eritrea reached a ceasefire deal on Friday.", "agreement")
    assert truce.object == "ceasefire deal"
    start = _one("Ethiopia and Eritrea agreed to an immediate ceasefire starting at midnight.", "agreement")
    assert start.object == "an immediate ceasefire"


def test_a_deal_that_calls_for_something_is_not_itself_proposed() -> None:
    """ "The agreement, mediated by Kenya, calls for a 60-day truce": the agreement proposes the
    truce's terms; "calls for" is no cue of its own status (it had made the deal proposed)."""
    e = _one("The agreement between Ethiopia and Eritrea, mediated by Kenya, calls for a 60-day truce.", "agreement")
    assert e.status == "agreed"
    urged = _one("Kenya called for an agreement between Ethiopia and Eritrea.", "agreement")
    assert urged.status == "proposed"


def test_people_from_both_sides_are_the_sides() -> None:
    text = "Talks between Ethiopia and Eritrea ended on Monday. Commanders from both sides will meet on Thursday."
    later = [e for e in _events(text) if e.status == "planned"]
    assert [set(e.participants) for e in later] == [{"ethiopia", "eritrea"}]


def test_a_host_of_talks_between_two_sides_is_no_party() -> None:
    e = _one("Kenya hosted a meeting between Ethiopia and Eritrea in Nairobi.", "talks")
    assert set(e.participants) == {"ethiopia", "eritrea"}
    with_ = _one("Abiy Ahmed held talks with Isaias Afwerki in Asmara.", "talks")
    assert set(with_.participants) == {"abiy-ahmed", "isaias-afwerki"}
