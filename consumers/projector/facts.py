"""Claims → facts: the normalized unit the view merges (pure: no Kafka, no clock, no environment).

A claim from ``newswire.claims.extracted`` becomes a :class:`Fact` with a *bucket* (the family of
items it can merge into: ``event:call``, ``count:killed``, ``proposals``, ``party:<speaker>``) and a
merge signature (participants, date, place, object tokens). Word lists come from
``data/lexicon.toml`` so that users can extend them.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from sys import intern
from typing import Any, NamedTuple

import orjson

from newswire.frozen import as_dict

#: Status → how far along it is; an item's status only moves forward (planned → held).
STATUS_RANK: Mapping[str, int] = {
    "proposed": 0,
    "threatened": 1,
    "planned": 1,
    "claimed": 2,
    "held": 3,
    "agreed": 3,
    "rejected": 3,
    "cancelled": 3,
}
DONE_STATUSES = frozenset({"held", "agreed", "rejected", "cancelled", "claimed"})
#: Kinds that merge by what they are about (the object), whoever proposes them.
OBJECT_KINDS = frozenset({"proposal", "offer", "demand", "agreement"})

#: How facts are derived from claims (buckets, signatures). A checkpoint records it with the
#: lexicon's digest, and a restart rebuilds a view whose facts were derived otherwise (its saved
#: facts would not merge with new ones as they should). Bump it with any change to that.
FACTS_VERSION = 4
TOKEN_CACHE_SIZE = 100_000
_TOKEN = re.compile(r"[0-9][0-9,.]*|[\w'’-]+", re.UNICODE)


@dataclass(frozen=True)
class Lexicon:
    """The user-extensible word lists of ``data/lexicon.toml``."""

    stopwords: frozenset[str]
    synonyms: Mapping[str, str]
    ceasefire_terms: frozenset[str]
    duration_categories: Mapping[str, str]
    sections: Mapping[str, tuple[str, str]]
    violence_counts: frozenset[str]
    role_words: frozenset[str]
    qualifiers: frozenset[str]
    place_splits: frozenset[str] = frozenset()
    #: event kind → the count categories shown with it, the first the one its label names
    figures: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: what the lists say (not how the file is laid out): a checkpoint records it, and a view
    #: saved under other lists is rebuilt, since its facts and items were derived with them
    digest: str = field(default="", compare=False)
    #: object text → its tokens (objects repeat across articles: "30-day ceasefire")
    token_cache: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Lexicon:
        raw = tomllib.loads(text)
        return cls(
            stopwords=frozenset(raw.get("stopwords", [])),
            synonyms={str(k): str(v) for k, v in raw.get("synonyms", {}).items()},
            ceasefire_terms=frozenset(raw.get("ceasefire", {}).get("terms", [])),
            duration_categories=dict(raw.get("ceasefire", {}).get("duration_categories", {})),
            sections={k: (str(v[0]), str(v[1])) for k, v in raw.get("sections", {}).items()},
            violence_counts=frozenset(raw.get("counts", {}).get("violence", [])),
            role_words=frozenset(raw.get("titles", {}).get("role_words", [])),
            qualifiers=frozenset(raw.get("titles", {}).get("qualifiers", [])),
            place_splits=frozenset(raw.get("merge", {}).get("place_splits", [])),
            figures={str(k): tuple(dict.fromkeys(map(str, v))) for k, v in raw.get("figures", {}).items()},
            digest=hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16],
        )


@cache
def lexicon() -> Lexicon:
    """The packaged lexicon (read once)."""
    text = resources.files("consumers.projector").joinpath("data/lexicon.toml").read_text(encoding="utf-8")
    return Lexicon.parse(text)


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def object_tokens(text: str | None, lex: Lexicon | None = None) -> tuple[str, ...]:
    """The content words of an object text, normalized for comparison (sorted, unique)."""
    if not text:
        return ()
    lex = lex or lexicon()
    known = lex.token_cache.get(text)
    if known is None:
        if len(lex.token_cache) >= TOKEN_CACHE_SIZE:
            lex.token_cache.clear()  # bounded: most texts are quotes, seen once
        known = lex.token_cache[text] = _tokens(text, lex)
    return known


def _tokens(text: str, lex: Lexicon) -> tuple[str, ...]:
    out: set[str] = set()
    for raw in _TOKEN.findall(text.lower().replace("’", "'")):
        word = raw.strip("'-")
        if not word:
            continue
        if word[0].isdigit():
            word = word.replace(",", "").rstrip(".")
            # "30-day" → "30" and "day"
        parts = [p for p in word.split("-") if p] if "-" in word and word not in lex.synonyms else [word]
        for part in parts:
            part = lex.synonyms.get(part, part)
            if part in lex.stopwords:
                continue
            out.add(lex.synonyms.get(_stem(part), _stem(part)))
    return tuple(sorted(out))


class Fact(NamedTuple):
    """One claim of one article, normalized for merging. Stored in checkpoints as JSON.

    A named tuple, not a dataclass: the projector makes one per claim, and a tuple is made
    several times faster (immutable all the same)."""

    article_id: str
    claim_id: str
    claim_kind: str  # event | count | quote | title
    bucket: str
    kind: str  # event kind, count category, "quote" or "title"
    status: str | None
    participants: tuple[str, ...]
    date: str | None
    place: str | None
    venue: str | None  # where it happened, as reported (does not split items)
    actor: str | None
    object_text: str | None
    object_key: tuple[str, ...]
    time_text: str | None
    value: float | None
    lower_bound: bool
    text: str | None  # quote text / count text / title
    speaker: str | None
    negated: bool
    asserted_by: str
    asserted_entity: str | None
    confidence: float
    sentence: str
    start: int
    end: int
    sentence_start: int

    def signature(self) -> tuple[Any, ...]:
        """Facts with equal signatures always land in the same item."""
        return signature_of(self)

    def match_key(self) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """What the core of the merge rule compares (see :mod:`consumers.projector.regions`)."""
        return (self.kind, self.participants, self.object_key)

    def to_json(self) -> list[Any]:
        return [list(v) if isinstance(v, tuple) else v for v in self]

    @classmethod
    def from_json(cls, raw: Sequence[Any], article_id: str | None = None) -> Fact:
        """A fact read back from a checkpoint, sharing its strings as a fact made from a claim
        does (a restored view held 7 % more than the view it restored); ``article_id``: the
        article's id string, shared by its facts."""
        values = list(raw)
        values[_PARTICIPANTS] = tuple([intern(p) for p in values[_PARTICIPANTS]])
        values[_OBJECT_KEY] = tuple([intern(t) for t in values[_OBJECT_KEY]])
        for i in _SHARED:
            if values[i] is not None:
                values[i] = intern(values[i])
        if article_id is not None:
            values[0] = article_id
        return cls._make(values)


_PARTICIPANTS, _OBJECT_KEY = Fact._fields.index("participants"), Fact._fields.index("object_key")
#: The string fields facts share (interned as they are made: :func:`_event_fact` and its kind, :func:`_said`,
#: :func:`_norm_entity`, token tuples from the lexicon's cache).
_SHARED = tuple(
    Fact._fields.index(name)
    for name in (
        "claim_kind",
        "bucket",
        "kind",
        "status",
        "place",
        "venue",
        "actor",
        "speaker",
        "asserted_by",
        "asserted_entity",
        "sentence",
    )
)


def signature_of(f: Fact) -> tuple[Any, ...]:
    """:meth:`Fact.signature` (a function: compiled, a call of it is native, of the method not)."""
    return (f.kind, f.participants, f.date, f.place, f.actor, f.object_key, f.speaker)


def match_key_of(signature: tuple[Any, ...]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """:meth:`Fact.match_key` of the facts with this :meth:`Fact.signature`."""
    return (signature[0], signature[1], signature[5])


def _object(value: Any) -> dict[str, Any] | None:
    """A JSON object of a claim as a dict (decoded events hold frozen dicts), or None."""
    if isinstance(value, dict):
        return value
    return as_dict(value) if isinstance(value, Mapping) else None


def _norm_entity(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    return intern(value.strip().lower()) or None


def _text(value: Any) -> str:
    """A value as text, one string for equal texts (most repeat: kinds, outlets, sentences)."""
    return intern(value if type(value) is str else str(value))


def facts_from_claims(article_id: str, claims: Iterable[Any], lex: Lexicon | None = None) -> list[Fact]:
    """The facts of one ``claims.extracted`` event (claims the view cannot place are skipped)."""
    lex = lex or lexicon()
    out: list[Fact] = []
    for raw in claims:
        claim = _object(raw)
        if claim is None:
            continue
        kind = claim.get("kind")
        if kind == "event":
            fact = _event_fact(article_id, claim, lex)
        elif kind == "count":
            fact = _count_fact(article_id, claim)
        elif kind == "quote":
            fact = _quote_fact(article_id, claim, lex)
        else:
            continue
        if fact is not None:
            out.append(fact)
            if kind == "count" and fact.kind in lex.duration_categories:
                implied = _implied(article_id, claim, lex)
                if implied is not None:
                    out.append(implied)
    return out


#: Who asserted a claim and where it was said (the last fields of every fact made from it): the
#: confidence a float and the offsets ints, kept as the objects they are (see :func:`_as_float`).
_Said = tuple[str, str | None, Any, str, Any, Any, Any]
_new_fact = tuple.__new__  # (a Fact made from its values at once: NamedTuple's own __new__ is Python code)


def _as_float(value: Any) -> Any:
    """``float(value)``, the same object when it is one. (Typed ``float``, compiled code would
    unbox it and box it again: a new object per claim.)"""
    return value if type(value) is float else float(value)


def _as_int(value: Any) -> Any:
    """``int(value)``, the same object when it is one (see :func:`_as_float`)."""
    return value if type(value) is int else int(value)


def _said(claim: dict[str, Any]) -> _Said:
    """Who said a claim and where."""
    ev = _object(claim.get("evidence")) or {}
    by = _object(claim.get("asserted_by")) or {}
    return (
        _text(by.get("text") or by.get("kind") or "outlet"),
        _norm_entity(by.get("entity")),
        _as_float(claim.get("confidence", 0.0)),
        _text(ev.get("sentence", "")),  # one string for the claims of a sentence
        _as_int(ev.get("start", 0)),
        _as_int(ev.get("end", 0)),
        _as_int(ev.get("sentence_start", 0)),
    )


def _claim_id(claim: dict[str, Any]) -> str:
    cid = claim.get("id", "")
    return cid if type(cid) is str else str(cid)


def _participants(raw: Any) -> tuple[str, ...]:
    """The participants' keys, sorted and each once (a list, not a set: there are two or three)."""
    keys: list[str] = []
    for x in raw or ():
        key = _norm_entity(x)
        if key and key not in keys:
            keys.append(key)
    keys.sort()
    return tuple(keys)


def _event_fact(article_id: str, claim: dict[str, Any], lex: Lexicon) -> Fact | None:
    ev = _object(claim.get("event"))
    if ev is None:
        return None
    ekind = _text(ev.get("kind", ""))
    if ekind not in lex.sections:
        return None
    time = ev.get("time") or {}
    parts = _participants(ev.get("participants"))
    negated = bool(ev.get("negated", False))
    place = _norm_entity(ev.get("place"))
    status = _text(ev.get("status", ""))
    if negated:
        bucket = "negated:" + ekind
    elif ekind in OBJECT_KINDS:
        # (a deal proposed or rejected is a proposal; one agreed, held, planned or broken is a deal)
        bucket = "agreements" if ekind == "agreement" and status not in ("proposed", "rejected") else "proposals"
    else:  # (a proposed meeting is in its kind's bucket: one item, proposed → planned → held)
        bucket = "event:" + ekind
    timed = _object(time)
    obj = ev.get("object")
    return _new_fact(
        Fact,
        (
            article_id,
            _claim_id(claim),
            "event",
            intern(bucket),
            ekind,
            status,
            parts,
            (timed.get("date") or None) if timed is not None else None,
            # where the place does not make the event, it is kept as an attribute (see merge)
            place if ekind in lex.place_splits else None,
            place,
            None,
            obj or None,
            object_tokens(obj, lex),
            (timed.get("text") or None) if timed is not None else None,
            None,
            False,
            None,
            None,
            negated,
            *_said(claim),
        ),
    )


def _count_fact(article_id: str, claim: dict[str, Any]) -> Fact | None:
    c = _object(claim.get("count"))
    if c is None:
        return None
    try:
        value = float(c.get("value"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    category = c.get("category", "")
    kind = _text(category)
    place = _norm_entity(c.get("place"))
    return _new_fact(
        Fact,
        (
            article_id,
            _claim_id(claim),
            "count",
            intern(f"count:{category}"),
            kind,
            None,
            (),
            None,
            place,
            place,
            _norm_entity(c.get("actor")),
            None,
            (),
            c.get("time") or None,
            value,
            bool(c.get("lower_bound", False)),
            c.get("text") or None,
            None,
            False,
            *_said(claim),
        ),
    )


def _quote_fact(article_id: str, claim: dict[str, Any], lex: Lexicon) -> Fact | None:
    q = _object(claim.get("quote"))
    if q is None:
        return None
    speaker = _object(q.get("speaker")) or {}
    who = _norm_entity(speaker.get("entity")) or _speaker_key(str(speaker.get("text", "")))
    if not who:
        return None
    return _new_fact(
        Fact,
        (
            article_id,
            _claim_id(claim),
            "quote",
            intern("party:" + who),
            "quote",
            "direct" if q.get("direct") else "indirect",
            (),
            None,
            None,
            None,
            None,
            str(speaker.get("text", "")) or None,
            (),  # (what a party says is no part of its signature: its quotes are one item)
            str(q.get("cue", "")) or None,
            None,
            False,
            str(q.get("text", "")),
            who,
            False,
            *_said(claim),
        ),
    )


def _speaker_key(text: str) -> str | None:
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in ("the", "a", "an")]
    return "-".join(words) or None


def _implied(article_id: str, claim: dict[str, Any], lex: Lexicon) -> Fact | None:
    """A count whose category names a ceasefire's length implies a proposal of that ceasefire."""
    c = _object(claim.get("count"))
    if c is None:
        return None
    unit = lex.duration_categories.get(str(c.get("category", "")))
    if unit is None:
        return None
    try:
        value = float(c.get("value"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    term = sorted(lex.ceasefire_terms)[0] if lex.ceasefire_terms else "ceasefire"
    text = f"{value:g}-{unit} {term}"
    return _new_fact(
        Fact,
        (
            article_id,
            _claim_id(claim) + "#implied",
            "event",
            "proposals",
            "proposal",
            "proposed",
            tuple(p for p in (_norm_entity(c.get("actor")),) if p),
            None,
            None,
            None,
            None,
            text,
            object_tokens(text, lex),
            None,
            None,
            False,
            None,
            None,
            False,
            *_said(claim),
        ),
    )


def titles_from_mentions(
    article_id: str, body: str, entities: Sequence[Mapping[str, Any]], lex: Lexicon | None = None
) -> list[Fact]:
    """Titles written before a person's name ("Former U.S. President Donald Trump") as facts.

    The words right before a mention are read back while they are role words or qualifiers;
    a title needs at least one role word. One fact per (entity, title) per article.
    """
    lex = lex or lexicon()
    out: dict[tuple[str, str], Fact] = {}
    for ent in entities:
        if str(ent.get("type", "")) != "PERSON":
            continue
        eid = _norm_entity(ent.get("id"))
        if not eid:
            continue
        for m in ent.get("mentions") or ():
            start = int(m.get("start", 0))
            if start <= 0 or start > len(body):
                continue
            sent = m.get("sentence") or {}
            s_start = int(sent.get("start", 0))
            s_end = int(sent.get("end", len(body)))
            prefix = body[max(s_start, start - 80) : start]
            lead = []
            for w in str(m.get("text", "")).split():
                if w.lower() not in lex.role_words and w.lower() not in lex.qualifiers:
                    break
                lead.append(w)
            words = prefix.split() + lead
            taken: list[str] = []
            for w in reversed(words):
                low = w.lower().replace("’", "'")
                if low in lex.role_words or (low in lex.qualifiers and taken):
                    taken.append(w)
                elif low.rstrip(",") in lex.role_words and not taken and w.endswith(","):
                    taken.append(w.rstrip(","))
                else:
                    break
            while taken and taken[-1].lower() in lex.qualifiers and taken[-1].lower() not in lex.role_words:
                taken.pop()
            title_words = list(reversed(taken))
            if not any(w.lower() in lex.role_words for w in title_words):
                continue
            title = " ".join(title_words)
            found = prefix.rfind(title_words[0])
            t_start = start - len(prefix) + found if found >= 0 else start
            key = (eid, title)
            if key in out:
                continue
            role = tuple(w.lower() for w in title_words if w.lower() in lex.role_words)
            out[key] = Fact(
                article_id=article_id,
                claim_id=f"title:{eid}:{title}",
                claim_kind="title",
                bucket=f"party:{eid}",
                kind="title",
                status=None,
                participants=(eid,),
                date=None,
                place=None,
                venue=None,
                actor=None,
                object_text=title,
                object_key=role,
                time_text=None,
                value=None,
                lower_bound=False,
                text=title,
                speaker=eid,
                negated=False,
                asserted_by="outlet",
                asserted_entity=None,
                confidence=1.0,
                sentence=body[s_start:s_end],
                start=t_start,
                end=int(m.get("end", start)),
                sentence_start=s_start,
            )
    return [out[k] for k in sorted(out)]
