"""Deeply immutable JSON: what an event's ``data`` is when read (pure).

An event must not change after it is made, yet its consumers read its data at every field
of every claim. A read-only proxy over each object (``MappingProxyType``) made every read a
method call through the proxy, and the projector reads tens of thousands of claims a second.
:class:`FrozenJSON` is a ``dict`` whose every mutator raises: reads are a dict's own, ``orjson``
serializes it as the dict it is, and arrays become tuples. Compiled with the projector's core
(:mod:`newswire.compiled`), :func:`freeze` costs a fraction of parsing the JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn


class FrozenJSON(dict[str, Any]):
    """A JSON object that cannot be changed (every mutator raises ``TypeError``)."""

    __slots__ = ()

    def __setitem__(self, key: str, value: Any) -> NoReturn:
        raise TypeError("event data is immutable")

    def __delitem__(self, key: str) -> NoReturn:
        raise TypeError("event data is immutable")

    def __ior__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        raise TypeError("event data is immutable")

    def clear(self) -> NoReturn:
        raise TypeError("event data is immutable")

    def pop(self, key: str, *default: Any) -> NoReturn:
        raise TypeError("event data is immutable")

    def popitem(self) -> NoReturn:
        raise TypeError("event data is immutable")

    def setdefault(self, key: str, default: Any = None) -> NoReturn:
        raise TypeError("event data is immutable")

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("event data is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenJSON, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenJSON({dict.__repr__(self)})"


def freeze(value: Any) -> Any:
    """JSON as parsed (dicts, lists, scalars) → the same values, deeply immutable. A parsed dict
    that nobody else holds is reused for its nested values (they are replaced in place before it
    is copied into its frozen form); any other mapping or sequence is copied."""
    kind = type(value)
    if kind is dict:
        parsed: dict[str, Any] = value
        for key, item in parsed.items():
            if type(item) is dict or type(item) is list:
                parsed[key] = freeze(item)
        return FrozenJSON(parsed)
    if kind is list:
        return tuple([item if type(item) is not dict and type(item) is not list else freeze(item) for item in value])
    if kind is FrozenJSON or kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if isinstance(value, Mapping):
        return FrozenJSON({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, tuple | list):
        return tuple([freeze(item) for item in value])
    return value


def thaw(value: Any) -> Any:
    """Frozen data back to plain dicts and lists (for callers that edit it)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON object as the dict it is (frozen or not), or an empty one: what compiled readers take
    (a read of a ``dict`` is a direct lookup, of any other mapping a method call)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, Mapping):
        return FrozenJSON(value)
    return FrozenJSON()


def items_of(value: Any) -> Iterable[Any]:
    """A JSON array (frozen or not) or nothing."""
    return value if isinstance(value, tuple | list) else ()
