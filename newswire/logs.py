"""Structured logging: one JSON object per line on stderr (or plain text for humans).

Use ``log.info("published", extra={"fields": {"article_id": ..., "topic": ...}})``: the fields
become top-level keys of the JSON line.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        tail = " ".join(f"{k}={v}" for k, v in fields.items()) if isinstance(fields, dict) else ""
        base = f"{record.levelname.lower():5} {record.name}: {record.getMessage()}"
        text = f"{base} {tail}".rstrip()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure(level: str = "INFO", fmt: str = "json") -> None:
    """Install the newswire handler on the root logger (idempotent)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_newswire", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler._newswire = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # kafka-python is chatty at INFO about every connection; keep its warnings.
    logging.getLogger("kafka").setLevel(logging.WARNING)


def fields(**kw: Any) -> dict[str, Any]:
    """Shorthand for ``extra=fields(a=1)``."""
    return {"fields": kw}
