"""Entity canonicalization: surface forms → one stable entity id per real-world entity.

INTERFACE CONTRACT (used by consumers/entities and consumers/claims; keep the signatures):

    resolve_entities(doc) -> ArticleEntities
    ArticleEntities.entities: tuple[Entity, ...]
    ArticleEntities.at(start, end) -> Entity | None     # entity whose mention overlaps the span
    ArticleEntities.find(text) -> Entity | None         # entity a surface text refers to

How a spaCy doc becomes canonical entities (every step a general rule, data in ``data/aliases.json``):

1. candidates: the model's PERSON/ORG/GPE/LOC/FAC spans (NORP only when the alias data knows the
   span as an entity, never a bare demonym such as "Ukrainian"), plus alias-file names found in the
   text, plus place patterns the small model misses: ``X region``, ``village of X`` and places
   coordinated with a known place ("Kyiv, Dnipropetrovsk and Donetsk");
2. normalization: leading "the", leading titles of people ("Secretary of State", "President"),
   trailing possessives ("Trump’s"), trailing region words; name particles joined ("Ursula von der
   Leyen"); regnal titles kept ("Pope Leo XIV"); hyphen compounds split ("Trump-Putin");
3. junk filters: dates and numbers, markup, over-long spans, shouted common words, sentence-initial
   capitalized common words, spans that are part of a title ("State" in "Secretary of State"), and
   — in headings and page debris (lines without sentence punctuation) — anything not otherwise known;
4. grouping by a folded key (case, accents, dots, "the", transliteration variants such as
   Zelenskyy/Zelensky or Sergei/Sergey for people); alias-file entries give canonical name and type;
   a bare surname or partial name joins the full name of the same article (metonymy stays a place:
   "Moscow said…" is the GPE Moscow, "the Kremlin" the ORG Kremlin);
5. completion: the article's own forms of its entities (and its people's surnames, spelling
   variants included) are found where the model missed them, unless inside a longer name; a
   one-word "person" in a place's position ("strikes in Rafah") becomes a place;
6. each entity: id = slug of the canonical name, type by alias data or by vote, mentions with
   character span and sentence, salience = its share of position-weighted mentions.

Generic institutions after a country's possessive are named by its demonym ("Ukraine’s Air
Force" → ``ukrainian-air-force``). The cost is linear in the text (indexes, no pairwise scans).
``resolve_entities(doc)`` without a gazetteer uses :func:`default_gazetteer` (the packaged file
plus ``NEWSWIRE_ALIASES``), so both enrichers give the same ids.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from newswire.ids import slug

#: Labels whose entities are emitted.
KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC"})
_CANDIDATE_LABELS = KEPT_LABELS | {"NORP"}
_TYPE_PREFERENCE = ("PERSON", "GPE", "ORG", "LOC", "FAC")
_POSSESSIVE = {"’s", "'s", "’", "'", "s’", "s'"}
_MARKUP = re.compile(r"[<>{}\[\]=|\\/@#_*~^$%]|https?:|www\.")
_SENTENCE_END = re.compile(r"[.!?…:;\"”’)\]]\s*$")
_NAME_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w’'.\-]*$")
_ROMAN = re.compile(r"^[IVXLC]+$")
_MAX_TOKENS = 8
_MAX_CHARS = 80


# --------------------------------------------------------------------------------------------
# public records (the contract)


@dataclass(frozen=True)
class Mention:
    text: str
    start: int
    end: int
    sentence_index: int
    sentence_start: int
    sentence_end: int


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    type: str
    mentions: tuple[Mention, ...]
    salience: float

    @property
    def count(self) -> int:
        return len(self.mentions)


@dataclass(frozen=True)
class ArticleEntities:
    entities: tuple[Entity, ...]

    def at(self, start: int, end: int) -> Entity | None:
        """The entity with a mention overlapping ``[start, end)`` (largest overlap wins)."""
        best: tuple[int, Entity] | None = None
        for e in self.entities:
            for m in e.mentions:
                overlap = min(end, m.end) - max(start, m.start)
                if overlap > 0 and (best is None or overlap > best[0]):
                    best = (overlap, e)
        return best[1] if best else None

    def find(self, text: str) -> Entity | None:
        """The entity a surface text refers to: id, name, a mention, or a unique partial name."""
        person = fold_key(text, person=True)
        plain = fold_key(text)
        if not plain:
            return None
        for e in self.entities:
            if e.id in (slug(text), entity_id(text)) or plain in _entity_keys(e) or person in _entity_keys(e):
                return e
        parts = tuple(person.split())
        partial = [
            e
            for e in self.entities
            if e.type == "PERSON" and _contains(tuple(fold_key(e.name, person=True).split()), parts)
        ]
        return partial[0] if len(partial) == 1 else None

    def by_id(self, entity_id: str) -> Entity | None:
        return next((e for e in self.entities if e.id == entity_id), None)


def _entity_keys(e: Entity) -> set[str]:
    keys = {fold_key(e.name), fold_key(e.name, person=True)}
    for m in e.mentions:
        keys.add(fold_key(m.text))
        keys.add(fold_key(m.text, person=True))
    return keys


# --------------------------------------------------------------------------------------------
# folding


#: Romanization variants of East Slavic names: -skyy/-skiy/-skii → -sky, -ei → -ey (Sergei → Sergey).
_TRANSLIT = (
    (re.compile(r"(?i)(?<=\w[sz][kc])(yy|iy|ii)$"), "y"),
    (re.compile(r"(?i)(?<=\w{4})ei$"), "ey"),
)


def fold_name(name: str) -> str:
    """Person-name romanization variants to one spelling (Zelenskyy → Zelensky, Sergei → Sergey)."""
    out = []
    for word in name.split(" "):
        for pattern, repl in _TRANSLIT:
            word = pattern.sub(lambda m, r=repl: _same_case(m.group(0), r), word)  # type: ignore[misc]
        out.append(word)
    return " ".join(out)


def _same_case(original: str, replacement: str) -> str:
    return replacement.upper() if original.isupper() else replacement


def fold_key(text: str, *, person: bool = False) -> str:
    """The comparison key of a surface form: accents, case, dots, quotes and a leading "the" dropped."""
    if person:
        text = fold_name(text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    t = ascii_text.lower().replace(".", "")
    t = re.sub(r"[^a-z0-9]+", " ", t).strip()
    if t.startswith("the "):
        t = t[4:]
    return t


def entity_id(name: str) -> str:
    """The stable id of a canonical name: its slug, initials' dots dropped ("J.D. Vance" → ``jd-vance``)."""
    return slug(name.replace(".", ""))


def _contains(whole: tuple[str, ...], part: tuple[str, ...]) -> bool:
    """``part`` is a contiguous, strictly shorter run of ``whole``."""
    n = len(part)
    if not n or n >= len(whole):
        return False
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1))


# --------------------------------------------------------------------------------------------
# alias data


@dataclass(frozen=True)
class Known:
    """An entity the alias data knows: canonical name and type."""

    name: str
    type: str


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """Alias data and word lists (loaded from JSON files; see ``data/aliases.json``)."""

    known: Mapping[str, Known]
    surnames: Mapping[str, Known]
    forms: tuple[str, ...]
    demonyms: frozenset[str]
    titles: tuple[str, ...]
    regnal_titles: frozenset[str]
    particles: frozenset[str]
    region_words: frozenset[str]
    place_heads: frozenset[str]
    date_words: frozenset[str]
    debris_words: frozenset[str]
    generic_orgs: frozenset[str] = frozenset()
    debris_line_prefixes: tuple[str, ...] = ()
    demonym_of: Mapping[str, str] = field(default_factory=dict)
    #: a demonym (folded: "lebanese", "ukrainians") → the name of its state ("Lebanon")
    state_of: Mapping[str, str] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def lookup(self, text: str, person: bool = False) -> Known | None:
        return self.known.get(fold_key(text)) or (self.known.get(fold_key(text, person=True)) if person else None)

    @property
    def forms_re(self) -> re.Pattern[str]:
        if "forms" not in self._cache:
            alternation = "|".join(re.escape(f) for f in sorted(self.forms, key=len, reverse=True))
            self._cache["forms"] = re.compile(rf"(?<![\w.])(?:{alternation})(?![\w])")
        pattern: re.Pattern[str] = self._cache["forms"]
        return pattern

    @property
    def titles_re(self) -> re.Pattern[str]:
        if "titles" not in self._cache:
            alternation = "|".join(re.escape(t) for t in sorted(self.titles, key=len, reverse=True))
            self._cache["titles"] = re.compile(rf"(?<![\w])(?:{alternation})(?![\w])", re.IGNORECASE)
        pattern: re.Pattern[str] = self._cache["titles"]
        return pattern


DEFAULT_ALIASES = "aliases.json"


def _read_json(path: Path | str | None) -> dict[str, Any]:
    if path is None:
        text = resources.files("consumers.nlp").joinpath("data", DEFAULT_ALIASES).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"alias file {path or DEFAULT_ALIASES} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"alias file {path or DEFAULT_ALIASES}: expected a JSON object")
    return raw


def load_gazetteer(extra_paths: Sequence[Path | str] = (), *, packaged: bool = True) -> Gazetteer:
    """The packaged alias data plus user files of the same shape (later entries win)."""
    sources = ([_read_json(None)] if packaged else []) + [_read_json(p) for p in extra_paths]
    known: dict[str, Known] = {}
    forms: set[str] = set()
    demonyms: set[str] = set()
    demonym_of: dict[str, str] = {}
    state_of: dict[str, str] = {}
    generic: set[str] = set()
    words: dict[str, set[str]] = {
        k: set()
        for k in (
            "titles",
            "regnal_titles",
            "particles",
            "region_words",
            "place_heads",
            "date_words",
            "debris_words",
        )
    }
    for raw in sources:
        for entry in raw.get("entities", ()):
            if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
                raise ValueError(f"alias data: every entity needs a non-empty 'name', got {entry!r:.200}")
            if not isinstance(entry.get("aliases", []), list):
                raise ValueError(f"alias data: 'aliases' of {entry['name']!r} must be a list")
            k = Known(str(entry["name"]), str(entry.get("type", "ORG")))
            for form in [k.name, *entry.get("aliases", ())]:
                forms.add(str(form))
                known[fold_key(str(form))] = k
                if k.type == "PERSON":
                    known[fold_key(str(form), person=True)] = k
            for d in entry.get("demonyms", ()):
                demonyms.add(fold_key(str(d)))
                if k.type == "GPE":  # (a state's people; "Western" is no state's)
                    state_of[fold_key(str(d))] = k.name
            if entry.get("demonyms"):
                demonym_of[k.name] = str(entry["demonyms"][0])
        generic.update(fold_key(str(g)) for g in raw.get("generic_orgs", ()))
        for key, bucket in words.items():
            bucket.update(str(w) for w in raw.get(key, ()))
    surname_count = Counter(
        fold_key(k.name, person=True).split()[-1] for k in set(known.values()) if k.type == "PERSON"
    )
    surnames = {
        fold_key(k.name, person=True).split()[-1]: k
        for k in set(known.values())
        if k.type == "PERSON" and surname_count[fold_key(k.name, person=True).split()[-1]] == 1
    }
    lower = {k: frozenset(w.lower() for w in v) for k, v in words.items()}
    return Gazetteer(
        known=known,
        surnames=surnames,
        forms=tuple(sorted(forms)),
        demonyms=frozenset(demonyms - set(known)),
        titles=tuple(sorted(lower["titles"])),
        regnal_titles=frozenset(words["regnal_titles"]),
        particles=lower["particles"],
        region_words=lower["region_words"],
        place_heads=lower["place_heads"],
        date_words=lower["date_words"],
        debris_words=lower["debris_words"],
        generic_orgs=frozenset(generic),
        debris_line_prefixes=tuple(
            sorted({str(p).lower() for r in sources for p in r.get("debris_line_prefixes", ())})
        ),
        demonym_of=demonym_of,
        state_of=state_of,
    )


def default_gazetteer() -> Gazetteer:
    """The alias data every enricher uses by default: the packaged file plus ``NEWSWIRE_ALIASES``
    files (read once, at the edge, by :mod:`consumers.nlp.model`)."""
    from consumers.nlp.model import configured_gazetteer

    return configured_gazetteer()


# --------------------------------------------------------------------------------------------
# candidates


@dataclass
class _Cand:
    start: int  # token index
    end: int  # token index (exclusive)
    label: str
    source: str  # model | alias | pattern | split
    known: Known | None = None


def _overlaps(a: _Cand, b: _Cand) -> bool:
    return a.start < b.end and b.start < a.end


def _select(cands: Iterable[_Cand]) -> list[_Cand]:
    """Longest spans first; on ties the model's span wins; no two kept spans overlap."""
    order = {"alias": 0, "model": 1, "pattern": 2, "split": 3}
    ranked = sorted(cands, key=lambda c: (-(c.end - c.start), order[c.source], c.start))
    kept: list[_Cand] = []
    taken: set[int] = set()
    for c in ranked:
        span = range(c.start, c.end)
        if c.end > c.start and taken.isdisjoint(span):
            kept.append(c)
            taken.update(span)
    return sorted(kept, key=lambda c: c.start)


def _is_name_token(tok: Any) -> bool:
    return bool(_NAME_TOKEN.match(tok.text)) and tok.tag_ in ("NNP", "NNPS")


def _name_run_left(doc: Any, end: int) -> int:
    """Start of the run of proper-noun tokens that ends just before token ``end``."""
    s = end
    while s > 0 and _is_name_token(doc[s - 1]):
        s -= 1
    return s


def _name_run_right(doc: Any, start: int) -> int:
    e = start
    while e < len(doc) and _is_name_token(doc[e]):
        e += 1
    return e


def _split_model_span(doc: Any, start: int, end: int, label: str, gaz: Gazetteer) -> list[_Cand]:
    """A model span that runs over a list comma or a verb is several names ("Kyiv, Dnipropetrovsk";
    "Vance met European Commission"); list items take the type of their known siblings."""
    cuts = [i for i in range(start, end) if doc[i].text in (",", ";") or doc[i].tag_.startswith("VB")]
    if not cuts:
        return [_Cand(start, end, label, "model")]
    bounds = [start - 1, *cuts, end]
    parts = [_Cand(a + 1, b, label, "model") for a, b in itertools.pairwise(bounds) if b > a + 1]
    known = [gaz.lookup(doc[p.start : p.end].text) for p in parts]
    places = {k.type for k in known if k is not None and k.type in ("GPE", "LOC")}
    for p, k in zip(parts, known, strict=True):
        if k is not None:
            p.label = k.type
        elif len(places) == 1 and any(doc[i].text == "," for i in cuts):
            p.label = next(iter(places))
    return parts


def _candidates(doc: Any, text: str, gaz: Gazetteer) -> list[_Cand]:
    cands: list[_Cand] = []
    for ent in doc.ents:
        if ent.label_ in _CANDIDATE_LABELS:
            cands.extend(_split_model_span(doc, ent.start, ent.end, ent.label_, gaz))
    for m in gaz.forms_re.finditer(text):
        span = doc.char_span(m.start(), m.end(), alignment_mode="strict")
        if span is not None:
            k = gaz.lookup(m.group(0))
            if k is not None:
                cands.append(_Cand(span.start, span.end, k.type, "alias", k))
    kept = _select(cands)
    covered = {i for c in kept for i in range(c.start, c.end)}
    extra: list[_Cand] = []
    for tok in doc:
        low = tok.lower_
        # "Donetsk region", "Sumy oblast": the name before a region word is a place.
        if low in gaz.region_words and tok.i > 0 and _is_name_token(doc[tok.i - 1]):
            s = _name_run_left(doc, tok.i)
            extra.append(_Cand(s, tok.i, "GPE", "pattern"))
        # "the village of Xyzivka": a place head + "of" + a name.
        if low in gaz.place_heads and tok.i + 2 < len(doc) and doc[tok.i + 1].lower_ == "of":
            e = _name_run_right(doc, tok.i + 2)
            if e > tok.i + 2:
                extra.append(_Cand(tok.i + 2, e, "GPE", "pattern"))
    # Relabel model spans the patterns show to be places ("Kherson"/PERSON before "region",
    # or a one-word "person" after a locative preposition: "in Kherson").
    extra_spans = {(x.start, x.end) for x in extra}
    for c in kept:
        if c.known is not None:
            continue
        if (c.start, c.end) in extra_spans or (
            c.label == "PERSON"
            and c.end - c.start == 1
            and doc[c.start].dep_ == "pobj"
            and doc[c.start].head.lower_ in ("in", "near", "outside")
        ):
            c.label = "GPE"
    extra = [x for x in extra if not any(i in covered for i in range(x.start, x.end))]
    kept = _select([*kept, *extra])
    # Places coordinated with a place: "Kyiv, Dnipropetrovsk, and Donetsk regions".
    names = [tok for tok in doc if _is_name_token(tok) and tok.dep_ in ("conj", "pobj")]
    for _round in range(3):
        label_at = {i: c.label for c in kept for i in range(c.start, c.end)}
        added = []
        for tok in names:
            if tok.i in label_at:
                continue
            head_label = label_at.get(tok.head.i)
            if tok.dep_ == "pobj" and tok.head.lower_ in ("in", "near", "outside"):
                # "the village of Xyzivka in Oblastia": a name located in a place is a place.
                outer = tok.head.head
                head_label = label_at.get(outer.i) or ("GPE" if outer.lower_ in gaz.place_heads else None)
            elif tok.dep_ != "conj":
                continue
            if head_label in ("GPE", "LOC"):
                s = _name_run_left(doc, tok.i)
                e = _name_run_right(doc, tok.i)
                if not any(i in label_at for i in range(s, e)):
                    added.append(_Cand(s, e, head_label, "pattern"))
        if not added:
            break
        kept = _select([*kept, *added])
    return kept


# --------------------------------------------------------------------------------------------
# normalization and filters


class _Titles:
    """Where titles of people occur in a text ("Secretary of State", "President"); non-overlapping."""

    def __init__(self, text: str, gaz: Gazetteer) -> None:
        self.spans = [(m.start(), m.end()) for m in gaz.titles_re.finditer(text)]
        self.starts = [a for a, _b in self.spans]

    def around(self, offset: int) -> tuple[int, int] | None:
        """The title span that starts at or before ``offset`` and ends after it."""
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and self.spans[i][1] > offset:
            return self.spans[i]
        return None


def _normalize(doc: Any, c: _Cand, gaz: Gazetteer, titles: _Titles, lines: _Lines) -> _Cand | None:
    s, e = c.start, c.end
    while s < e and doc[s].lower_ in ("the", "a", "an"):
        s += 1
    while e > s and (doc[e - 1].text in _POSSESSIVE or doc[e - 1].is_punct or doc[e - 1].is_space):
        e -= 1
    while s < e and (doc[s].is_punct or doc[s].is_space):
        s += 1
    if s >= e:
        return None
    start_char, end_char = doc[s].idx, doc[e - 1].idx + len(doc[e - 1].text)
    # A span inside a title is part of the title ("State" in "Secretary of State").
    inside = titles.around(start_char)
    if c.known is None and inside is not None and end_char <= inside[1]:
        return None
    if c.label == "PERSON" and c.known is None:
        if inside is not None and inside[0] == start_char and inside[1] < end_char:
            while s < e and doc[s].idx < inside[1]:
                s += 1
        # A first name the model left out: "Defense Minister [Anna] Kowalska" (one word, not a
        # title, not a known name of its own, and only in running text).
        if (
            e - s == 1
            and s > 0
            and _is_name_token(doc[s - 1])
            and titles.around(doc[s - 1].idx) is None
            and doc[s - 1].text not in gaz.regnal_titles
            and gaz.lookup(doc[s - 1].text) is None
            and "\n" not in doc[s - 1].whitespace_
            and lines.is_prose(doc[s - 1].idx)
        ):
            s -= 1
        # Regnal titles belong to the name ("Pope Leo XIV").
        if s > 0 and doc[s - 1].text in gaz.regnal_titles:
            s -= 1
        # Name particles: "Ursula von der Leyen".
        if e < len(doc) and (doc[e - 1].lower_ in gaz.particles or doc[e].lower_ in gaz.particles):
            j = e
            while j < len(doc) and doc[j].lower_ in gaz.particles:
                j += 1
            if j < len(doc) and _NAME_TOKEN.match(doc[j].text):
                e = j + 1
    if c.label in ("GPE", "LOC") and e - s > 1 and doc[e - 1].lower_ in gaz.region_words:
        e -= 1
    if s >= e:
        return None
    return _Cand(s, e, c.label, c.source, c.known)


def _split_hyphens(doc: Any, c: _Cand) -> list[_Cand]:
    """``Trump-Putin`` (and ``Trump-Putin Peace Talks``): the names joined by a hyphen."""
    hyphens = [i for i in range(c.start + 1, c.end - 1) if doc[i].text in ("-", "–", "—")]
    if not hyphens or not all(
        _NAME_TOKEN.match(doc[i - 1].text) and _NAME_TOKEN.match(doc[i + 1].text) for i in hyphens
    ):
        return [c]
    bounds = [c.start - 1, *hyphens, c.end]
    parts = []
    for a, b in itertools.pairwise(bounds):
        parts.append(_Cand(a + 1, b, c.label, "split"))
    return parts


_SENTENCE_INSIDE = re.compile(r"[a-z0-9)][.!?][\"”’)]?\s+[\"“‘(]?[A-Z]")


class _Lines:
    """Which lines of a text read like running text (vs headings and page debris), computed once."""

    def __init__(self, text: str, debris_prefixes: tuple[str, ...] = ()) -> None:
        self.starts: list[int] = []
        self.prose: list[bool] = []
        pos = 0
        for line in text.split("\n"):
            self.starts.append(pos)
            pos += len(line) + 1
            stripped = line.strip()
            words = len(stripped.split())
            self.prose.append(
                words >= 5
                and not stripped.lower().startswith(debris_prefixes)
                and (bool(_SENTENCE_END.search(stripped)) or bool(_SENTENCE_INSIDE.search(stripped)) or words > 40)
            )

    def is_prose(self, offset: int) -> bool:
        return self.prose[bisect.bisect_right(self.starts, offset) - 1]


def _junk(doc: Any, c: _Cand, gaz: Gazetteer) -> bool:
    span = doc[c.start : c.end]
    text = span.text
    if c.known is not None:
        return False
    if not any(ch.isalpha() for ch in text) or _MARKUP.search(text):
        return True
    if len(span) > _MAX_TOKENS or len(text) > _MAX_CHARS or "\n" in text:
        return True
    if not text[0].isupper() and not text[0].isdigit():
        return True
    words = [t for t in span if not t.is_punct]
    if all(t.lower_ in gaz.date_words or t.like_num or _ROMAN.match(t.text) for t in words):
        return True
    if any(t.lower_ in gaz.debris_words for t in words) and len(words) <= 3:
        return True
    letters = [ch for ch in text if ch.isalpha()]
    if text.isupper() and len(letters) >= 6:  # "CATASTROPHE": shouted words, not acronyms
        return True
    if c.label == "NORP" or fold_key(text) in gaz.demonyms:
        return True
    first = span[0]
    return bool(len(words) == 1 and first.is_sent_start and first.tag_ not in ("NNP", "NNPS"))


# --------------------------------------------------------------------------------------------
# grouping


@dataclass
class _Group:
    key: str
    known: Known | None
    items: list[tuple[_Cand, str]]  # (candidate, surface text)
    qualified_name: str | None = None

    @property
    def first(self) -> int:
        return min(c.start for c, _t in self.items)

    def label_votes(self) -> Counter[str]:
        return Counter(c.label for c, _t in self.items)

    def is_person(self) -> bool:
        if self.known is not None:
            return self.known.type == "PERSON"
        votes = self.label_votes()
        return votes["PERSON"] > 0 and votes["PERSON"] >= max(votes.values())

    def tokens(self) -> tuple[str, ...]:
        return tuple(self.key.split())


def _qualifier(doc: Any, c: _Cand, by_end: Mapping[int, _Cand], gaz: Gazetteer) -> str | None:
    """The demonym of the country that owns a generic institution: "Ukraine’s Air Force" → "Ukrainian"."""
    if c.start < 1 or doc[c.start - 1].text not in _POSSESSIVE:
        return None
    owner = by_end.get(c.start - 1)
    if owner is None:
        return None
    k = owner.known or gaz.lookup(doc[owner.start : owner.end].text)
    return gaz.demonym_of.get(k.name) if k is not None else None


def _group(doc: Any, cands: list[_Cand], gaz: Gazetteer) -> list[_Group]:
    groups: dict[str, _Group] = {}
    by_end = {c.end: c for c in cands}
    generic: list[tuple[_Cand, str]] = []
    qualified: dict[str, list[_Group]] = {}
    for c in cands:
        text = doc[c.start : c.end].text
        person = c.label == "PERSON"
        known = c.known or gaz.lookup(text, person=person)
        name: str | None = None
        if known is not None:
            key = "known:" + slug(known.name)
        elif fold_key(text) in gaz.generic_orgs:
            demonym = _qualifier(doc, c, by_end, gaz)
            if demonym is None:
                generic.append((c, text))
                continue
            name = f"{demonym} {text}"
            key = fold_key(name)
        else:
            key = fold_key(text, person=True)
        if not key:
            continue
        g = groups.setdefault(key, _Group(fold_key(known.name, person=True) if known else key, known, [], name))
        g.items.append((c, text))
        if name is not None:
            qualified.setdefault(fold_key(text), []).append(g)
    for c, text in generic:
        owners = {id(g): g for g in qualified.get(fold_key(text), [])}
        if len(owners) == 1:  # "Air Force" again, after "Ukraine’s Air Force"
            next(iter(owners.values())).items.append((c, text))
        else:
            groups.setdefault(fold_key(text), _Group(fold_key(text), None, [])).items.append((c, text))
    return list(groups.values())


def _resolve_partial_names(groups: list[_Group], gaz: Gazetteer) -> list[_Group]:
    """A bare surname (or a shorter form) joins the full person name of the same article."""
    persons = [g for g in groups if g.is_person() and len(g.tokens()) >= 2]
    out: list[_Group] = []
    absorbed: dict[int, _Group] = {}
    for g in groups:
        if g.known is not None:
            out.append(g)
            continue
        parts = g.tokens()
        targets = [p for p in persons if p is not g and _contains(p.tokens(), parts)]
        if targets:
            before = [p for p in targets if p.first <= g.first]
            target = max(before, key=lambda p: p.first) if before else min(targets, key=lambda p: p.first)
            absorbed[id(g)] = target
            continue
        places = {"GPE", "LOC", "FAC"}
        if len(parts) == 1 and not set(g.label_votes()) <= places:
            # a known person named by surname alone (whatever label the model gave: "Trump"/ORG),
            # when the article names no other bearer of it
            k = gaz.surnames.get(parts[0])
            if k is not None:
                g.known = k
                g.key = fold_key(k.name, person=True)
        out.append(g)
    for g in groups:
        if id(g) in absorbed:
            target = absorbed[id(g)]
            while id(target) in absorbed:
                target = absorbed[id(target)]
            target.items.extend(g.items)
    # groups that now share a known entity (surname fallback) merge
    merged: dict[str, _Group] = {}
    for g in out:
        key = "known:" + slug(g.known.name) if g.known else g.key
        if key in merged:
            merged[key].items.extend(g.items)
        else:
            merged[key] = g
    return list(merged.values())


_ACRONYM = re.compile(r"^[A-Z]{2,6}$")
_ACRONYM_SKIP = frozenset({"of", "the", "and", "for", "on", "in", "de", "&"})


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.split(r"[\s\-]+", name) if w and w.lower() not in _ACRONYM_SKIP).upper()


def _join_acronyms(groups: list[_Group]) -> list[_Group]:
    """An acronym joins the one organization of the article whose initials it spells
    ("WMO" → "World Meteorological Organization")."""
    long_forms: dict[str, list[_Group]] = {}
    for g in groups:
        if g.is_person() or (g.known is not None and g.known.type == "PERSON"):
            continue
        for _c, surface in g.items:
            if len(surface.split()) >= 2:
                long_forms.setdefault(_initials(surface), []).append(g)
    out = []
    for g in groups:
        forms = {t for _c, t in g.items}
        if g.known is None and len(forms) == 1 and _ACRONYM.match(next(iter(forms))):
            targets = {id(t): t for t in long_forms.get(next(iter(forms)), []) if t is not g}
            if len(targets) == 1:
                next(iter(targets.values())).items.extend(g.items)
                continue
        out.append(g)
    return out


def _canonical(doc: Any, g: _Group) -> tuple[str, str]:
    if g.known is not None:
        return g.known.name, g.known.type
    if g.qualified_name is not None:
        return g.qualified_name, "ORG"
    votes = g.label_votes()
    is_person = votes["PERSON"] > 0 and votes["PERSON"] >= max(votes.values())
    if is_person:
        label = "PERSON"
    else:
        kept = [lab for lab in votes if lab in KEPT_LABELS] or ["ORG"]
        label = min(kept, key=lambda lab: (-votes[lab], _TYPE_PREFERENCE.index(lab)))
    forms = Counter(t for _c, t in g.items)
    name = max(forms, key=lambda t: (len(t.split()), forms[t], -min(c.start for c, x in g.items if x == t)))
    if label == "PERSON":
        name = fold_name(name)
    return name, label


# --------------------------------------------------------------------------------------------
# the entry point


def resolve_entities(doc: Any, gazetteer: Gazetteer | None = None) -> ArticleEntities:
    """The canonical entities of a processed spaCy ``Doc`` (deterministic for a given doc)."""
    gaz = gazetteer or default_gazetteer()
    text = doc.text
    titles = _Titles(text, gaz)
    lines = _Lines(text, gaz.debris_line_prefixes)
    normalized: list[_Cand] = []
    for c in _candidates(doc, text, gaz):
        n = _normalize(doc, c, gaz, titles, lines)
        if n is None:
            continue
        normalized.extend(_split_hyphens(doc, n))
    normalized = _select(normalized)
    prose = [c for c in normalized if lines.is_prose(doc[c.start].idx)]
    prose_ids = {id(c) for c in prose}
    known_keys: set[str] = set()
    for c in prose:
        if c.source != "split" and not _junk(doc, c, gaz):
            key = fold_key(doc[c.start : c.end].text, person=True)
            known_keys.add(key)
            known_keys.update(key.split())
    kept: list[_Cand] = []
    for c in normalized:
        if _junk(doc, c, gaz):
            continue
        surface = doc[c.start : c.end].text
        must_be_known = c.source == "split" or id(c) not in prose_ids
        if (
            must_be_known
            and c.known is None
            and gaz.lookup(surface, person=True) is None
            and fold_key(surface, person=True) not in known_keys
        ):
            continue
        if c.label not in KEPT_LABELS and c.known is None and gaz.lookup(surface) is None:
            continue
        kept.append(c)
    _places_by_context(doc, text, kept)
    groups = _join_acronyms(_resolve_partial_names(_group(doc, kept, gaz), gaz))
    _complete_mentions(doc, text, groups, gaz)
    return _build(doc, groups)


_LOCATIVE = frozenset({"in", "near", "outside", "across", "around"})


def _places_by_context(doc: Any, text: str, kept: list[_Cand]) -> None:
    """A "person" the model sees in a place's position is a place: "strikes in Khan Younis and Rafah".

    Only for names that are not part of a person's name in the same article ("confidence in Musk"
    after "Elon Musk" stays a person).
    """

    def words(c: _Cand) -> frozenset[str]:
        return frozenset(doc[i].lower_ for i in range(c.start, c.end))

    person_names = {words(c) for c in kept if c.label == "PERSON"}
    names_with: dict[str, set[frozenset[str]]] = {}
    for name in person_names:
        if len(name) > 1:
            for w in name:
                names_with.setdefault(w, set()).add(name)
    for _round in range(3):
        label_at = {i: c.label for c in kept for i in range(c.start, c.end)}
        changed = False
        for c in kept:
            if c.label != "PERSON" or c.known is not None or c.end - c.start > 4:
                continue
            own = words(c)
            if any(name != own for w in own for name in names_with.get(w, ())):
                continue  # part of another person's name ("Musk" of "Elon Musk")
            if any(
                frozenset(sub) in person_names
                for n in range(1, len(own))
                for sub in itertools.combinations(sorted(own), n)
            ):
                continue  # "Rubio" elsewhere: "Marco Rubio" is a person named by surname
            root = doc[c.start : c.end].root
            same_line = "\n" not in text[min(root.head.idx, root.idx) : max(root.head.idx, root.idx)]
            located = root.dep_ == "pobj" and root.head.lower_ in _LOCATIVE and same_line
            listed = root.dep_ == "conj" and label_at.get(root.head.i) in ("GPE", "LOC")
            if located or listed:
                c.label = "GPE"
                changed = True
        if not changed:
            break


def _surname_form(name: str) -> str | None:
    """The part of a full person name that articles use alone ("Musk", "von der Leyen")."""
    words = name.split()
    if len(words) < 2:
        return None
    tail = words[-1]
    for i in range(1, len(words) - 1):
        if words[i][:1].islower():  # a particle starts the surname
            tail = " ".join(words[i:])
            break
    return tail if len(tail) >= 3 and tail[:1].isupper() and not _ROMAN.match(tail) else None


def _complete_mentions(doc: Any, text: str, groups: list[_Group], gaz: Gazetteer) -> None:
    """Find the mentions the model missed: the article's own forms of its entities, and the
    surnames of its people, wherever they occur as a whole name (not inside a longer one)."""
    forms: dict[str, _Group | None] = {}

    def offer(form: str, g: _Group) -> None:
        if len(form) >= 3 or (form.isupper() and len(form) >= 2):
            forms[form] = g if forms.get(form, g) is g else None  # ambiguous forms are not used

    for g in groups:
        for _c, surface in g.items:
            offer(surface, g)
        if g.is_person():
            name = g.known.name if g.known else max((t for _c, t in g.items), key=lambda t: len(t.split()))
            surname = _surname_form(fold_name(name)) if g.known is None else _surname_form(name)
            for full in {t for _c, t in g.items if len(t.split()) > 1} | {name}:
                tail = _surname_form(full)
                if tail:
                    offer(tail, g)
            if surname:
                offer(surname, g)
    usable = {f: g for f, g in forms.items() if g is not None}
    if not usable:
        return
    taken = {i for g in groups for c, _t in g.items for i in range(c.start, c.end)}
    pattern = re.compile(
        r"(?<![\w.\-])(?:" + "|".join(re.escape(f) for f in sorted(usable, key=len, reverse=True)) + r")(?![\w\-])"
    )

    def inside_name(start: int, end: int) -> bool:
        before = doc[start - 1] if start > 0 else None
        after = doc[end] if end < len(doc) else None
        return bool(
            before is not None
            and not doc[start].is_sent_start
            and _NAME_TOKEN.match(before.text)
            and before.text not in gaz.regnal_titles
            and not gaz.titles_re.fullmatch(before.text)
            and before.tag_ in ("NNP", "NNPS")
        ) or bool(after is not None and _NAME_TOKEN.match(after.text) and after.tag_ in ("NNP", "NNPS"))

    def add(g: _Group, start: int, end: int) -> None:
        text = doc[start:end].text
        g.items.append((_Cand(start, end, g.items[0][0].label, "complete", g.known), text))
        taken.update(range(start, end))

    for m in pattern.finditer(text):
        span = doc.char_span(m.start(), m.end(), alignment_mode="strict")
        if span is None or any(i in taken for i in range(span.start, span.end)):
            continue
        if not inside_name(span.start, span.end):
            add(usable[m.group(0)], span.start, span.end)
    # one-word spelling variants of people's names ("Zelenskiy’s" after "Zelenskyy")
    variants: dict[str, _Group | None] = {}
    for form, g in usable.items():
        if g.is_person() and " " not in form:
            key = fold_key(form, person=True)
            variants[key] = g if variants.get(key, g) is g else None
    for tok in doc:
        if tok.i in taken or not _NAME_TOKEN.match(tok.text) or tok.tag_ not in ("NNP", "NNPS"):
            continue
        owner = variants.get(fold_key(tok.text, person=True))
        if owner is not None and not inside_name(tok.i, tok.i + 1):
            add(owner, tok.i, tok.i + 1)


def _build(doc: Any, groups: list[_Group]) -> ArticleEntities:
    starts = [i for i, flag in enumerate(doc.to_array("SENT_START").tolist()) if flag == 1 or i == 0]
    bounds: dict[int, tuple[int, int]] = {}

    def sentence(token: int) -> tuple[int, int, int]:
        """Index, start char and end char of the sentence of a token (computed when first asked)."""
        si = bisect.bisect_right(starts, token) - 1
        if si not in bounds:
            last = (starts[si + 1] if si + 1 < len(starts) else len(doc)) - 1
            bounds[si] = (doc[starts[si]].idx, doc[last].idx + len(doc[last].text))
        return si, *bounds[si]

    built: list[tuple[str, str, str, list[Mention]]] = []
    for g in groups:
        name, label = _canonical(doc, g)
        mentions = []
        for c, surface in sorted(g.items, key=lambda x: x[0].start):
            si, sent_start, sent_end = sentence(c.start)
            start = doc[c.start].idx
            mentions.append(Mention(surface, start, start + len(surface), si, sent_start, sent_end))
        built.append((entity_id(name), name, label, mentions))
    # two groups can still meet on one id (e.g. a known name and its unknown spelling): merge them
    by_id: dict[str, tuple[str, str, list[Mention]]] = {}
    for eid, name, label, mentions in built:
        if eid in by_id:
            by_id[eid][2].extend(mentions)
        else:
            by_id[eid] = (name, label, list(mentions))
    weights = {eid: sum(1.0 + 1.0 / (1 + m.sentence_index) for m in ms) for eid, (_n, _l, ms) in by_id.items()}
    total = sum(weights.values()) or 1.0
    entities = [
        Entity(
            id=eid,
            name=name,
            type=label,
            mentions=tuple(sorted(set(ms), key=lambda m: (m.start, m.end))),
            salience=round(weights[eid] / total, 4),
        )
        for eid, (name, label, ms) in by_id.items()
    ]
    entities.sort(key=lambda e: (e.mentions[0].start, e.id))
    return ArticleEntities(tuple(entities))
