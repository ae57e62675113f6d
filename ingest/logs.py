"""Structured logs: one line per event, ``key=value`` pairs, easy to grep and to parse.

    ts=2026-01-15T10:00:00.123Z level=info logger=ingest.worker event=flushed readings=5000

Log with ``log.info("flushed", extra={"fields": {"readings": 5000}})`` or :func:`event`.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any


def _value(value: Any) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    """Render a record as ``key=value`` pairs: ts, level, logger, event, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        parts = [f"ts={ts}.{int(record.msecs):03d}Z", f"level={record.levelname.lower()}",
                 f"logger={record.name}", f"event={_value(record.getMessage())}"]
        fields = getattr(record, "fields", None) or {}
        parts.extend(f"{key}={_value(value)}" for key, value in fields.items())
        if record.exc_info:
            parts.append(f"error={_value(self.formatException(record.exc_info))}")
        return " ".join(parts)


def configure(level: str = "info") -> None:
    """Send key=value logs to stderr (call once, at process start)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("urllib3").setLevel(logging.ERROR)


def event(logger: logging.Logger, level: int, name: str, **fields: Any) -> None:
    """Log event ``name`` with ``fields``."""
    logger.log(level, name, extra={"fields": fields})
