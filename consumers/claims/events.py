"""Events: calls, meetings, talks, agreements, proposals, offers, demands, sanctions, strikes and
captures, with participants, place, time and a status from tense and modality.

Triggers (nouns and verbs) come from ``data/events.toml``; the dependency parse gives the
parties (subject, "with"/"between" objects, possessors, nationality adjectives), the place
("in"/"at"), the time, and the status cues on the path from the trigger up to its clause.
An event that names no party takes them from the previous event of its group ("the talks").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from consumers.claims.context import STATE_TYPES, ArticleContext, Party, unique
from consumers.claims.records import Claim, Event, TimeExpr
from consumers.claims.timeexpr import current_week, find_time

DIPLOMACY = frozenset({"call", "meeting", "talks", "agreement"})
PROPOSING = frozenset({"proposal", "offer", "demand", "agreement"})
CONSUMING = frozenset({"proposal", "offer", "demand"})  # what they propose is not an event of its own
THREAT_KINDS = frozenset({"sanction", "strike", "capture"})
REPORTED_KINDS = frozenset({"sanction"})
REFERRING_DETS = frozenset({"the", "this", "that", "these", "those", "their", "his", "her", "its", "our", "such"})
TWO_SIDED = frozenset({"call", "meeting", "talks", "agreement"})
CONDITIONS = frozenset({"if", "unless"})
#: Conjunctions of a clause that tells another event, at its own time, than its main clause's.
OWN_CLAUSES = frozenset({"while", "whereas", "although", "though", "after", "since", "because"})
#: Conjunctions that make a clause the condition of another ("… would come when they meet").
HYPOTHESES = frozenset({"if", "unless", "when", "once", "until"})
#: Prepositions of what has not happened yet: "before agreeing to a ceasefire", "until talks".
NOT_YET = frozenset({"before", "until", "pending"})
#: What makes that other clause only supposed.
MODALS = frozenset({"would", "could", "might"})
OBJECT_PREPS = frozenset({"for", "to", "on", "of", "including"})
PAST_FRAMES = frozenset({"during", "after", "following", "since", "under"})  # ("under the deal")
PARTY_PREPS = frozenset({"with", "between", "among", "by"})
PLACE_PREPS = frozenset({"in", "at"})
#: Prepositions that name a strike's target: "a strike on Kharkiv", "attacks against ports in Odesa".
TARGET_PREPS = frozenset({"on", "against"})
#: An event's place may be an organisation's ("talks at the Vatican").
EVENT_PLACE_TYPES = frozenset({"GPE", "LOC", "FAC", "ORG"})
#: Modifiers that tell which one a noun names ("30-day ceasefire", "Easter truce").
NAMING_DEPS = frozenset({"compound", "amod", "nummod", "npadvmod"})
#: The status of an agreement only named ("the deal"): proposed, unless it is one told before.
MENTIONED = "mentioned"
OBJECT_DEPS = frozenset({"dobj", "xcomp", "ccomp", "pobj", "prep", "acl", "relcl", "pcomp"})


@dataclass(frozen=True)
class _Found:
    trigger: Any
    kind: str
    parties: tuple[Party, ...]
    status: str
    negated: bool
    place: Party | None
    time: TimeExpr | None
    object: str | None
    object_span: tuple[int, int] | None  # token range the object covers (nested triggers in it are consumed)
    start: int
    end: int
    inherited: bool = False
    refers_back: bool = True
    source_event: int | None = None  # token of an event this one came out of ("talks led to a deal")
    mentioned: bool = False  # an agreement named with no word of its status ("Hamas discussed the deal")


def _trigger_kind(ctx: ArticleContext, tok: Any) -> str | None:
    lemma, low = tok.lemma_.lower(), tok.lower_
    lex = ctx.lex
    if tok.pos_ in ("NOUN", "PROPN"):
        kind = lex.event_nouns.get(lemma) or lex.event_nouns.get(low)
        if kind is None:
            named = lemma in lex.in_force_nouns or low in lex.in_force_nouns
            return "agreement" if named and _in_force_verb(ctx, tok) is not None else None
        preps = {c.lower_ for c in tok.children if c.dep_ == "prep"}
        for prep, other in lex.prep_kind.get(lemma, {}).items():
            if prep in preps:
                return other
        needed = lex.needs_prep.get(lemma)
        if needed is not None and not (preps & needed):
            return None
        return kind
    if tok.pos_ == "VERB":
        kind = lex.event_verbs.get(lemma)
        if kind is None:
            return "call" if _by_phone(lex, tok) else None
        needed = lex.needs_prep.get(lemma)
        if needed is not None:
            kids = {c.lower_ for c in tok.children} | {c.lemma_.lower() for c in tok.children}
            if not kids & needed:  # ("Putin and Trump spoke by phone": no "with", still a call)
                return "call" if _by_phone(lex, tok) else None
        return kind
    return None


def _in_force_verb(ctx: ArticleContext, tok: Any) -> Any | None:
    """The verb that tells an agreement noun is in force ("the truce took effect", "reached a
    ceasefire", "a ceasefire brokered by Egypt", "the ceasefire, which began on Sunday",
    "accused Pakistan of violating the agreement", "welcomed the deal"), if any."""
    lex = ctx.lex

    def says_in_force(verb: Any, as_subject: bool) -> bool:
        lemma = verb.lemma_.lower()
        if not as_subject:
            return lemma in lex.in_force_object_verbs
        needed = lex.in_force_subject_verbs.get(lemma)
        if needed is None:
            return False
        near = {w.lemma_.lower() for c in verb.children for w in (c, *c.children)}
        return "" in needed or bool(near & needed)

    head = tok.head
    if tok.dep_ in ("nsubj", "nsubjpass") and head.pos_ in ("VERB", "AUX"):
        # (and through the verbs it raises to: "appeared to be holding", "is expected to take effect")
        raised = [v for x in head.children if x.dep_ == "xcomp" for v in (x, *x.children) if v.dep_ == "xcomp"]
        for verb in ([head] if tok.dep_ == "nsubj" else []) + raised:
            if says_in_force(verb, as_subject=True):
                return verb
    if tok.dep_ in ("dobj", "nsubjpass") and head.pos_ == "VERB" and says_in_force(head, as_subject=False):
        return head
    for clause in (c for c in tok.children if c.dep_ in ("acl", "relcl") and c.pos_ == "VERB"):
        relative = any(c.dep_ == "nsubj" and c.tag_ in ("WDT", "WP") for c in clause.children)
        if says_in_force(clause, as_subject=relative) or (clause.tag_ == "VBN" and says_in_force(clause, False)):
            return clause
    return None


def _by_phone(lex: Any, verb: Any) -> bool:
    """ "discussed the deal by phone": a verb of talking done at a distance."""
    if verb.lemma_.lower() not in lex.speech_verbs | {"discuss", "talk", "confer", "consult", "speak"}:
        return False
    for prep in (c for c in verb.children if c.dep_ == "prep" and c.lower_ in lex.call_marker_preps):
        if any(p.lemma_.lower() in lex.call_markers for p in prep.children if p.dep_ == "pobj"):
            return True
    return False


def _governing_verb(tok: Any) -> Any | None:
    cur = tok
    for _ in range(4):
        if cur.head == cur or cur.dep_ in ("nsubj", "nsubjpass"):
            return None
        cur = cur.head
        if cur.pos_ in ("VERB", "AUX"):
            return cur
    return None


def _noun_parties(ctx: ArticleContext, tok: Any, kind: str) -> tuple[list[Party], Party | None]:
    parties: list[Party] = []
    place: Party | None = None
    for child in tok.children:
        if child.dep_ in ("poss", "amod", "nmod") or (child.dep_ == "compound" and child.pos_ == "PROPN"):
            found = ctx.np_parties(child, resolve=child.dep_ == "poss")
            for p in found:
                if child.dep_ == "compound" and p.type in ("GPE", "LOC", "FAC") and kind in DIPLOMACY:
                    place = place or p
                else:
                    parties.append(p)
        elif child.dep_ == "prep" and child.lower_ in PARTY_PREPS:
            for pobj in (c for c in child.children if c.dep_ == "pobj"):
                parties.extend(ctx.np_parties(pobj))
        elif child.dep_ == "appos":
            inner, _ = _noun_parties(ctx, child, kind)
            parties.extend(inner)
    return parties, place


def _place(ctx: ArticleContext, tok: Any, verb: Any | None, kind: str) -> Party | None:
    """Where the event happens: "talks in Istanbul"; a strike's is often where its target is
    ("a strike on a bus in Sumy", "struck a hospital in Kharkiv"): without it, every strike by
    one side was one item."""
    tokens = [tok, *_clause_verbs(verb)]
    if kind != "strike":
        # "met William Burns in Doha": the parser often hangs the place on the person met
        met = [c for c in tok.children if c.dep_ == "dobj"] if tok.pos_ == "VERB" else []
        return ctx.place_near([*tokens, *met], PLACE_PREPS, EVENT_PLACE_TYPES) or _gone_to(ctx, tok, verb)
    if tok.pos_ == "VERB":
        targets = [c for c in tok.children if c.dep_ == "dobj"]
    else:
        targets = [o for p in tok.children if p.dep_ == "prep" and p.lower_ in TARGET_PREPS for o in p.children]
    place = ctx.place_near(tokens, PLACE_PREPS | TARGET_PREPS, EVENT_PLACE_TYPES, within=targets)
    # "an assault on Ukraine" tells no strike from another: a country is no strike's place
    return None if place is None or ctx.is_state(place) else place


def _clause_verbs(verb: Any | None) -> list[Any]:
    """The verb that governs the event and those it controls, where its time and place are
    said ("talks are scheduled to take place in London on Wednesday")."""
    if verb is None:
        return []
    return [verb, *(c for c in verb.children if c.dep_ == "xcomp" and c.pos_ in ("VERB", "AUX"))]


def _travel_verb(ctx: ArticleContext, tok: Any, verb: Any | None) -> Any | None:
    """The verb of going somewhere for the event ("will travel to Cairo for talks with …",
    "visit Ankara for a meeting", "will travel to Beirut next week to meet …"), if any."""
    travel = ctx.lex.travel_verbs
    if tok.pos_ == "VERB" and tok.dep_ in ("advcl", "xcomp") and tok.head.lemma_.lower() in travel:
        return tok.head
    if verb is None or verb is tok or verb.lemma_.lower() not in travel:
        return None
    if not (tok.dep_ == "pobj" and tok.head.lower_ == "for" and tok.head.head == verb):
        return None
    return verb


def _gone_to(ctx: ArticleContext, tok: Any, verb: Any | None) -> Party | None:
    """The place someone travels to for the event."""
    verb = _travel_verb(ctx, tok, verb)
    if verb is None:
        return None
    visited = [c for c in verb.children if c.dep_ == "dobj"]
    return ctx.place_near([verb], frozenset({"to"}), EVENT_PLACE_TYPES) or next(
        (p for d in visited for p in ctx.np_parties(d, resolve=False) if p.type in EVENT_PLACE_TYPES), None
    )


def _path(tok: Any, steps: int = 5) -> list[Any]:
    out = [tok]
    cur = tok
    for _ in range(steps):
        if cur.head == cur:
            break
        cur = cur.head
        out.append(cur)
        if cur.dep_ == "ROOT":
            break
    return out


def _status(ctx: ArticleContext, tok: Any, kind: str, verb: Any | None, in_force: bool = False) -> str:
    """The status the cues around the trigger give; ``in_force``: an agreement a verb tells is in
    force ("the truce began", "violated the deal"), agreed unless a cue says otherwise."""
    lex = ctx.lex
    if _in_past_frame(tok):
        return "agreed" if kind == "agreement" else "held"  # "during the meeting, …", "after talks, …"
    clause = tok if tok.pos_ == "VERB" else verb
    if _hypothetical(clause) or (clause is not None and clause.dep_ == "pcomp" and clause.head.lower_ in NOT_YET):
        # ("… before agreeing to a ceasefire": no ceasefire agreed)
        return "threatened" if kind in THREAT_KINDS else "proposed"
    cues: set[str] = set()
    own_cues = lex.kind_status_cues.get(kind, {})
    path = _path(tok)
    # only climb above a reporting verb's complement when the trigger is the reported thing
    for node in path:
        words = [node] + [c for c in node.children if c.dep_ in ("aux", "amod", "acomp", "neg", "auxpass", "advmod")]
        if node is not tok and node.lemma_.lower() in lex.tenseless_verbs:
            words = [node]  # ("have acknowledged a meeting": the saying's aspect, not the meeting's)
        for w in words:
            lemma = w.lemma_.lower()
            status = own_cues.get(lemma) or lex.status_cues.get(lemma) or lex.status_cues.get(w.lower_)
            if status is None or (w is tok and (tok.pos_ != "VERB" or _not_its_status(kind, status))):
                continue
            if status == "proposed" and w is node and tok.dep_ == "nsubj" and node.i == tok.head.i:
                continue  # ("the deal calls for a 60-day truce": it proposes another thing, it is not proposed)
            cues.add(status)
        for clause in (c for c in node.children if c.dep_ == "advcl"):
            if any(m.dep_ == "mark" and m.lower_ in CONDITIONS for m in clause.children):
                cues.add("threatened")  # "sanctions if Russia fails to …": a conditional threat
        if node is not tok and node.lemma_.lower() in lex.speech_verbs and node.lemma_.lower() not in lex.status_cues:
            break
        if node.dep_ == "relcl":
            break  # "Yermak, who attended the meetings, called them positive": not a call for them
        if node.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in OWN_CLAUSES for c in node.children):
            # "…, while Washington announced sanctions", "a day after the two leaders held a
            # call": that clause's status, not the main one's ("not ready" made the call proposed)
            break
    if "threatened" in cues and kind not in THREAT_KINDS:
        cues.discard("threatened")
        cues.add("proposed")
    chosen = next((s for s in lex.precedence if s in cues), None)
    if chosen is None:
        anchor = tok if tok.pos_ == "VERB" else verb
        if anchor is verb and verb is not None and verb.lemma_.lower() in lex.tenseless_verbs:
            anchor = None  # ("confirmed the calls": when it was said)
        past = anchor is not None and _past(anchor)
        chosen = "held" if past or kind in THREAT_KINDS else "planned"
    if kind in ("proposal", "offer", "demand") and chosen in ("held", "planned", "agreed"):
        return "proposed"
    if chosen == "agreed" and kind != "agreement":
        # "agreed to resume talks": talks to come; "agreed new sanctions": sanctions adopted
        return "held" if kind in THREAT_KINDS else "planned"
    if kind == "agreement" and chosen in ("held", "planned"):
        if not cues:  # a deal only mentioned ("discussed the deal") is not one reached, unless it
            return "agreed" if in_force else MENTIONED  # is the one told before (see _inherit)
        return "agreed" if chosen == "held" else chosen
    return chosen


def _in_past_frame(tok: Any) -> bool:
    """ "after talks, …", "during the meeting", "after weeks of talks", "following two rounds of
    negotiations": an event the sentence tells as past, whatever its main verb's tense."""
    cur = tok
    while cur.dep_ == "pobj" and cur.head.lower_ == "of" and cur.head.head.pos_ == "NOUN":
        cur = cur.head.head
    return bool(cur.dep_ == "pobj" and cur.head.lower_ in PAST_FRAMES)


def _hypothetical(clause: Any | None) -> bool:
    """Whether the event's clause is the condition of what only would happen ("a breakthrough
    would only come when he and Putin meet", "if they met, a deal could follow"): an event
    wished for or supposed, not one planned (the "would" above it had made it upcoming)."""
    if clause is None or clause.dep_ != "advcl":
        return False
    if not any(c.dep_ in ("mark", "advmod") and c.lower_ in HYPOTHESES for c in clause.children):
        return False
    return any(c.dep_ == "aux" and c.lower_ in MODALS for c in clause.head.children)


def _not_its_status(kind: str, status: str) -> bool:
    """Whether a trigger verb's own word cues a status its event cannot take: "struck a hospital"
    is a strike held, not agreed (as "struck a deal" is)."""
    return status == "agreed" and kind != "agreement"


def _negated(ctx: ArticleContext, tok: Any, verb: Any | None) -> bool:
    lex = ctx.lex
    if any(c.dep_ in ("det", "neg") and c.lower_ in lex.negation_dets for c in tok.children):
        return True
    if any(c.dep_ == "neg" for c in tok.children) and tok.pos_ == "VERB":
        return True
    head = tok.head
    if tok.dep_ in ("pobj", "pcomp") and head.lower_ in lex.negation_preps:
        return True  # "without a deal", "without agreeing to …"
    for anc in list(tok.ancestors)[:3]:  # "had no plans to meet", "no intention of signing a deal"
        if anc.pos_ == "NOUN" and any(c.dep_ == "det" and c.lower_ in lex.negation_dets for c in anc.children):
            return True
    if tok.pos_ == "VERB":
        for c in tok.children:
            if c.dep_ in ("nsubjpass", "dobj") and any(d.lower_ in lex.negation_dets for d in c.children):
                return True
    in_object = tok.dep_ in ("dobj", "nsubjpass", "attr")
    return bool(verb is not None and in_object and any(c.dep_ == "neg" for c in verb.children))


def _object(ctx: ArticleContext, tok: Any, kind: str) -> tuple[str | None, tuple[int, int] | None]:
    """What is proposed, offered, demanded, agreed or captured: the complement to the right of
    the trigger, up to the first comma or dash (a relative clause is not part of it) — not a
    comma between the adjectives of its head noun."""
    if kind not in PROPOSING and kind != "capture":
        return None, None
    for child in tok.children:
        if child.i < tok.i:
            continue
        wanted = (child.dep_ in OBJECT_DEPS and child.dep_ != "prep") or (
            child.dep_ == "prep" and child.lower_ in OBJECT_PREPS
        )
        if not wanted or (child.dep_ == "acl" and child.tag_ == "VBN"):
            continue  # ("a deal brokered by Qatar", "the accord signed in Doha": which one, not what)
        first = child.i + 1 if child.dep_ == "prep" else child.left_edge.i
        last = child.right_edge.i + 1
        head = next((c for c in child.children if c.dep_ == "pobj"), child) if child.dep_ == "prep" else child
        if head.ent_type_ in ("DATE", "TIME"):
            continue  # "agreed on Thursday to resume talks": when, not what
        for t in ctx.doc[first:last]:
            if t.i > first and t.dep_ == "prep" and any(c.ent_type_ in ("DATE", "TIME") for c in t.children):
                last = t.i  # "a ceasefire on Saturday": when, not what
                if t.head.i == t.i - 1 and t.head.dep_ == "acl" and t.head.i > first:
                    last = t.head.i  # ("a ceasefire starting at midnight")
                break
            if t.i > first and t.text in (",", "—", "–", ";", "("):
                if t.text == "," and t.i < head.i:  # "an immediate, unconditional ceasefire"
                    continue
                last = t.i
                break
        while last > first and ctx.doc[last - 1].is_space:
            last -= 1  # (a headline's line breaks)
        span = ctx.doc[first:last]
        if len(span) == 0:
            continue
        text = span.text if len(span.text) <= 160 else span.text[:157] + "…"
        return text, (span.start, span.end)
    return None, None


def _named(ctx: ArticleContext, tok: Any) -> tuple[str, tuple[int, int]]:
    """A noun with the words that say which one it is: "30-day ceasefire", "Easter truce"."""
    left = min([tok.i] + [c.left_edge.i for c in tok.children if c.dep_ in NAMING_DEPS and c.i < tok.i])
    span = ctx.doc[left : tok.i + 1]
    return span.text, (span.start, span.end)


def _named_by_compound(ctx: ArticleContext, tok: Any) -> tuple[str | None, tuple[int, int] | None]:
    """What a deal's own nouns say it is about ("peace agreement", "prisoner swap deal"); the
    parties it names ("the Russia-Ukraine deal") are not."""
    nouns = [
        c for c in tok.children if c.dep_ == "compound" and c.i < tok.i and c.pos_ == "NOUN" and ctx.party_at(c) is None
    ]
    if not nouns:
        return None, None
    first = min(t.i for c in nouns for t in c.subtree if t.pos_ not in ("DET", "PRON", "PUNCT"))
    span = ctx.doc[first : tok.i + 1]
    return span.text, (span.start, span.end)


def _vague(ctx: ArticleContext, obj: str) -> bool:
    """Whether what is proposed is only a word of the ``vague_objects`` list ("diplomacy")."""
    words = [w for w in obj.lower().split() if w not in ("a", "an", "the", "more", "for")]
    return " ".join(words) in ctx.lex.vague_objects


def _is_direct(tok: Any, verb: Any) -> bool:
    """Is the event the verb's object or an adjunct of that very verb ("held a call", "the use
    of sanctions", "after meetings with X, Y said") rather than something deeper?"""
    cur = tok
    while cur.dep_ == "pobj" and cur.head.lower_ == "of" and cur.head.head.pos_ == "NOUN":
        cur = cur.head.head
    return bool(cur.dep_ in ("dobj", "attr", "oprd") or (cur.dep_ == "pobj" and cur.head.head == verb))


def _proposer(ctx: ArticleContext, tok: Any, kind: str) -> list[Party]:
    """Who proposes a meeting, talks or a call that they say "must" happen, or describe "as"
    the next step ("X said future talks must include a summit between A and B")."""
    if kind not in ("meeting", "talks", "call"):
        return []
    lex = ctx.lex
    speech: Any | None = None
    as_head = tok.head.head if tok.dep_ == "pobj" and tok.head.lower_ == "as" else None
    if as_head is not None and as_head.pos_ == "NOUN" and as_head.dep_ == "dobj":
        as_head = as_head.head  # "described the next step as a meeting"
    if as_head is not None and as_head.lemma_.lower() in lex.speech_verbs:
        speech = as_head
    else:
        modal = False
        for node in _path(tok):
            if node is not tok and node.lemma_.lower() in lex.speech_verbs:
                speech = node if modal else None
                break
            modal = modal or any(c.dep_ == "aux" and c.lemma_.lower() in lex.proposing_modals for c in node.children)
    if speech is None:
        return []
    subj = ctx.subject_of(speech, max_up=3)
    return list(subj[1]) if subj is not None else []


def _past(verb: Any) -> bool:
    """A verb in a past tense: "met", "has met", "was held"; not a present passive ("the call is
    being watched", "talks are expected"), whose participle is no past."""
    if verb.tag_ == "VBD":
        return True
    if verb.tag_ != "VBN":
        return False
    return not any(
        c.dep_ in ("aux", "auxpass") and c.lemma_.lower() == "be" and c.tag_ in ("VBZ", "VBP", "VBG")
        for c in verb.children
    )


def _status_in_time(status: str, when: TimeExpr | None, published: date | None) -> str:
    """A date after publication makes a held event planned; one before makes a planned one held."""
    if when is None or when.date is None or published is None:
        return status
    if len(when.date) == 10:
        ref = published.isoformat()
    elif "-W" in when.date:
        ref = current_week(published)  # (from a Sunday, the week ending that day is past)
    else:
        return status
    if when.date > ref and status in ("held", "agreed"):
        return "planned"
    if when.date < ref and status == "planned":
        return "held"
    return status


def _refers_back(tok: Any) -> bool:
    """ "the talks", "Friday's talks", "their meeting": a mention of an event told before."""
    if tok.pos_ == "VERB":
        return True
    return any(
        (c.dep_ in ("det", "poss") and c.lower_ in REFERRING_DETS)
        or (c.dep_ == "poss" and c.pos_ == "PROPN")
        or (c.dep_ == "compound" and c.pos_ == "PROPN")
        for c in tok.children
    )


def _is_sanction_act(ctx: ArticleContext, tok: Any) -> bool:
    if tok.pos_ == "VERB":
        return True
    near = [tok.head, tok.head.head] + [c for c in tok.children if c.dep_ in ("acl", "relcl")]
    return any(n.lemma_.lower() in ctx.lex.sanction_heads for n in near)


def _find(ctx: ArticleContext, tok: Any) -> _Found | None:
    kind = _trigger_kind(ctx, tok)
    if kind is None:
        return None
    if kind == "sanction" and not _is_sanction_act(ctx, tok):
        return None
    lex = ctx.lex
    parties: list[Party] = []
    place: Party | None = None
    source_event: int | None = None
    verb: Any | None
    if tok.pos_ == "VERB":
        if kind == "call" and tok.tag_ == "VBG" and tok.dep_ == "advcl":
            return None  # "Speaking to reporters, X said …" frames a statement, it is no call
        verb = tok
        # a gerund that is itself a subject ("Kyiv says shelling continued") has no agent above
        subj = ctx.subject_of(tok) if tok.dep_ not in ("nsubj", "nsubjpass", "csubj") else None
        if subj is not None and _trigger_kind(ctx, subj[0]) is None:
            parties.extend(subj[1])
        for child in tok.children:
            if child.dep_ == "dobj" and kind in ("meeting", "call"):
                parties.extend(ctx.np_parties(child))
            elif child.dep_ == "prep" and (child.lower_ in PARTY_PREPS or (kind == "call" and child.lower_ == "to")):
                for pobj in (c for c in child.children if c.dep_ == "pobj"):
                    parties.extend(ctx.np_parties(pobj))
    else:
        own, place = _noun_parties(ctx, tok, kind)
        parties.extend(own)
        verb = _governing_verb(tok)
        # the subject of the governing verb takes part only when the event is its object or an
        # adjunct of that very verb ("held a call", "after meetings with X, Y said"), not when
        # the event sits deeper ("ahead of his conversation with X")
        if verb is not None and _is_direct(tok, verb):
            vlemma = verb.lemma_.lower()
            agentive = vlemma in lex.strike_agent_verbs if kind == "strike" else vlemma not in lex.commentary_verbs
            if kind in CONSUMING and vlemma in lex.respondent_verbs:
                agentive = False  # ("Hamas was studying the proposal", "Kyiv rejected the demand")
            between = any(c.dep_ == "prep" and c.lower_ in ("between", "among") for c in tok.children)
            if between and len({p.id for p in own}) >= 2:
                agentive = False  # ("Qatar is hosting talks between Congo and the M23": a host)
            if agentive:
                subj = ctx.subject_of(verb, max_up=3, strict=True)
                # "the talks ended with an agreement": parties come from the talks, not "Istanbul"
                if subj is not None and _trigger_kind(ctx, subj[0]) is None:
                    parties.extend(subj[1])
                elif subj is not None and kind == "agreement":
                    source_event = subj[0].i  # "the talks ended with an agreement"
        if not parties and kind in REPORTED_KINDS and tok.dep_ in ("nsubj", "nsubjpass"):
            # "the leaders warned that further sanctions could follow": the warners
            speech = next((a for a in tok.ancestors if a.lemma_.lower() in lex.speech_verbs), None)
            if speech is not None:
                subj = ctx.subject_of(speech, max_up=3)
                if subj is not None:
                    parties.extend(subj[1])
    if kind == "strike":
        parties = [p for p in parties if p.type in STATE_TYPES or p.type == "ORG"]
    if kind == "meeting" and len(unique(parties)) > 1 and all(p.type in STATE_TYPES for p in parties):
        kind = "talks"  # states hold talks; people meet
    # the verb whose subject the event is frames it too ("talks are scheduled to take place in London")
    frame = verb if verb is not None or tok.dep_ not in ("nsubj", "nsubjpass") else tok.head
    place = place or _place(ctx, tok, frame, kind)
    if place is not None:
        parties = [p for p in parties if p.id != place.id] if kind in DIPLOMACY else parties
    tense_verb = tok.head if verb is None and tok.dep_ in ("nsubj", "nsubjpass") else verb
    in_force = kind == "agreement" and tok.pos_ != "VERB" and _in_force_verb(ctx, tok) is not None
    status = _status(ctx, tok, kind, tense_verb, in_force=in_force)
    mentioned = status == MENTIONED
    status = "proposed" if mentioned else status
    obj, obj_span = _object(ctx, tok, kind)
    if in_force and not lex.event_nouns.get(tok.lemma_.lower()):  # a ceasefire noun: it is what is agreed
        if status not in ("agreed", "planned"):
            return None  # "the ceasefire must hold", "failed to reach a truce": none reported in force
        obj, obj_span = _named(ctx, tok)
    elif kind == "agreement" and obj is None and tok.pos_ == "NOUN":
        obj, obj_span = _named_by_compound(ctx, tok)  # "a peace agreement", "a ceasefire deal"
    # (the main clause's day is not that of talks it tells as past: "reached a truce on Friday
    # after weeks of talks")
    anchors = [tok] if _in_past_frame(tok) else [tok, *_clause_verbs(frame)]
    travel = _travel_verb(ctx, tok, verb)
    if travel is not None and travel not in anchors:  # ("will travel to Beirut next week to meet …")
        anchors.append(travel)
    if obj_span is not None:  # "agreed to a ceasefire on Saturday": the day is the agreement's
        anchors.append(ctx.doc[obj_span[0] : obj_span[1]].root)
    # (what is planned, proposed or threatened lies ahead: "talks before the end of June")
    ahead = status in ("planned", "proposed", "threatened")
    when = find_time(ctx.time_candidates(tok), anchors, ctx.published, ctx.lex, future=ahead)
    status = _status_in_time(status, when, ctx.published)
    if kind in ("proposal", "offer", "demand") and obj is not None and _vague(ctx, obj):
        return None  # "pushed for diplomacy", "called for calm": a stance, not a proposal of anything
    proposer = _proposer(ctx, tok, kind)
    if proposer:
        phrase = ctx.doc[tok.left_edge.i : tok.right_edge.i + 1]
        kind, parties, status = "proposal", proposer, "proposed"
        obj, obj_span = phrase.text[:160], (phrase.start, phrase.end)
    left = min(
        [tok.i] + [c.left_edge.i for c in tok.children if c.dep_ in ("compound", "amod", "poss") and c.i < tok.i]
    )
    start = ctx.doc[left].idx
    return _Found(
        tok,
        kind,
        tuple(unique(parties)),
        status,
        _negated(ctx, tok, verb),
        place,
        when,
        obj,
        obj_span,
        start,
        tok.idx + len(tok.text),
        refers_back=_refers_back(tok),
        source_event=source_event,
        mentioned=mentioned,
    )


def extract_events(ctx: ArticleContext) -> list[Claim]:
    found: list[_Found] = []
    for sent in ctx.sents:
        in_sent = [f for f in (_find(ctx, tok) for tok in sent) if f is not None]
        # a meeting inside a proposal/offer/demand is what is proposed, not an event of its own
        spans = [f.object_span for f in in_sent if f.object_span is not None and f.kind in CONSUMING]
        in_sent = [f for f in in_sent if not any(s <= f.trigger.i < e for s, e in spans if f.kind not in PROPOSING)]
        found.extend(in_sent)
        for f in in_sent:  # who "the two sides" are in the sentences after
            if f.kind in TWO_SIDED and len({p.id for p in f.parties}) >= 2 and not f.negated:
                ctx.sides.append((f.start, tuple(unique(f.parties))))
    found = _inherit(ctx, found)
    claims: list[Claim] = []
    seen: set[tuple[str, frozenset[str], int]] = set()
    for f in found:
        if not f.parties:
            continue
        f = replace(f, parties=tuple(unique(ctx.as_actor(p) for p in f.parties)))
        kind = f.kind
        if kind == "meeting" and all(p.type in STATE_TYPES for p in f.parties) and len(f.parties) > 1:
            kind = "talks"
        key = (kind, frozenset(p.id for p in f.parties), ctx.sent(f.trigger).start)
        if key in seen:
            continue
        seen.add(key)
        claims.append(
            Claim(
                kind="event",
                asserted_by=ctx.attribution(f.trigger),
                confidence=0.5 if f.inherited else 0.7,
                evidence=ctx.evidence(f.start, f.end),
                event=Event(
                    kind=kind,
                    participants=tuple(p.id for p in f.parties),
                    status=f.status,
                    place=f.place.id if f.place else None,
                    time=f.time,
                    object=f.object,
                    negated=f.negated,
                ),
            )
        )
    return claims


def _told_before(f: _Found, prev: _Found) -> _Found:
    """ "Biden welcomed the agreement", "Kyiv rejected the demand": the agreement or demand told
    before (its object; its status, when this mention says none), not an object-less one."""
    status = prev.status if f.mentioned else f.status
    return replace(f, object=f.object or prev.object, status=status)


def _inherit(ctx: ArticleContext, found: list[_Found]) -> list[_Found]:
    """Events naming no party take them from the event they came out of ("the talks led to an
    agreement") or from the previous event of a related kind ("the talks", "the attack")."""
    out: list[_Found] = []
    last: dict[str, _Found] = {}
    by_token: dict[int, _Found] = {}
    for f in sorted(found, key=lambda f: f.start):
        incomplete = not f.parties or (f.kind in TWO_SIDED and len(f.parties) < 2)
        source = by_token.get(f.source_event) if f.source_event is not None else None
        prev = next((last[k] for k in ctx.lex.inherit_from.get(f.kind, ()) if k in last), None)
        if incomplete and source is not None and source.parties:
            f = replace(f, parties=tuple(unique([*f.parties, *source.parties])), inherited=True)
        elif incomplete and f.refers_back and prev is not None:
            own = {p.id for p in f.parties}
            same_place = f.place is None or prev.place is None or f.place.id == prev.place.id
            if same_place and (not own or own & {p.id for p in prev.parties}):
                merged = tuple(unique([*f.parties, *prev.parties]))
                f = replace(f, parties=merged, place=f.place or prev.place, inherited=True)
                if f.kind == prev.kind and f.kind in PROPOSING:
                    f = _told_before(f, prev)
        by_token[f.trigger.i] = f
        if f.kind in TWO_SIDED and len(f.parties) < 2:
            continue
        if f.parties and not f.negated:
            last[f.kind] = f
        out.append(f)
    return out
