"""The CSV edge: read a table of timestamped numeric columns, write it back with scores.

Rows are read as text and written back exactly as they came, with two columns appended
(``anomaly_score``, ``is_anomaly``), so nothing a user exported is reformatted. Numbers are
parsed only for the feature columns; every problem becomes one of the
:mod:`detect.generic.errors` that names the column, row or value at fault.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from detect.generic.base import FloatArray
from detect.generic.errors import (
    InputFileError,
    MissingColumnError,
    NonNumericColumnError,
    NotEnoughTrainingRowsError,
    TimestampError,
)
from detect.generic.pipeline import ScoreResult

TIME_COLUMN_NAMES = ("timestamp", "time", "datetime", "date", "_time", "ts")
"""Column names taken as the timestamp when ``--time-column`` is not given (any case)."""

MISSING = ("", "na", "nan", "null", "none", "n/a")
"""Cell texts read as a missing value (any case); gaps are carried forward, then backward."""

SEPARATORS = ",;\t|"


@dataclass(frozen=True)
class Table:
    """A CSV as read: the text of every cell, the timestamps and the numeric feature matrix."""

    text: pd.DataFrame
    time_column: str | None
    timestamps: pd.DatetimeIndex | None
    columns: list[str]
    values: FloatArray
    separator: str

    def __len__(self) -> int:
        return len(self.text)


def sniff_separator(path: Path) -> str:
    """Guess the separator from the start of the file among ``, ; TAB |`` (default ``,``)."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        sample = handle.read(64 * 1024)
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {sep: header.count(sep) for sep in SEPARATORS}
        best = max(counts, key=lambda sep: counts[sep])
        return best if counts[best] else ","


def _split(names: Iterable[str] | None) -> list[str]:
    return [n.strip() for n in (names or []) if n.strip()]


def _require(columns: Sequence[str], wanted: Iterable[str], what: str) -> None:
    missing = [name for name in wanted if name not in columns]
    if missing:
        listed = ", ".join(repr(c) for c in columns)
        raise MissingColumnError(
            f"{what} {', '.join(repr(m) for m in missing)} not in the file; its columns are: "
            f"{listed}"
        )


def _find_time_column(text: pd.DataFrame) -> str | None:
    for column in text.columns:
        if str(column).strip().lower() in TIME_COLUMN_NAMES:
            return str(column)
    return None


def _parse_timestamps(column: pd.Series, name: str) -> pd.DatetimeIndex:
    stripped = column.str.strip()
    parsed = pd.to_datetime(stripped, errors="coerce", format="mixed", utc=False)
    bad = parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TimestampError(
            f"timestamp column {name!r} has a value that is not a date/time at data row "
            f"{row + 1}: {column.iloc[row]!r}; pick another column with --time-column"
        )
    index = pd.DatetimeIndex(parsed)
    backwards = np.flatnonzero(np.diff(index.asi8) < 0)
    if len(backwards):
        row = int(backwards[0]) + 1
        raise TimestampError(
            f"rows are not in time order: data row {row + 1} ({column.iloc[row]!r}) comes "
            f"before the row above it; sort the file by {name!r} first"
        )
    return index


def _numeric(text: pd.DataFrame, columns: list[str]) -> FloatArray:
    bad: list[str] = []
    parsed = {}
    for name in columns:
        cells = text[name].str.strip()
        missing = cells.str.lower().isin(MISSING)
        numbers = pd.to_numeric(cells.where(~missing), errors="coerce")
        wrong = numbers.isna() & ~missing
        if wrong.any():
            row = int(np.flatnonzero(wrong.to_numpy())[0])
            bad.append(f"{name!r} (data row {row + 1}: {text[name].iloc[row]!r})")
        elif missing.all():
            bad.append(f"{name!r} (no values at all)")
        parsed[name] = numbers
    if bad:
        raise NonNumericColumnError(
            f"non-numeric column{'s' if len(bad) > 1 else ''} {', '.join(bad)}; leave "
            f"{'them' if len(bad) > 1 else 'it'} out with --exclude or choose columns with "
            "--columns"
        )
    frame = pd.DataFrame(parsed).ffill().bfill()
    return np.asarray(frame.to_numpy(dtype=np.float64), dtype=np.float64)


def read_table(
    path: Path,
    *,
    separator: str | None = None,
    time_column: str | None = None,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    opener: Callable[[Path], AbstractContextManager[TextIO]] | None = None,
) -> Table:
    """Read ``path``; features are ``columns`` (default: all but the time column and ``exclude``).

    ``opener`` lets the caller wrap the file, e.g. in a progress bar; it must return a text
    handle opened with ``newline=""`` (as a context manager).
    """
    sep = separator or sniff_separator(path)
    try:
        context = opener(path) if opener else path.open(newline="", encoding="utf-8-sig")
        with context as handle:
            text = pd.read_csv(
                handle, sep=sep, dtype=str, keep_default_na=False, na_filter=False
            )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(
            f"cannot read {str(path)!r} as CSV (separator {sep!r}): {exc}"
        ) from exc
    text.columns = [str(c).strip() for c in text.columns]
    if len(text) == 0:
        raise InputFileError(f"{str(path)!r} has a header but no data rows")
    names = list(text.columns)
    if time_column is not None:
        _require(names, [time_column], "timestamp column")
    else:
        time_column = _find_time_column(text)
    excluded = _split(exclude)
    _require(names, excluded, "excluded column")
    if columns:
        features = _split(columns)
        _require(names, features, "column")
    else:
        features = [c for c in names if c != time_column and c not in excluded]
    if not features:
        raise InputFileError(f"{str(path)!r} has no columns left to score")
    timestamps = _parse_timestamps(text[time_column], time_column) if time_column else None
    return Table(text, time_column, timestamps, features, _numeric(text, features), sep)


def training_rows(
    table: Table,
    *,
    rows: int | None = None,
    until: str | None = None,
    fraction: float | None = None,
    minimum: int = 1,
) -> int:
    """Length of the training prefix from one of ``rows``, ``until`` (inclusive), ``fraction``."""
    options = (("--train-rows", rows), ("--train-until", until), ("--train-fraction", fraction))
    given = [name for name, value in options if value is not None]
    if len(given) > 1:
        raise ValueError(f"give one training prefix, not {' and '.join(given)}")
    if until is not None:
        if table.timestamps is None:
            raise TimestampError(
                "--train-until needs a timestamp column; name it with --time-column"
            )
        try:
            limit = pd.Timestamp(until)
        except ValueError as exc:
            raise TimestampError(f"--train-until {until!r} is not a date/time") from exc
        if limit.tzinfo is None and table.timestamps.tz is not None:
            limit = limit.tz_localize(table.timestamps.tz)  # read in the data's own zone
        elif limit.tzinfo is not None and table.timestamps.tz is None:
            raise TimestampError(
                f"--train-until {until!r} has a time zone but the timestamps have none; "
                "leave the zone out"
            )
        n = int(table.timestamps.searchsorted(limit, side="right"))
        what = f"rows up to {until}"
    elif rows is not None:
        n, what = rows, f"--train-rows {rows}"
    else:
        share = 0.2 if fraction is None else fraction
        if not 0 < share < 1:
            raise ValueError(f"--train-fraction must be between 0 and 1, got {share}")
        n, what = int(len(table) * share), f"the first {share:.0%} of rows"
    if n > len(table):
        raise NotEnoughTrainingRowsError(
            f"{what} asks for {n} training rows but the file has only {len(table)}"
        )
    if n < minimum:
        raise NotEnoughTrainingRowsError(
            f"{what} gives {n} training rows; at least {minimum} are needed (use a longer "
            "prefix, or a smaller --window)"
        )
    return n


def write_scored(
    table: Table,
    result: ScoreResult,
    out: TextIO,
    *,
    chunk_rows: int = 50_000,
    on_chunk: Callable[[int], None] | None = None,
) -> None:
    """Write every input row as read, plus ``anomaly_score`` (4 decimals) and ``is_anomaly``."""
    frame = table.text.copy()
    frame["anomaly_score"] = np.round(result.score, 4)
    frame["is_anomaly"] = result.is_anomaly.astype(np.int8)
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows]
        part.to_csv(out, sep=table.separator, index=False, header=start == 0, lineterminator="\n")
        if on_chunk:
            on_chunk(len(part))
