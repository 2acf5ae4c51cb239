"""The CloudEvents 1.0 envelope every newswire event travels in, and its orjson codec.

Structured mode: the Kafka record value is the whole envelope as JSON; the same attributes also
travel as ``ce_*`` headers so that routers can look at them without parsing the value.
Events are immutable records; ``data`` is a plain JSON mapping whose shape is fixed by the
versioned JSON Schema named in ``dataschema`` (see :mod:`newswire.schemas`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import orjson

from newswire.frozen import freeze, thaw

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

ARTICLE_INGESTED = "newswire.article.ingested"
ENTITIES_EXTRACTED = "newswire.entities.extracted"
CLAIMS_EXTRACTED = "newswire.claims.extracted"
ITEM_CHANGED = "newswire.talks.item.changed"
DEADLETTER = "newswire.deadletter"

#: Event type → current schema version. A breaking change is a new version and a new topic.
SCHEMA_VERSIONS: Mapping[str, int] = MappingProxyType(
    {
        ARTICLE_INGESTED: 1,
        ENTITIES_EXTRACTED: 1,
        CLAIMS_EXTRACTED: 1,
        ITEM_CHANGED: 1,
        DEADLETTER: 1,
    }
)

_REQUIRED = ("specversion", "id", "source", "type", "subject", "time", "dataschema", "data")


class EnvelopeError(ValueError):
    """A record is not a valid newswire CloudEvent (bad JSON, missing attribute, unknown type)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def dataschema_uri(event_type: str, version: int | None = None) -> str:
    """The versioned schema URI of a type, e.g. ``urn:newswire:schema:newswire.article.ingested:v1``."""
    v = SCHEMA_VERSIONS[event_type] if version is None else version
    return f"urn:newswire:schema:{event_type}:v{v}"


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, second precision unless microseconds are set."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: event times must be timezone-aware")
    utc = moment.astimezone(UTC)
    text = utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 time as written by :func:`format_time` (or any ISO 8601 with offset)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without offset: {text!r}")
    return moment


class _LazyData(Mapping[str, Any]):
    """An event's ``data``, frozen into mappings when first read: from its JSON (an event made
    here) or from the JSON as parsed (an event decoded from a record).

    Most events made here are only serialized and sent (the projector makes one per item change),
    and the projector reads each event it decodes once, to derive its facts: freezing up front
    was wasted work (for a claims event, a third of decoding it). :func:`parsed_data` gives that
    one reader the JSON as parsed; nothing the caller of :class:`Envelope` holds can change it."""

    __slots__ = ("_json", "_raw", "_value")

    def __init__(self, data_json: bytes | None = None, raw: dict[str, Any] | None = None) -> None:
        self._json = data_json
        self._raw = raw  # (parsed from a record, and nobody else holds it)
        self._value: Mapping[str, Any] | None = None

    def _frozen(self) -> Mapping[str, Any]:
        if self._value is None:
            raw, self._raw = self._raw, None  # (freezing reuses it: see freeze)
            self._value = freeze(raw if raw is not None else orjson.loads(self._json or b"{}"))
        return self._value

    def parsed(self) -> Mapping[str, Any]:
        """The data as parsed, frozen or not (see :func:`parsed_data`)."""
        if self._value is not None:
            return self._value
        return self._raw if self._raw is not None else orjson.loads(self._json or b"{}")

    def __getitem__(self, key: str) -> Any:
        return self._frozen()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._frozen().get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._frozen())

    def __len__(self) -> int:
        return len(self._frozen())

    def __repr__(self) -> str:
        return repr(dict(self._frozen()))


@dataclass(frozen=True)
class Envelope:
    """One CloudEvent. ``data`` is deeply frozen so that an event cannot change after creation.

    An event made here is serialized at creation (``data_json``) and its ``data`` frozen from
    that JSON when first read; an event decoded from a record keeps its data as parsed, frozen
    when first read too, and serialized again only if asked (:meth:`decoded`)."""

    id: str
    type: str
    source: str
    subject: str
    time: str
    data: Mapping[str, Any]
    dataschema: str = ""
    causationid: str | None = None
    extractor: str | None = None
    specversion: str = SPECVERSION
    datacontenttype: str = CONTENT_TYPE
    extensions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: ``data`` as JSON, once made (see :attr:`data_json`)
    _data_json: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.type not in SCHEMA_VERSIONS:
            raise EnvelopeError("unknown_type", f"unknown event type {self.type!r}")
        if not self.dataschema:
            object.__setattr__(self, "dataschema", dataschema_uri(self.type))
        try:
            data_json = orjson.dumps(self.data)  # (frozen parts of another event serialize as they are)
        except TypeError:  # other mappings (a read-only proxy): plain dicts first
            data_json = orjson.dumps(thaw(self.data))
        object.__setattr__(self, "_data_json", data_json)
        object.__setattr__(self, "data", _LazyData(data_json))

    @classmethod
    def decoded(cls, raw: Mapping[str, Any], extensions: Mapping[str, str]) -> Envelope:
        """An envelope from a JSON object :func:`envelope_from_dict` has checked, its ``data`` a
        parsed dict nobody else holds (frozen in place when first read). Made without
        ``__init__``: a frozen dataclass sets each of its 13 fields through ``object.__setattr__``,
        which took twice as long as this (``python -m bench.projector``, bare decode)."""
        env = object.__new__(cls)
        vars(env).update(
            id=raw["id"],
            type=raw["type"],
            source=raw["source"],
            subject=raw["subject"],
            time=raw["time"],
            data=_LazyData(raw=raw["data"]),
            dataschema=raw["dataschema"],
            causationid=raw.get("causationid"),
            extractor=raw.get("extractor"),
            specversion=SPECVERSION,
            datacontenttype=raw.get("datacontenttype", CONTENT_TYPE),
            extensions=extensions,
            _data_json=None,
        )
        return env

    @property
    def data_json(self) -> bytes:
        """``data`` as JSON bytes (made once: at creation, or when first asked of a decoded event)."""
        known = self._data_json
        if known is None:
            data = self.data
            known = orjson.dumps(data._frozen() if type(data) is _LazyData else data)
            object.__setattr__(self, "_data_json", known)
        return known

    def attributes(self) -> dict[str, Any]:
        """The CloudEvents context attributes (everything but ``data``), in wire order."""
        out: dict[str, Any] = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time,
            "datacontenttype": self.datacontenttype,
            "dataschema": self.dataschema,
        }
        if self.causationid is not None:
            out["causationid"] = self.causationid
        if self.extractor is not None:
            out["extractor"] = self.extractor
        out.update(self.extensions)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**self.attributes(), "data": thaw(self.data)}

    def headers(self) -> list[tuple[str, bytes]]:
        """CloudEvents Kafka binding attributes as ``ce_*`` headers (duplicated from the value)."""
        hs = [
            ("ce_specversion", self.specversion.encode()),
            ("ce_id", self.id.encode()),
            ("ce_type", self.type.encode()),
            ("ce_source", self.source.encode()),
            ("ce_subject", self.subject.encode()),
            ("ce_time", self.time.encode()),
            ("content-type", b"application/cloudevents+json"),
        ]
        if self.causationid is not None:
            hs.append(("ce_causationid", self.causationid.encode()))
        if self.extractor is not None:
            hs.append(("ce_extractor", self.extractor.encode()))
        return hs


_KNOWN = frozenset(
    {
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "datacontenttype",
        "dataschema",
        "causationid",
        "extractor",
        "data",
    }
)


def encode(envelope: Envelope) -> bytes:
    """Serialize an envelope with orjson (structured mode); ``data`` was serialized once, at creation."""
    return orjson.dumps(envelope.attributes())[:-1] + b',"data":' + envelope.data_json + b"}"


_REQUIRED_KEYS = frozenset(_REQUIRED)
_STRING_ATTRIBUTES = ("id", "source", "type", "subject", "time", "dataschema")
_NO_EXTENSIONS: Mapping[str, str] = MappingProxyType({})


def envelope_from_dict(raw: Mapping[str, Any]) -> Envelope:
    """Build an envelope from a decoded JSON object, checking the required attributes."""
    if not raw.keys() >= _REQUIRED_KEYS:
        missing = [k for k in _REQUIRED if k not in raw]
        raise EnvelopeError("not_cloudevent", f"missing CloudEvents attributes: {', '.join(missing)}")
    if raw["specversion"] != SPECVERSION:
        raise EnvelopeError("not_cloudevent", f"unsupported specversion {raw['specversion']!r}")
    for key in _STRING_ATTRIBUTES:
        value = raw[key]
        if not value or not isinstance(value, str):
            raise EnvelopeError("not_cloudevent", f"attribute {key!r} must be a non-empty string")
    if not isinstance(raw["data"], dict):
        raise EnvelopeError("not_cloudevent", "attribute 'data' must be a JSON object")
    if raw["type"] not in SCHEMA_VERSIONS:
        raise EnvelopeError("unknown_type", f"unknown event type {raw['type']!r}")
    extensions = _NO_EXTENSIONS
    if not _KNOWN.issuperset(raw):
        extensions = MappingProxyType({k: str(v) for k, v in raw.items() if k not in _KNOWN})
    return Envelope.decoded(raw, extensions)


def decode(value: bytes | None) -> Envelope:
    """Parse a record value; raises :class:`EnvelopeError` with a reason code on bad input."""
    return envelope_from_dict(parse_json(value))


def parsed_data(envelope: Envelope) -> Mapping[str, Any]:
    """An event's ``data`` to read once and fast: for an event decoded from a record, the JSON as
    parsed (plain dicts and lists, not frozen: the caller must not change them, nor keep them);
    for any other, its frozen data."""
    data = envelope.data
    return data.parsed() if type(data) is _LazyData else data


def parse_json(value: bytes | None) -> dict[str, Any]:
    """A record value as a plain JSON object (the first half of :func:`decode`)."""
    if value is None:
        raise EnvelopeError("empty", "record has no value (tombstone)")
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError("invalid_json", f"value is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise EnvelopeError("not_cloudevent", "value is JSON but not an object")
    return raw


def derive(
    parent: Envelope,
    *,
    event_type: str,
    event_id: str,
    source: str,
    extractor: str,
    data: Mapping[str, Any],
) -> Envelope:
    """An event derived from ``parent``: same subject and time, causation recorded.

    The derived event keeps the parent's time so that reprocessing the same input yields a
    byte-identical event (the id is already deterministic; the time is too).
    """
    return Envelope(
        id=event_id,
        type=event_type,
        source=source,
        subject=parent.subject,
        time=parent.time,
        data=data,
        causationid=parent.id,
        extractor=extractor,
    )
