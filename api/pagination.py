"""Cursor (keyset) pagination: a page ends with an opaque cursor holding the last row's
sort key; the next page is the rows strictly after it in the same order. Stable under
inserts, and as fast on page 200 as on page 1."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, literal, or_
from sqlalchemy.orm import Session

from api.errors import BadRequest

Key = Sequence[tuple[Any, bool]]  # (column, descending)


def encode(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, n: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("cursor: not a cursor this API gave out (use next_cursor as is)"
                         ) from None
    if not isinstance(values, list) or len(values) != n or not all(
            isinstance(v, str | int | float | bool) for v in values):
        raise BadRequest("cursor: not a cursor for this list and sort order")
    return values


def _fits(col: Any, value: Any) -> bool:
    """Whether ``value`` can stand for ``col`` (a forged cursor must answer 400, not
    reach PostgreSQL as text compared with an integer)."""
    try:
        kind = col.type.python_type
    except (NotImplementedError, AttributeError):
        return True
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def after(key: Key, values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows that come after ``values`` in the order ``key``."""
    if not all(_fits(col, v) for (col, _), v in zip(key, values, strict=True)):
        raise BadRequest("cursor: not a cursor for this list and sort order")
    clauses = []
    for i, (col, desc) in enumerate(key):
        eq = [c == literal(v, c.type) for (c, _), v in zip(key[:i], values[:i], strict=True)]
        value = literal(values[i], col.type)
        step = col < value if desc else col > value
        clauses.append(and_(*eq, step))
    return or_(*clauses)


def order_by(key: Key) -> list[Any]:
    return [col.desc() if desc else col.asc() for col, desc in key]


def _plain(value: Any) -> Any:
    """A key value as JSON can hold it (PostgreSQL sums are ``Decimal``)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def page(s: Session, stmt: Select[Any], key: Key, cursor: str | None,
         limit: int) -> tuple[Sequence[Row[Any]], str | None]:
    """Up to ``limit`` rows of ``stmt`` in the order ``key``, after ``cursor``, and the
    cursor of the next page (None on the last). ``stmt`` selects every column of ``key``
    under its own name."""
    if cursor:
        stmt = stmt.where(after(key, decode(cursor, len(key))))
    rows = s.execute(stmt.order_by(*order_by(key)).limit(limit + 1)).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode([_plain(getattr(last, str(col.key))) for col, _ in key])
