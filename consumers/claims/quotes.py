"""Quotes: direct quotations with their speaker and cue verb, and indirect ("X said that …") speech.

The attribution is found by the dependency parse of the sentences a quotation touches: the
nearest speech verb outside the quotation marks, and its (possibly climbed-to) subject. A
quotation without a speech verb nearby continues the previous speaker's quotation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from consumers.claims.context import ArticleContext, Party
from consumers.claims.records import AssertedBy, Claim, Quote

# curly pairs, then straight pairs; a quotation stays within one paragraph
_CURLY = re.compile(r"“([^“”\n]{1,3000})”")
_STRAIGHT = re.compile(r"\"([^\"\n]{1,3000})\"")
_WORD = re.compile(r"\w+")
MAX_SPEAKER_TOKENS = 10


@dataclass(frozen=True)
class Speaker:
    text: str
    entity: str | None
    cue: str
    cue_index: int
    resolved: bool  # True when it came from a pronoun or a previous quotation


def quotation_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quotation including its marks, in text order, without overlaps."""
    spans = [(m.start(), m.end()) for m in _CURLY.finditer(text)]
    for m in _STRAIGHT.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e in spans):
            spans.append((m.start(), m.end()))
    return sorted(spans)


def _phrase(ctx: ArticleContext, head: Any) -> str:
    left, right = head.left_edge.i, head.right_edge.i + 1
    if right - left > MAX_SPEAKER_TOKENS:
        left, right = max(left, head.i - MAX_SPEAKER_TOKENS + 1), head.i + 1
    return str(ctx.doc[left:right].text).strip(" ,")


def _speaker_of(ctx: ArticleContext, cue: Any) -> Speaker | None:
    found = ctx.subject_of(cue)
    if found is None:
        return None
    head, parties = found
    resolved = head.pos_ == "PRON" or not any(ctx.party_at(t) for t in head.subtree)
    best: Party | None = _prefer(parties)
    text = best.text if best is not None and head.pos_ == "PRON" else _phrase(ctx, head)
    return Speaker(text, best.id if best else None, cue.text, cue.i, resolved)


def _prefer(parties: list[Party]) -> Party | None:
    """A person first ("a spokesperson for UK Prime Minister X" → X), then anything."""
    for kind in ("PERSON", "ORG", "GPE", "LOC"):
        for p in parties:
            if p.type == kind:
                return p
    return parties[0] if parties else None


def _cue_near(ctx: ArticleContext, start: int, end: int, spans: list[tuple[int, int]]) -> Any | None:
    first = ctx.sent_at(start)
    last = ctx.sent_at(end - 1)
    if first is None or last is None:
        return None
    candidates: list[tuple[int, Any]] = []
    for sent in {first.start: first, last.start: last}.values():
        for tok in sent:
            if tok.lemma_.lower() not in ctx.lex.speech_verbs or tok.pos_ not in ("VERB", "AUX"):
                continue
            if any(s <= tok.idx < e for s, e in spans):
                continue
            distance = start - tok.idx if tok.idx < start else tok.idx - end
            candidates.append((distance, tok))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


def _according_to(ctx: ArticleContext, start: int, end: int) -> Speaker | None:
    """ "According to X, “…”": X is the speaker when no speech verb is at hand."""
    first, last = ctx.sent_at(start), ctx.sent_at(end - 1)
    if first is None or last is None:
        return None
    for tok in ctx.doc[first.start : last.end]:
        if tok.lower_ != "according" or start <= tok.idx < end:
            continue
        to = next((c for c in tok.children if c.lower_ == "to"), None)
        pobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
        if pobj is not None:
            best = _prefer(ctx.np_parties(pobj))
            return Speaker(_phrase(ctx, pobj), best.id if best else None, "according to", tok.i, False)
    return None


def _someone_else(ctx: ArticleContext, previous: tuple[int, Speaker], start: int) -> bool:
    """Is another person named between the previous quotation and this one? Then this one
    does not simply continue the previous speaker."""
    between = ctx.doc.char_span(previous[0], start, alignment_mode="contract")
    if between is None:
        return False
    for tok in between:
        p = ctx.party_at(tok)
        if p is not None and p.type == "PERSON" and p.id != previous[1].entity:
            return True
    return False


def extract_quotes(ctx: ArticleContext) -> list[Claim]:
    """Direct quotations (≥ ``min_quote_words`` words) and indirect speech with a known speaker."""
    text = ctx.text
    spans = quotation_spans(text)
    claims: list[Claim] = []
    used_cues: set[int] = set()
    previous: tuple[int, Speaker] | None = None
    for start, end in spans:
        inner = text[start + 1 : end - 1]
        if len(_WORD.findall(inner)) < ctx.lex.min_quote_words:
            continue
        speaker: Speaker | None = None
        cue = _cue_near(ctx, start, end, spans)
        according = _according_to(ctx, start, end) if cue is None else None
        if according is not None:
            speaker = according
        elif cue is not None:
            speaker = _speaker_of(ctx, cue)
            if speaker is not None and speaker.entity is None and previous is not None:
                # "…," the spokesperson added: the same speaker as the quotation before
                head_word = speaker.text.split()[-1].lower() if speaker.text else ""
                if head_word and head_word in previous[1].text.lower() and start - previous[0] < 1500:
                    speaker = Speaker(previous[1].text, previous[1].entity, cue.text, cue.i, True)
        elif previous is not None and start - previous[0] < 1500 and not _someone_else(ctx, previous, start):
            p = previous[1]
            speaker = Speaker(p.text, p.entity, p.cue, p.cue_index, True)
        if speaker is None:
            continue
        used_cues.add(speaker.cue_index)
        previous = (end, speaker)
        confidence = 0.9 if speaker.entity and not speaker.resolved else 0.75 if speaker.entity else 0.5
        who = AssertedBy("source", speaker.text, speaker.entity)
        ctx.quote_spans.append((start, end, who))
        claims.append(
            Claim(
                kind="quote",
                asserted_by=who,
                confidence=confidence,
                evidence=ctx.evidence(start, end),
                quote=Quote(speaker.text, speaker.entity, speaker.cue, inner.strip(), True),
            )
        )
    claims.extend(_indirect(ctx, spans, used_cues))
    return claims


def _indirect(ctx: ArticleContext, spans: list[tuple[int, int]], used: set[int]) -> list[Claim]:
    out: list[Claim] = []
    for tok in ctx.doc:
        if tok.i in used or tok.lemma_.lower() not in ctx.lex.indirect_verbs or tok.pos_ not in ("VERB", "AUX"):
            continue
        if any(s <= tok.idx < e for s, e in spans):
            continue
        comps = [c for c in tok.children if c.dep_ == "ccomp" and c.i > tok.i]
        if not comps:
            continue
        speaker = _speaker_of(ctx, tok)
        if speaker is None or speaker.entity is None:
            continue
        comp = comps[0]
        span = ctx.doc[comp.left_edge.i : comp.right_edge.i + 1]
        if len(span) < 3 or tok.dep_ == "relcl" or span[0].tag_ in ("WDT", "WP"):
            continue  # "…, which he said could be critical": a remark inside a relative clause
        inside = sum(
            min(e, span.end_char) - max(s, span.start_char)
            for s, e in spans
            if s < span.end_char and span.start_char < e
        )
        if inside * 2 > span.end_char - span.start_char:
            continue  # mostly a direct quotation already taken
        start, end = span.start_char, span.end_char
        who = AssertedBy("source", speaker.text, speaker.entity)
        out.append(
            Claim(
                kind="quote",
                asserted_by=who,
                confidence=0.6 if not speaker.resolved else 0.5,
                evidence=ctx.evidence(start, end),
                quote=Quote(speaker.text, speaker.entity, tok.text, span.text, False),
            )
        )
    return out
