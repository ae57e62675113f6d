"""Signals of one device over time as numpy arrays: the plain data every detector reads.

A :class:`Frame` is the detect stage's own view of a store's
:class:`~ingest.store.base.SignalFrame`: ``times_ms`` (sorted), and one float
column per signal with NaN for a missing value. :func:`downsample` averages
epoch-aligned windows exactly as the stores do (``aggregateWindow(fn: mean)``, the
machine's own signals over running readings only), so detectors see the same hourly
means live and in a replay.

>>> f = Frame("hp-1", np.array([0, 60_000, 3_600_000]), {"x": np.array([1.0, 3.0, 5.0])})
>>> hourly = downsample(f, 3_600_000)
>>> hourly.times_ms.tolist(), hourly["x"].tolist()
([0, 3600000], [2.0, 5.0])
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.special import ndtr

from ingest.reading import running_rows
from ingest.store.base import Aggregate, SignalFrame, window_aggregate

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class Frame:
    """Signals of ``device_id``: ``columns[name][i]`` is the value at ``times_ms[i]`` (or NaN)."""

    device_id: str
    times_ms: np.ndarray
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.times_ms)
        for name, col in self.columns.items():
            if len(col) != n:
                raise ValueError(f"column {name!r} has {len(col)} values for {n} times")

    def __len__(self) -> int:
        return len(self.times_ms)

    def __getitem__(self, name: str) -> np.ndarray:
        """The column ``name``; all NaN when the device never sent it."""
        col = self.columns.get(name)
        return col if col is not None else np.full(len(self.times_ms), np.nan)

    @property
    def names(self) -> list[str]:
        return sorted(self.columns)

    def matrix(self, names: Iterable[str]) -> np.ndarray:
        """The columns ``names`` side by side: shape ``(len(self), len(names))``."""
        cols = [self[n] for n in names]
        if not cols:
            return np.empty((len(self), 0))
        return np.column_stack(cols)

    def at(self, times_ms: np.ndarray, names: Iterable[str]) -> np.ndarray:
        """:meth:`matrix` of ``names`` at ``times_ms``: NaN where this frame has no such row."""
        names = list(names)
        out = np.full((len(times_ms), len(names)), np.nan)
        if len(self) == 0:
            return out
        pos = np.clip(np.searchsorted(self.times_ms, times_ms), 0, len(self) - 1)
        hit = self.times_ms[pos] == times_ms
        out[hit] = self.matrix(names)[pos[hit]]
        return out

    def between(self, start_ms: int, stop_ms: int) -> Frame:
        """The rows in ``[start_ms, stop_ms)``."""
        lo, hi = np.searchsorted(self.times_ms, [start_ms, stop_ms], side="left")
        return Frame(self.device_id, self.times_ms[lo:hi],
                     {k: v[lo:hi] for k, v in self.columns.items()})

    @classmethod
    def empty(cls, device_id: str) -> Frame:
        return cls(device_id, np.empty(0, dtype=np.int64), {})

    @classmethod
    def from_signal_frame(cls, frame: SignalFrame) -> Frame:
        """Convert a store's frame (``None`` for missing) into arrays (NaN for missing)."""
        times = np.asarray(frame.times_ms, dtype=np.int64)
        columns = {name: np.array([np.nan if v is None else v for v in values], dtype=float)
                   for name, values in frame.columns.items()}
        return cls(frame.device_id, times, columns)


def concat(a: Frame, b: Frame) -> Frame:
    """The rows of ``a`` then those of ``b`` (of one device; NaN where one lacks a column)."""
    names = set(a.columns) | set(b.columns)
    return Frame(a.device_id, np.concatenate([a.times_ms, b.times_ms]),
                 {n: np.concatenate([a[n], b[n]]) for n in names})


def downsample(frame: Frame, every_ms: int, running_only: Collection[str] = (),
               aggregate: Aggregate = "mean") -> Frame:
    """Mean (or lowest or highest value, or number of values: ``aggregate``) of each column
    over epoch-aligned windows of ``every_ms``; empty windows left out.

    Columns named in ``running_only`` are taken over running rows only
    (:func:`ingest.reading.running`), as the stores do.
    """
    if len(frame) == 0:
        return frame
    bins = frame.times_ms - frame.times_ms % every_ms  # a frame's rows are in time order
    first = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    starts = bins[first]
    run = running_rows(frame["compressor_hz"], frame["defrost"]) if running_only else None
    names = list(frame.columns)
    values = frame.matrix(names)
    if run is not None:
        masked = np.array([n in running_only for n in names])
        values[~run[:, None] & masked[None, :]] = np.nan
    agg = window_aggregate(values, first, aggregate)
    keep = ~np.isnan(agg).all(axis=1)
    return Frame(frame.device_id, starts[keep],
                 {name: agg[keep, c] for c, name in enumerate(names)})


SCATTER = "_scatter"
#: the window reads :func:`with_scatter` takes
SCATTER_AGGREGATES: tuple[Aggregate, ...] = ("min", "max", "count")


@lru_cache(maxsize=16)
def _d2_table(upto: int) -> np.ndarray:
    """Shewhart's d2 (the mean range of n independent standard normal values) for n = 0 to
    ``upto``, entry n: computed once for all of them."""
    x = np.linspace(-9.0, 9.0, 4001)
    cdf = ndtr(x)[None, :]
    n = np.arange(upto + 1, dtype=float)[:, None]
    return np.sum(1.0 - (1.0 - cdf) ** n - cdf**n, axis=1) * (x[1] - x[0])


def with_scatter(hourly: Frame, reads: Mapping[Aggregate, Frame],
                 signals: Iterable[str]) -> Frame:
    """``hourly`` with a ``<signal>_scatter`` column per signal: how far it scattered within
    each window, as a standard deviation estimated from the window's range (highest minus
    lowest of its ``n`` values, over Shewhart's ``d2(n)``: the range chart's estimate, which
    does not grow with how many values a window had). ``reads`` are the same windows read
    with each of :data:`SCATTER_AGGREGATES`; NaN where a window has fewer than two values."""
    columns = dict(hourly.columns)
    times = hourly.times_ms
    for name in signals:
        scatter = np.full(len(hourly), np.nan)
        lo, hi, n = (reads[a].at(times, (name,))[:, 0] for a in ("min", "max", "count"))
        ok = np.nan_to_num(n) >= 2
        if ok.any():
            counts = n[ok].astype(np.int64)
            scatter[ok] = (hi[ok] - lo[ok]) / _d2_table(_pow2(int(counts.max())))[counts]
        columns[name + SCATTER] = scatter
    return Frame(hourly.device_id, times, columns)


def _pow2(n: int) -> int:
    """``n`` rounded up to a power of two: few table sizes, however the counts vary."""
    return 1 << max(n - 1, 1).bit_length()


def daily_means(times_ms: np.ndarray, values: np.ndarray, now_ms: int,
                days: int, min_count: int = 1) -> np.ndarray:
    """Mean of ``values`` (rows x columns, NaN ignored) per day counted back from ``now_ms``.

    Row ``days - 1`` is the last 24 h; NaN where a day has fewer than ``min_count`` values.
    """
    day = days - 1 - (now_ms - 1 - np.asarray(times_ms, dtype=np.int64)) // DAY_MS
    inside = (day >= 0) & (day < days)
    v = values[inside]
    d = day[inside]
    ok = ~np.isnan(v)
    cols = values.shape[1]
    cell = (d[:, None] * cols + np.arange(cols)[None, :]).ravel()
    sums = np.bincount(cell, weights=np.where(ok, v, 0.0).ravel(),
                       minlength=days * cols).reshape(days, cols)
    counts = np.bincount(cell, weights=ok.ravel().astype(float),
                         minlength=days * cols).reshape(days, cols)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= max(min_count, 1), sums / np.maximum(counts, 1), np.nan)
