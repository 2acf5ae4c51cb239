"""Counts: a number about something, with category, lower bound, actor, place, time and source.

A number counts only when it counts a known kind of thing (people, drones, missiles, prisoners —
``data/counts.toml``) and a verb or context gives the category. Years, times, durations,
ordinals and percentages are not counts. Numbers that break a count down ("Two civilians were
killed, one in A and another in B") add nothing; single victims told one by one ("a woman was
killed … another civilian died") add up to one count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from consumers.claims.context import ArticleContext, Party
from consumers.claims.lexicon import Category
from consumers.claims.records import Claim, Count
from consumers.claims.timeexpr import find_time

_NOT_NUMBERS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "ORDINAL", "QUANTITY"})
_CLOCK = re.compile(r"^\d{1,2}[:.]\d{2}$")
_YEARLIKE = re.compile(r"^(1[89]|20|21)\d{2}$")
_GLUED = re.compile(r"[—–](\d[\d,]*)$")
_ARGUMENT = frozenset({"nsubj", "nsubjpass", "dobj", "pobj", "attr", "conj", "appos"})


@dataclass(frozen=True)
class _Found:
    category: str
    value: float
    lower: bool
    start: int
    end: int
    anchor: Any  # the token whose clause gives actor, place, time and source
    noun_class: str
    confidence: float


def number_value(text: str, words: dict[str, int]) -> float | None:
    """The value of a number word or figure ("1,000", "nine", "2.5"), or None."""
    text = text.lower().replace(",", "").replace("\u202f", "")
    if text in words:
        return float(words[text])
    try:
        return float(text)
    except ValueError:
        return None


def _number_part(ctx: ArticleContext, tok: Any) -> tuple[str, int] | None:
    """The number a token holds and its offset; a dash glued to a number ("launched—88") is
    split here because the tokenizer keeps it in one token."""
    if tok.like_num or tok.lower_ in ctx.lex.number_words:
        return tok.text, tok.idx
    m = _GLUED.search(tok.text)
    if m:
        return m.group(1), tok.idx + m.start(1)
    return None


#: Number words that multiply the number before them ("two hundred", "1.7 million").
_SCALES = frozenset({"hundred", "thousand", "million"})


def _scaled(ctx: ArticleContext, tok: Any, value: float) -> tuple[float, Any]:
    """A scale word's value times the number before it, and that number's token ("1.7 million"
    is 1,700,000 from "1.7"; it was read as one million, "two hundred" as a hundred)."""
    if tok.lower_ not in _SCALES:
        return value, tok
    for child in tok.children:
        if child.i < tok.i and child.dep_ in ("compound", "nummod", "quantmod") and child.pos_ == "NUM":
            factor = number_value(child.text, ctx.lex.number_words)
            if factor is not None:
                return factor * value, child
    return value, tok


def _is_count_number(ctx: ArticleContext, tok: Any) -> bool:
    if _number_part(ctx, tok) is None or tok.lower_ in ("a", "an"):
        return False
    if tok.ent_type_ in _NOT_NUMBERS or _CLOCK.match(tok.text):
        return False
    if _YEARLIKE.match(tok.text) and "," not in tok.text:
        return False
    nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
    return not (nxt is not None and nxt.lemma_.lower() in ctx.lex.not_counted)


def _noun_class(ctx: ArticleContext, noun: Any) -> str | None:
    words = {noun.lemma_.lower(), noun.lower_}
    for compound in (c for c in noun.children if c.dep_ == "compound"):
        words.add(compound.lemma_.lower())
    for name, nouns in ctx.lex.noun_classes.items():
        if words & nouns:
            return name
    if noun.ent_type_ == "NORP" and "Plur" in noun.morph.get("Number"):
        return "people"  # "46,000 Palestinians", "three Israelis": a people's members are people
    return None


def _verbs(noun: Any) -> list[Any]:
    """Verbs that say what happened to the counted things: participles on the noun
    ("drones launched") and the governing verbs above it."""
    out = [c for c in noun.children if c.dep_ in ("acl", "relcl", "amod") and c.pos_ in ("VERB", "ADJ")]
    cur = noun
    for _ in range(4):
        if cur.head == cur:
            break
        cur = cur.head
        if cur.pos_ == "NUM":
            break  # "15 of the 20 missiles fired": what happened to the 15 is not said of the 20
        if cur.pos_ in ("VERB", "AUX") or (cur.pos_ == "ADJ" and cur.dep_ in ("ROOT", "acomp")):
            out.append(cur)
            if cur.pos_ != "AUX":
                break
    return out


def _partitive(tok: Any) -> Any | None:
    """The noun of the whole in "15 of the 20 missiles"."""
    for prep in (c for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"):
        for pobj in (c for c in prep.children if c.dep_ == "pobj"):
            return pobj
    return None


def _toll(ctx: ArticleContext, tok: Any) -> str | None:
    """ "the death toll rose to 31" → killed."""
    head = tok.head.head if tok.dep_ == "pobj" else tok.head if tok.dep_ in ("attr", "dobj") else None
    if head is None or head.pos_ not in ("VERB", "AUX"):
        return None
    for subj in (c for c in head.children if c.dep_ == "nsubj"):
        words = {subj.lemma_.lower()} | {f"{c.lower_}-{subj.lemma_.lower()}" for c in subj.children}
        for word in words:
            if word in ctx.lex.tolls:
                return ctx.lex.tolls[word]
    return None


def _class_by_verb(ctx: ArticleContext, tok: Any) -> str | None:
    """ "killing 5 and wounding 12": a bare number whose verb only ever counts one kind of thing."""
    if tok.dep_ not in ("dobj", "nsubjpass", "conj") or tok.head.pos_ != "VERB":
        return None
    lemma = tok.head.lemma_.lower()
    classes = {c.noun_class for c in ctx.lex.categories if lemma in c.verbs and not c.default}
    return classes.pop() if len(classes) == 1 else None


def _category(ctx: ArticleContext, noun_class: str, verbs: list[Any], sent_lemmas: set[str]) -> Category | None:
    cats = [c for c in ctx.lex.categories if c.noun_class == noun_class]
    lemmas = {v.lemma_.lower() for v in verbs} | {v.lower_ for v in verbs}
    for cat in cats:
        if lemmas & cat.verbs:
            return cat
    for cat in cats:
        if cat.context & sent_lemmas:
            return cat
    for cat in cats:
        if cat.default:
            return cat
    return None


def _lower_bound(ctx: ArticleContext, tok: Any, start: int) -> tuple[bool, int]:
    """Whether "at least"/"more than" … precede the number, and where the phrase starts."""
    window_start = max(0, start - 25)
    before = ctx.text[window_start:start].lower().rstrip()
    if tok.idx != start:
        return False, start
    for phrase in ctx.lex.lower_bound:
        if before.endswith(phrase) and (len(before) == len(phrase) or not before[-len(phrase) - 1].isalnum()):
            return phrase in ctx.lex.strict_lower_bound, window_start + len(before) - len(phrase)
    return False, start


def _duration_count(ctx: ArticleContext, tok: Any, value: float) -> _Found | None:
    """ "a 30-day ceasefire", "30 day truce" → ceasefire_days."""
    doc = ctx.doc
    if not tok.like_num:
        return None
    window = doc[tok.i + 1 : min(len(doc), tok.i + 7)]
    for name, (units, heads) in ctx.lex.duration_units.items():
        unit = next((t for t in window[:2] if t.lemma_.lower() in units), None)
        if unit is None:
            continue
        head = next((t for t in window if t.lemma_.lower() in heads or t.lower_ in heads), None)
        if head is not None and head.i > unit.i:
            return _Found(name, value, False, tok.idx, head.idx + len(head.text), head, "", 0.85)
    return None


def _victims(ctx: ArticleContext, sent: Any, counted: set[str]) -> list[tuple[Any, str, bool]]:
    """Single people killed/injured named with "a"/"another" ("a woman was killed")."""
    people = ctx.lex.noun_classes.get("people", frozenset())
    out: list[tuple[Any, str, bool]] = []
    for tok in sent:
        if tok.pos_ != "NOUN" or tok.tag_ != "NN" or tok.lemma_.lower() not in people:
            continue
        det = next((c.lower_ for c in tok.children if c.dep_ == "det"), None)
        if det not in ("a", "an", "another"):
            continue
        cat = _category(ctx, "people", _verbs(tok), set())
        if cat is None or cat.default or cat.name in counted:
            continue
        if not (set(v.lemma_.lower() for v in _verbs(tok)) & cat.verbs):
            continue
        out.append((tok, cat.name, det == "another"))
    return out


def extract_counts(ctx: ArticleContext) -> list[Claim]:
    found: list[_Found] = []
    pending: list[tuple[Any, str, int]] = []  # single victims being added up: (token, category, sent no)
    sents = ctx.sents
    for sent_no, sent in enumerate(sents):
        sent_lemmas = {t.lemma_.lower() for t in sent}
        in_sentence: list[_Found] = []
        last_class: str | None = None
        counted_nouns: set[int] = set()
        for tok in sent:
            part = _number_part(ctx, tok)
            value = number_value(part[0], ctx.lex.number_words) if part is not None else None
            if part is None or value is None:
                continue
            value, first = _scaled(ctx, tok, value)
            duration = _duration_count(ctx, tok, value)
            if duration is not None:
                in_sentence.append(duration)
                continue
            if not _is_count_number(ctx, tok):
                continue
            noun = tok.head if tok.dep_ in ("nummod", "quantmod") else None
            if noun is not None and noun.pos_ == "NUM":
                continue  # "two hundred": the outer number carries it
            noun_class = _noun_class(ctx, noun) if noun is not None else None
            whole = _partitive(tok) if noun is None else None
            if whole is not None:
                noun_class = _noun_class(ctx, whole)  # "15 of the 20 missiles": 15 missiles
            toll = _toll(ctx, tok) if noun is None else None
            if toll is not None:
                lower, start = _lower_bound(ctx, first, first.idx if first is not tok else part[1])
                end = part[1] + len(part[0])
                in_sentence.append(_Found(toll, value, lower, start, end, tok, "people", 0.75))
                continue
            anaphoric = noun is None or noun.lower_ in ctx.lex.anaphoric_nouns
            if noun_class is None and anaphoric:
                if noun is None and in_sentence and tok.dep_ not in ("nsubj", "nsubjpass", "dobj"):
                    continue  # "one in Kyiv and another in …" breaks down a count already made
                noun_class = last_class or _class_by_verb(ctx, tok)
            if noun_class is None:
                continue
            anchor = noun if noun is not None else tok
            if anchor.i in counted_nouns:
                continue
            cat = _category(ctx, noun_class, _verbs(anchor), sent_lemmas)
            if cat is None:
                continue
            lower, start = _lower_bound(ctx, first, first.idx if first is not tok else part[1])
            end = max(part[1] + len(part[0]), anchor.idx + len(anchor.text))
            conf = 0.85 if not anaphoric else 0.7
            in_sentence.append(_Found(cat.name, value, lower, start, end, anchor, noun_class, conf))
            counted_nouns.add(anchor.i)
            last_class = noun_class
        found.extend(in_sentence)
        for tok, category, is_another in _victims(ctx, sent, {f.category for f in in_sentence}):
            if is_another and pending and pending[-1][1] == category and sent_no - pending[-1][2] <= 2:
                pending.append((tok, category, sent_no))
            elif not is_another:
                found.extend(_flush(pending))
                pending = [(tok, category, sent_no)]
        if pending and sent_no - pending[-1][2] > 2:
            found.extend(_flush(pending))
            pending = []
    found.extend(_flush(pending))
    return [_claim(ctx, f) for f in _dedupe(ctx, found)]


def _flush(pending: list[tuple[Any, str, int]]) -> list[_Found]:
    if not pending:
        return []
    first, last = pending[0][0], pending[-1][0]
    start = first.left_edge.idx
    return [_Found(pending[0][1], float(len(pending)), False, start, last.idx + len(last.text), first, "people", 0.6)]


def _dedupe(ctx: ArticleContext, found: list[_Found]) -> list[_Found]:
    seen: set[tuple[str, float, int]] = set()
    out: list[_Found] = []
    for f in sorted(found, key=lambda f: f.start):
        key = (f.category, f.value, ctx.sent(f.anchor).start)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


#: Prepositions that say where: "in Kherson", "at Odesa", "on Kharkiv".
_PLACE_PREPS = frozenset({"in", "at", "near", "on", "across", "over"})


def _how(clause: Any) -> bool:
    """Whether an adverbial clause tells how the count came about ("when shells hit …")."""
    return any(c.dep_ in ("mark", "advmod") and c.lower_ in ("when", "as", "after") for c in clause.children)


def _reporting(ctx: ArticleContext, verb: Any) -> bool:
    return bool(verb.lemma_.lower() in ctx.lex.attribution_verbs)


def _reported_by(ctx: ArticleContext, verb: Any, subject: Any) -> bool:
    """Whether ``subject`` is who reports what ``verb`` says ("officials said 273 drones were
    launched", "the air force reported 273 drones launched"): the count's source
    (``asserted_by``), not its actor. A subject that reports its own act ("reported
    intercepting 88 drones", "claimed to have downed 25") is both."""
    tok = verb
    while tok.i != subject.head.i and tok.head.i != tok.i:
        if tok.dep_ != "xcomp" and _reporting(ctx, tok.head):
            return True
        tok = tok.head
    return False


def _claim(ctx: ArticleContext, f: _Found) -> Claim:
    verbs = _verbs(f.anchor)
    actor: Party | None = None
    subject: Any | None = None  # the subject of what happened to the counted things
    for verb in verbs if f.noun_class else []:  # a duration ("a 30-day truce") has no actor
        if verb.pos_ != "VERB":
            continue
        if _reporting(ctx, verb):
            break  # "the air force reported 273 drones": what is counted is what it reports
        subj = ctx.subject_of(verb, max_up=3)
        if subj is None or subj[0].i == f.anchor.i:
            continue
        if not _reported_by(ctx, verb, subj[0]):
            subject = subject or subj[0]
            actor = subj[1][0] if subj[1] else None
        if subj[1]:
            break
    # where: said of the counted things or their verbs, else inside the verb's subject ("a strike
    # on a bus in Sumy killed nine") or the clause of how it happened ("were killed when shells
    # hit a market in El Fasher"); without it, a count naming only who had nothing to tell it
    # from another incident's count
    clauses = [*verbs, *(c for v in verbs for c in v.children if c.dep_ == "conj" and c.pos_ == "VERB")]
    how = [c for v in clauses for c in v.children if c.dep_ == "advcl" and _how(c)]
    # "a drone hit a building in Kharkiv, injuring five": the clause the participle tells of
    hits = [v.head for v in verbs if v.dep_ == "advcl" and v.tag_ == "VBG" and v.head.pos_ == "VERB"]
    hit = [c for h in hits for c in h.children if c.dep_ == "dobj"]
    place = ctx.place_near(
        [f.anchor, *verbs, *hits], _PLACE_PREPS, within=[*([subject] if subject else []), *how, *hit]
    )
    when = find_time(ctx.time_candidates(f.anchor), [f.anchor, *verbs], ctx.published, ctx.lex)
    return Claim(
        kind="count",
        asserted_by=ctx.attribution(verbs[0] if verbs else f.anchor),
        confidence=f.confidence,
        evidence=ctx.evidence(f.start, f.end),
        count=Count(
            category=f.category,
            value=f.value,
            lower_bound=f.lower,
            text=ctx.text[f.start : f.end],
            actor=ctx.as_actor(actor).id if actor else None,
            place=place.id if place else None,
            time=when.text if when else None,
        ),
    )
