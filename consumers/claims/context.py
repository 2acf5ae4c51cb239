"""What every claim rule needs about one article: the parse, its entities and a few resolvers.

Entity ids come from :func:`consumers.nlp.canon.resolve_entities` (the same code the entities
stream uses). On top of it this module only adds what claim rules need: nationality adjectives
to their country ("Russian forces" → Russia), a bare surname to the full name of the same article
when canonicalization has not folded it, pronouns and definite noun phrases ("the leaders") to
their antecedent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from consumers.claims.lexicon import Lexicon
from consumers.claims.records import AssertedBy, Evidence
from consumers.claims.timeexpr import time_candidates
from consumers.nlp.canon import ArticleEntities, Entity, Gazetteer, default_gazetteer, fold_key
from newswire.ids import slug

PARTY_TYPES = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP"})
STATE_TYPES = frozenset({"GPE", "NORP", "LOC"})
SUBJECTS = ("nsubj", "nsubjpass", "csubj")
# noun-phrase internal links followed when collecting the entities a phrase names
NP_LINKS = frozenset(
    {
        "compound",
        "poss",
        "amod",
        "conj",
        "cc",
        "appos",
        "nmod",
        "det",
        "preconj",
        "prep",
        "pobj",
        "flat",
        "npadvmod",
        "punct",
        "case",
        "nummod",
        "quantmod",
    }
)
NP_PREPS = frozenset({"of", "from", "for"})
#: Entity types that say where something happened.
PLACE_TYPES = frozenset({"GPE", "LOC", "FAC"})
#: What locates a place inside a larger one: "Poland's" Lublin region, the region "of Poland".
_CONTAINERS = frozenset({"poss", "prep"})
#: Prepositions of a place that holds the thing named: the city "of Istanbul", a bus "in Sumy".
_HOLDING_PREPS = frozenset({"of", "in", "at", "near"})
CLIMB = frozenset(
    {
        "xcomp",
        "ccomp",
        "conj",
        "advcl",
        "prep",
        "pobj",
        "pcomp",
        "dobj",
        "acl",
        "relcl",
        "attr",
        "oprd",
        "dative",
        "agent",
        "nsubj",
        "nsubjpass",
        "appos",
        "compound",
        "amod",
        "npadvmod",
        "advmod",
        "acomp",
    }
)


@dataclass(frozen=True)
class Party:
    """An entity as a claim names it: the canonical id, a type and the surface text."""

    id: str
    type: str
    text: str


@dataclass
class ArticleContext:
    doc: Any
    entities: ArticleEntities
    lex: Lexicon
    outlet: str
    published: date | None
    quote_spans: list[tuple[int, int, AssertedBy]] = field(default_factory=list)
    _fold: dict[str, str] = field(default_factory=dict)
    _sents: list[Any] = field(default_factory=list)
    _sent_of: list[int] = field(default_factory=list)
    _entity_of: dict[int, Entity] = field(default_factory=dict)
    text: str = ""
    _times: dict[int, list[Any]] = field(default_factory=dict)
    _ents_by_sent: dict[int, list[Any]] = field(default_factory=dict)
    _demonyms: dict[str, Party | None] = field(default_factory=dict)
    _states: set[str] = field(default_factory=set)
    #: the alias data the entities came from (its demonyms name states: "Lebanese" → Lebanon)
    gazetteer: Gazetteer | None = None
    #: (where, parties) of the two-sided events found so far ("talks between A and B"): who
    #: "the two sides" are after them (see :meth:`resolve_reference`)
    sides: list[tuple[int, tuple[Party, ...]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text = self.doc.text  # Doc.text joins every token on each access
        # one pass each over sentences and mentions: rules then look them up per token
        self._sents = list(self.doc.sents)
        self._sent_of = [0] * len(self.doc)
        for n, sent in enumerate(self._sents):
            for i in range(sent.start, sent.end):
                self._sent_of[i] = n
        for ent in self.doc.ents:
            self._ents_by_sent.setdefault(self._sent_of[ent.start], []).append(ent)
        for e in self.entities.entities:
            for m in e.mentions:
                span = self.doc.char_span(m.start, m.end, alignment_mode="expand")
                if span is not None:
                    for i in range(span.start, span.end):
                        self._entity_of.setdefault(i, e)
        persons = [e for e in self.entities.entities if e.type == "PERSON"]
        for e in persons:
            if "-" in e.id:
                continue
            longer = {f.id for f in persons if f.id.endswith("-" + e.id)}
            if len(longer) == 1:
                self._fold[e.id] = longer.pop()

    # ---------------------------------------------------------------- entities

    def _party(self, e: Entity, text: str) -> Party | None:
        if e.type == "NORP":
            return self.demonym(text)
        if e.type not in PARTY_TYPES:
            return None
        return Party(self._fold.get(e.id, e.id), e.type, text)

    def time_candidates(self, token: Any) -> list[Any]:
        """The time expressions of a token's sentence (computed once per sentence)."""
        n = self._sent_of[token.i]
        if n not in self._times:
            self._times[n] = time_candidates(self._sents[n], self.lex, self._ents_by_sent.get(n, []))
        return self._times[n]

    def demonym(self, word: str) -> Party | None:
        if word not in self._demonyms:
            self._demonyms[word] = self._demonym(word)
        return self._demonyms[word]

    def _demonym(self, word: str) -> Party | None:
        name = self.lex.demonyms.get(word.lower().removesuffix("s"))
        if name is None:
            name = (self.gazetteer or default_gazetteer()).state_of.get(fold_key(word))
        if name is None:
            return None
        found = self.entities.find(name)
        if found is not None and found.type != "NORP":
            return Party(self._fold.get(found.id, found.id), found.type, word)
        return Party(slug(name), "GPE", word)

    def as_actor(self, party: Party) -> Party:
        """A capital or seat of government acting stands for its state ("Moscow and Kyiv held
        talks", "the Kremlin said"): the ``seats`` table of ``events.toml``."""
        state = self.lex.seats.get(party.id)
        return party if state is None else Party(state[0], "GPE", party.text)

    def is_state(self, party: Party) -> bool:
        """Whether a party is a state with a demonym (the lexicon's or the alias data's)."""
        if not self._states:
            names = [*self.lex.demonyms.values(), *(self.gazetteer or default_gazetteer()).state_of.values()]
            self._states = {n.lower() for n in names} | {slug(n) for n in names}
        return party.text.lower() in self._states or party.id in self._states

    def sent(self, token: Any) -> Any:
        """The sentence of a token (precomputed: ``Token.sent`` walks the document)."""
        return self._sents[self._sent_of[token.i]]

    def sent_at(self, char: int) -> Any:
        span = self.doc.char_span(char, min(char + 1, len(self.text)), alignment_mode="expand")
        return self.sent(span[0]) if span is not None and len(span) else None

    @property
    def sents(self) -> list[Any]:
        return self._sents

    def party_at(self, token: Any) -> Party | None:
        """The entity a token belongs to (or a nationality adjective stands for)."""
        e = self._entity_of.get(token.i)
        if e is not None:
            return self._party(e, token.text)
        if token.pos_ in ("ADJ", "PROPN", "NOUN"):
            return self.demonym(token.text)
        return None

    def place_near(
        self,
        tokens: Iterable[Any],
        preps: frozenset[str],
        types: frozenset[str] = PLACE_TYPES,
        within: Iterable[Any] = (),
    ) -> Party | None:
        """Where: the place a preposition of ``preps`` on one of ``tokens`` names ("talks in
        Istanbul", "killed five people in Kherson"), else one anywhere inside the phrases
        ``within`` ("a strike on a bus in Sumy", "struck a hospital in Kharkiv")."""
        preps_of = [c for tok in tokens for c in tok.children if c.dep_ == "prep" and c.lower_ in preps]
        preps_of += [t for phrase in within for t in phrase.subtree if t.dep_ == "prep" and t.lower_ in preps]
        for prep in preps_of:
            found = self.place_of(prep, types)
            if found is not None:
                return found
        return None

    def place_of(self, prep: Any, types: frozenset[str] = PLACE_TYPES) -> Party | None:
        """The place a preposition's object names: its own name before the larger place that
        holds it ("in Poland's Lublin region", "in the Lublin region of Poland": Lublin), else
        the place that holds it ("in Ukraine's capital", "in the city of Istanbul", "a bus in
        Sumy") — not a place that only describes a possessor ("at the U.S. ambassador's
        residence" is no place in the United States)."""

        def is_place(p: Party | None) -> bool:
            return p is not None and p.type in types and self.demonym(p.text) is None

        for pobj in (c for c in prep.children if c.dep_ == "pobj"):
            own = [p for p in self.np_parties(pobj, resolve=False, skip=_CONTAINERS) if is_place(p)]
            if own:
                return own[-1]
            for child in pobj.children:
                holder = self.party_at(child) if child.dep_ == "poss" else None
                if holder is not None and is_place(holder):
                    return holder
                if child.dep_ == "prep" and child.lower_ in _HOLDING_PREPS:
                    found = self.place_of(child, types)
                    if found is not None:
                        return found
        return None

    def np_parties(self, head: Any, *, resolve: bool = True, skip: frozenset[str] = frozenset()) -> list[Party]:
        """The entities a noun phrase names ("the leaders of the UK, France and Italy" → three)."""
        out: list[Party] = []
        seen: set[str] = set()

        def visit(tok: Any, depth: int, persons_only: bool = False) -> None:
            if depth > 6:
                return
            p = self.party_at(tok)
            if p is not None and p.id not in seen and (not persons_only or p.type == "PERSON"):
                seen.add(p.id)
                out.append(p)
            if p is None and depth and resolve and tok.dep_ == "pobj" and tok.lemma_.lower() in self.lex.side_nouns:
                # "commanders from both sides": the sides' parties
                for side in self.resolve_reference(tok):
                    if side.id not in seen:
                        seen.add(side.id)
                        out.append(side)
            person = p is not None and p.type == "PERSON"
            for child in tok.children:
                if child.dep_ not in NP_LINKS or child.dep_ in skip:
                    continue
                if child.dep_ == "prep" and child.lower_ not in NP_PREPS:
                    continue
                # "French President Anne Durand" names Durand, not France; "Durand-Kowalski" both
                title = person and child.dep_ in ("compound", "amod", "nmod")
                visit(child, depth + 1, persons_only or title)

        visit(head, 0)
        if not out and resolve:
            out = self.resolve_reference(head)
        elif resolve and self._a_countrys_leader(head, out):
            out = [self.titled_person(head.idx, out[0].id) or out[0]]
        return out

    def _a_countrys_leader(self, head: Any, parties: list[Party]) -> bool:
        """ "the Ukrainian leader", "Ukraine's president": one person, named before."""
        return (
            len(parties) == 1
            and parties[0].type in ("GPE", "NORP")
            and head.tag_ == "NN"
            and head.lemma_.lower() in self.lex.leader_titles
            and not any(c.dep_ == "det" and c.lower_ in ("a", "an") for c in head.children)
        )

    def titled_person(self, before: int, country: str) -> Party | None:
        """The person last named before ``before`` with ``country`` and a leader's title in their
        title ("Ukrainian President Volodymyr Zelensky" for "the Ukrainian leader"), outside
        quotations."""
        latest: tuple[int, Party] | None = None
        for e in self.entities.entities:
            if e.type != "PERSON":
                continue
            for m in e.mentions:
                if m.end > before or self.inside_quote(m.start) or (latest and m.start < latest[0]):
                    continue
                span = self.doc.char_span(m.start, m.end, alignment_mode="expand")
                if span is None:
                    continue
                title = [t for t in span.root.subtree if t.i < span.start or t.i >= span.end]
                words = " " + " ".join(t.lower_ for t in title) + " "
                leads = any(f" {w} " in words for w in self.lex.leader_titles)
                if leads and any((p := self.party_at(t)) is not None and p.id == country for t in title):
                    latest = (m.start, Party(self._fold.get(e.id, e.id), e.type, m.text))
        return latest[1] if latest else None

    # ---------------------------------------------------------------- references

    def resolve_reference(self, tok: Any) -> list[Party]:
        """Pronouns and definite noun phrases ("he", "they", "the leaders") → their antecedent."""
        low = tok.lower_
        if low in self.lex.person_pronouns:
            p = self.recent_person(tok.idx)
            return [p] if p is not None else []
        if low in self.lex.plural_pronouns:
            return self.recent_group(tok.idx)
        if low in ("it", "its"):
            return self._reporting_body(tok)
        if tok.pos_ == "NOUN" and any(c.lower_ in ("the", "these", "those", "both") for c in tok.children):
            for prev in reversed(list(self._tokens_before(tok))):
                if prev.lemma_.lower() == tok.lemma_.lower() and prev.i != tok.i:
                    found = self.np_parties(prev, resolve=False)
                    if found:
                        return found
            if tok.tag_ == "NNS" and tok.lemma_.lower() in self.lex.leader_titles:
                # "the two leaders", "both presidents": the people of the last group named, else
                # the last two people named ("Trump said Putin was not ready, a day after the
                # two leaders held a call")
                people = [p for p in self.recent_group(tok.idx) if p.type == "PERSON"]
                two = any(c.lower_ in ("two", "both") for c in tok.children)
                return people if len(people) > 1 or not two else self.last_people(tok.idx, 2)
            if tok.tag_ == "NNS" and tok.lemma_.lower() in self.lex.group_nouns:
                # "the two sides", "both delegations": the parties of the last group named; the
                # sides are those of the last talks, deal or meeting told, not whoever was last
                # named together ("The US and Saudi Arabia urged both sides to return to talks")
                if tok.lemma_.lower() in self.lex.side_nouns:
                    sides = [parties for at, parties in self.sides if at < tok.idx]
                    if sides:
                        return list(sides[-1])
                return self.recent_group(tok.idx)
        return []

    def _reporting_body(self, tok: Any) -> list[Party]:
        """ "It" in what a state or body says of itself: "Pakistan said it had launched attacks"
        is Pakistan; any other "it" stays unresolved."""
        speech = next((a for a in tok.ancestors if a.lemma_.lower() in self.lex.speech_verbs), None)
        if speech is None:
            return []
        subj = next((c for c in speech.children if c.dep_ == "nsubj"), None)
        if subj is None or subj.i > tok.i:
            return []
        found = self.np_parties(subj, resolve=False)
        return found if found and all(p.type in ("ORG", "GPE", "NORP") for p in found) else []

    def _tokens_before(self, tok: Any) -> Iterator[Any]:
        start = max(0, tok.i - 400)
        yield from self.doc[start : tok.i]

    def inside_quote(self, char: int) -> bool:
        return any(s <= char < e for s, e, _a in self.quote_spans)

    def recent_person(self, before: int) -> Party | None:
        """Most recent PERSON before ``before``: main-clause subjects first, then any subject,
        then any mention (outside quotations)."""
        best: list[tuple[int, int, Party]] = []
        for e in self.entities.entities:
            if e.type != "PERSON":
                continue
            for m in e.mentions:
                if m.end > before or self.inside_quote(m.start) or before - m.start > 3000:
                    continue
                span = self.doc.char_span(m.start, m.end, alignment_mode="expand")
                if span is None:
                    continue
                root = span.root
                rank = 0
                if root.dep_ in SUBJECTS:
                    rank = 2 if root.head.dep_ in ("ROOT", "conj") or root.head == self.sent(root).root else 1
                best.append((rank, m.start, Party(self._fold.get(e.id, e.id), e.type, m.text)))
        if not best:
            return None
        # the latest sentence that mentions a person; inside it the best-ranked, then the latest
        last_sent = max(self.sent_at(b[1]).start_char for b in best)
        pool = [b for b in best if b[1] >= last_sent]
        return max(pool, key=lambda t: (t[0], t[1]))[2]

    def last_people(self, before: int, n: int) -> list[Party]:
        """The last ``n`` distinct people named before ``before`` (outside quotations), in the
        sentence before it or its own; fewer than ``n``: none."""
        sent = self.sent_at(before)
        if sent is None:
            return []
        prev = self.sent_at(sent.start_char - 2) if sent.start_char > 1 else None
        start = (prev if prev is not None else sent).start_char
        found: list[tuple[int, Party]] = []
        for e in self.entities.entities:
            if e.type != "PERSON":
                continue
            starts = [
                m.start for m in e.mentions if start <= m.start and m.end <= before and not self.inside_quote(m.start)
            ]
            if starts:
                found.append((max(starts), Party(self._fold.get(e.id, e.id), e.type, e.name)))
        latest = [p for _at, p in sorted(found, key=lambda t: t[0], reverse=True)[:n]]
        return latest if len(latest) == n else []

    def recent_group(self, before: int) -> list[Party]:
        """Antecedent of "they": the most recent plural subject that names entities."""
        for sent in reversed([s for s in self._sents if s.start_char < before][-20:]):
            for tok in sent:
                if tok.idx >= before or tok.dep_ not in SUBJECTS or self.inside_quote(tok.idx):
                    continue
                if tok.tag_ in ("NNS", "NNPS") or any(c.dep_ == "conj" for c in tok.children):
                    found = self.np_parties(tok, resolve=tok.lower_ not in self.lex.plural_pronouns)
                    if found:
                        return found
        return []

    # ---------------------------------------------------------------- syntax

    def subject_of(self, verb: Any, *, max_up: int = 6, strict: bool = False) -> tuple[Any, list[Party]] | None:
        """The acting subject of a verb, climbing through coordinated, controlled and
        subordinate clauses ("Smith and Jones led … and met with …", "plans to speak").

        A subject that names no entity is kept only if no higher clause has one that does
        ("…, stating that …" under "Smith argued that a breakthrough would come …")."""
        tok = verb
        fallback: tuple[Any, list[Party]] | None = None
        for _ in range(max_up):
            found = self._own_subject(tok)
            if found is not None:
                if found[1] or strict:
                    return found
                if found[0].pos_ == "PRON" or found[0].lower_ in self.lex.role_nouns:
                    return found if fallback is None else fallback
                fallback = fallback or found
            if tok.dep_ == "ROOT" or tok.head == tok:
                break
            tok = tok.head
        return fallback

    def _own_subject(self, tok: Any) -> tuple[Any, list[Party]] | None:
        raising = any(c.dep_ == "xcomp" for c in tok.children)
        for child in tok.children:
            if child.dep_ in ("nsubj", "csubj") or (child.dep_ == "nsubjpass" and raising):
                return child, self.np_parties(child)
        # "urged the allies to impose …": the object of the governing verb acts
        if tok.dep_ == "xcomp":
            objs = [c for c in tok.head.children if c.dep_ == "dobj"]
            if objs:
                return objs[0], self.np_parties(objs[0])
            # ("… expected to be hosted by Turkey": the agent acts)
            agent = next((c for c in tok.children if c.dep_ == "agent"), None) if tok.tag_ == "VBN" else None
            pobj = [c for c in agent.children if c.dep_ == "pobj"] if agent is not None else []
            if pobj:
                return pobj[0], self.np_parties(pobj[0])
        # "accused Russia of making demands": the object of the governing verb acts
        if tok.tag_ == "VBG" and tok.dep_ == "pcomp" and tok.head.dep_ == "prep":
            objs = [c for c in tok.head.head.children if c.dep_ == "dobj"]
            if objs:
                return objs[0], self.np_parties(objs[0])
        return None

    def evidence(self, start: int, end: int) -> Evidence:
        first = self.sent_at(start)
        last = self.sent_at(max(start, end - 1))
        s_start = first.start_char if first is not None else start
        s_end = last.end_char if last is not None else end
        s_start, s_end = min(s_start, start), max(s_end, end)
        return Evidence(start, end, s_start, s_end, self.text[s_start:s_end])

    def attribution(self, token: Any) -> AssertedBy:
        """Who asserts what this token says: a quotation's speaker, the subject of a reporting
        verb above it ("Russia claimed to have …"), "according to X", or else the outlet."""
        for s, e, who in self.quote_spans:
            if s <= token.idx < e:
                return who
        sent = self.sent(token)
        for tok in sent:
            if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):
                to = next(c for c in tok.children if c.lower_ == "to")
                objs = [c for c in to.children if c.dep_ == "pobj"]
                if objs:
                    parties = self.np_parties(objs[0])
                    phrase = self.doc[objs[0].left_edge.i : objs[0].right_edge.i + 1].text
                    return AssertedBy("source", phrase, parties[0].id if parties else None)
        cur = token
        for _ in range(8):
            if cur.head == cur:
                break
            cur = cur.head
            if cur.pos_ in ("VERB", "AUX") and cur.lemma_.lower() in self.lex.attribution_verbs:
                subj = [c for c in cur.children if c.dep_ in SUBJECTS]
                if subj and subj[0].i != token.i:
                    parties = self.np_parties(subj[0])
                    phrase = self.doc[subj[0].left_edge.i : subj[0].right_edge.i + 1].text
                    if subj[0].pos_ == "PRON" and parties:
                        phrase = parties[0].text  # ("He said …": who, not "He")
                    return AssertedBy("source", phrase, parties[0].id if parties else None)
        return AssertedBy("outlet", self.outlet or "outlet", None)


def unique(parties: Iterable[Party]) -> list[Party]:
    out: list[Party] = []
    seen: set[str] = set()
    for p in parties:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out
