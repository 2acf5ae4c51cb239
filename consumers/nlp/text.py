"""What of an article body the NLP stages read: size cap, markup and a wire dateline blanked, non-English skipped.

Shared by both enrichers so that they read exactly the same characters (and so find the same
entities with the same offsets). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Bodies longer than this are cut (about 8,000 words, several times a long news article). It
#: bounds a poll batch too: max_poll_records × the model's cost of this many characters (~2 s on
#: a laptop core) must stay under the consumer's max_poll_interval_ms.
DEFAULT_MAX_CHARS = 50_000

OUTCOMES = ("ok", "empty", "truncated", "skipped")

_TAG = re.compile(r"<[^<>]{0,2000}>")
_ENTITY = re.compile(r"&[#a-zA-Z0-9]{1,10};")
#: A wire dateline opening a paragraph: "KYIV, June 3 (Reuters) -", "GAZA CITY (AP) —",
#: "WASHINGTON —". Read as text, it made the agency the subject of the first sentence ("Reuters
#: said that Kyiv was ready…"). A hyphen needs the agency before it ("NATO - Russia …" is no
#: dateline).
_DATELINE = re.compile(
    r"^[ \t]*[A-Z][A-Z'’.]{2,}(?:[ \-][A-Z][A-Z'’.]+){0,3}"  # the place, in capitals
    r"(?:,[ \t]*[A-Z][A-Za-z.]*(?:[ \t]+[A-Za-z.]+)?(?:[ \t]+\d{1,2})?)?"  # ", June 3", ", Ukraine"
    r"(?:[ \t]*\([A-Z][A-Za-z .&]{1,30}\)[ \t]*[-–—]{1,2}|[ \t]*(?:—|–|--))(?=[ \t])",
    re.M,
)
#: Only where an article opens (its first paragraphs) is a dateline.
_DATELINE_WITHIN = 400
_WORD = re.compile(r"[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_EN_FUNCTION_WORDS = frozenset(
    re.findall(
        r"\w+",
        "the of and to in a is that for on with as was by at it from he his be are an has have said not "
        "but this which its were they who will had their after been more than or would also",
    )
)


@dataclass(frozen=True)
class Prepared:
    """What the model will read for one article, and why (the outcome is recorded in the event)."""

    text: str
    outcome: str
    reason: str | None = None
    markup_chars: int = 0

    @property
    def analyse(self) -> bool:
        return self.outcome in ("ok", "truncated") and bool(self.text.strip())


def looks_english(text: str, sample_chars: int = 20_000) -> bool:
    """Enough English function words in the first ``sample_chars`` (short texts get the benefit)."""
    sample = text[:sample_chars]
    letters = len(_LETTER.findall(sample))
    latin = len(_LATIN.findall(sample))  # Latin script (ASCII to Latin Extended-B)
    if letters >= 200 and latin < 0.5 * letters:
        return False
    words = [w.lower() for w in _WORD.findall(sample)]
    if len(words) < 25:
        return True
    hits = sum(1 for w in words if w in _EN_FUNCTION_WORDS)
    return hits / len(words) >= 0.08


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def prepare(body: str, language: str | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> Prepared:
    """Decide what of ``body`` is analysed; offsets of the returned text equal the body's."""
    if not body.strip():
        return Prepared("", "empty", "body has no text")
    if language and not language.lower().startswith("en"):
        return Prepared("", "skipped", f"language {language!r} is not English")
    text = body
    outcome, reason = "ok", None
    if len(text) > max_chars:
        cut = max(text.rfind("\n", 0, max_chars), text.rfind(" ", 0, max_chars))
        cut = cut if cut > max_chars // 2 else max_chars
        text = text[:cut]
        outcome, reason = "truncated", f"body of {len(body)} characters cut to the first {cut}"
    blanked = _ENTITY.sub(_blank, _TAG.sub(_blank, text))
    markup = sum(1 for a, b in zip(text, blanked, strict=True) if a != b) if blanked != text else 0
    head = _DATELINE.sub(_blank, blanked[:_DATELINE_WITHIN])
    blanked = head + blanked[_DATELINE_WITHIN:]
    if not blanked.strip():
        return Prepared("", "empty", "nothing but markup", markup)
    if not looks_english(blanked):
        return Prepared("", "skipped", "text does not look like English", markup)
    if markup and reason is None:
        reason = f"{markup} characters of markup ignored"
    return Prepared(blanked, outcome, reason, markup)
