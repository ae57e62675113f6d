"""The telemetry-store interface. Implementations: InfluxDB (production) and embedded SQLite.

Every implementation passes the same contract test suite (``tests/ingest/store``).
The detect stage reads through this interface only; it never sees an influxdb-client
or sqlite3 object. Times are Unix epoch milliseconds; windows are ``[start_ms, stop_ms)``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol, get_args, runtime_checkable

import numpy as np

from ingest.errors import StoreRejected, StoreUnavailable
from ingest.reading import Reading
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus

__all__ = [
    "AFTER_DEFROST_LOOKBACK_MS",
    "DeviceSummary",
    "SignalFrame",
    "StoreRejected",
    "StoreUnavailable",
    "TelemetryStore",
    "window_aggregate",
    "window_start",
]


@dataclass(frozen=True, slots=True)
class SignalFrame:
    """Signals of one device over time: one row per timestamp, one column per signal.

    A cell is ``None`` where the signal has no value at that time.
    """

    device_id: str
    times_ms: list[int] = field(default_factory=list)
    columns: dict[str, list[float | None]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.times_ms)

    def column(self, name: str) -> list[float | None]:
        """The values of signal ``name`` (all ``None`` if the device never sent it)."""
        return self.columns.get(name, [None] * len(self.times_ms))


@dataclass(frozen=True, slots=True)
class DeviceSummary:
    """What the store knows about one device: where, when last heard, status, metadata."""

    device_id: str
    site: str
    last_reading_ms: int | None = None
    status: DeviceStatus | None = None
    meta: DeviceMeta | None = None


#: What a windowed read gives per signal and window: the mean (the default), the lowest
#: or highest value, or how many values there were (with the lowest and highest: how far a
#: signal scatters within a window).
Aggregate = Literal["mean", "min", "max", "count"]
AGGREGATES: Final = frozenset(get_args(Aggregate))


def check_aggregate(aggregate: str) -> None:
    """``ValueError`` naming the choices unless ``aggregate`` is one of :data:`AGGREGATES`."""
    if aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {', '.join(sorted(AGGREGATES))}, "
                         f"not {aggregate!r}")


def window_aggregate(values: np.ndarray, starts: np.ndarray, aggregate: Aggregate,
                     counts: np.ndarray | None = None) -> np.ndarray:
    """Each column's ``aggregate`` over the runs of rows of ``values`` that begin at the row
    indexes ``starts`` (one run per window, in order), NaN values left out; NaN for a
    window without a value. ``counts``: the values per window and column, if known."""
    present = ~np.isnan(values)
    if counts is None:
        counts = np.add.reduceat(present.astype(np.int64), starts, axis=0)
    if aggregate == "count":
        agg = counts.astype(float)
    elif aggregate == "min":
        agg = np.minimum.reduceat(np.where(present, values, np.inf), starts, axis=0)
    elif aggregate == "max":
        agg = np.maximum.reduceat(np.where(present, values, -np.inf), starts, axis=0)
    else:
        sums = np.add.reduceat(np.where(present, values, 0.0), starts, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            agg = sums / counts
    return np.where(counts > 0, agg, np.nan)


#: How far before a window :meth:`TelemetryStore.read_fleet_after_defrost` looks for the
#: reading before its first one: a defrost that ended at the window's start still counts.
AFTER_DEFROST_LOOKBACK_MS: Final = 15 * 60_000


def window_start(ts_ms: int, every_ms: int) -> int:
    """The start of the ``every_ms`` window (aligned to the epoch) that holds ``ts_ms``."""
    return ts_ms - ts_ms % every_ms


@runtime_checkable
class TelemetryStore(Protocol):
    """Where validated readings and device records are kept.

    Writes are idempotent: a reading is identified by (device, timestamp), a status
    and metadata by (device, timestamp), an event by (device, code, timestamp).
    """

    def write(self, batch: Batch) -> None:
        """Store ``batch`` durably before returning.

        Raises :class:`StoreUnavailable` if the store cannot be reached (spool and retry),
        :class:`StoreRejected` if it refuses the data itself.
        """
        ...

    def write_readings(self, readings: Sequence[Reading]) -> None:
        """Shorthand for :meth:`write` with readings only."""
        ...

    def read_readings(self, device_id: str, start_ms: int, stop_ms: int) -> list[Reading]:
        """The readings of ``device_id`` in ``[start_ms, stop_ms)``, oldest first, as sent."""
        ...

    def read_signals(self, device_id: str, start_ms: int, stop_ms: int,
                     signals: Sequence[str] | None = None,
                     every_ms: int | None = None,
                     running_only: Collection[str] = (),
                     aggregate: Aggregate = "mean") -> SignalFrame:
        """Signals of ``device_id`` in ``[start_ms, stop_ms)`` (all signals if ``None``).

        With ``every_ms``, each signal is averaged over epoch-aligned windows of that
        length; a row's time is its window's start, empty windows are left out, and
        ``start_ms`` is rounded down to a window boundary. The signals named in
        ``running_only`` (machine signals, not :data:`ingest.reading.CONTEXT`: else
        ``ValueError``) are averaged over the *running* readings only
        (:func:`ingest.reading.running`), and are missing from windows without one.
        ``aggregate`` ``"min"``, ``"max"`` or ``"count"`` gives each window's lowest or
        highest value or number of values instead of the mean (ignored without ``every_ms``).
        """
        ...

    def read_fleet_signals(self, start_ms: int, stop_ms: int, every_ms: int,
                           signals: Sequence[str] | None = None,
                           device_ids: Sequence[str] | None = None,
                           running_only: Collection[str] = (),
                           aggregate: Aggregate = "mean") -> dict[str, SignalFrame]:
        """:meth:`read_signals` with ``every_ms`` for many devices in one go, by device id.

        All devices with data in the window, or only ``device_ids``; devices without
        data are left out. For the detectors' fleet-wide scoring runs.
        """
        ...

    def read_fleet_aggregates(self, start_ms: int, stop_ms: int, every_ms: int,
                              aggregates: Sequence[Aggregate],
                              signals: Sequence[str] | None = None,
                              device_ids: Sequence[str] | None = None,
                              running_only: Collection[str] = ()
                              ) -> dict[Aggregate, dict[str, SignalFrame]]:
        """:meth:`read_fleet_signals` with each of ``aggregates``, by aggregate: what a
        store can read in one pass (the embedded store reads and parses the readings once
        for all of them) is read once."""
        ...

    def read_fleet_after_defrost(self, start_ms: int, stop_ms: int, signals: Sequence[str],
                                 device_ids: Sequence[str] | None = None
                                 ) -> dict[str, SignalFrame]:
        """The first running reading after each defrost, for many devices in one go, by
        device id (:func:`ingest.reading.after_defrost_rows`).

        Each device's readings in ``[start_ms, stop_ms)`` (all devices with data, or only
        ``device_ids``) that are running (:func:`ingest.reading.running`: a missing
        ``compressor_hz`` or ``defrost`` counts as 0) while the device's reading before
        them, in time, was defrosting (``defrost > 0``). One row per such reading, at its
        own time, with the raw values of ``signals`` (a column for each, ``None`` where the
        reading has no value). The reading before ``start_ms`` is looked for up to
        :data:`AFTER_DEFROST_LOOKBACK_MS` earlier, so a defrost that ended right at
        ``start_ms`` counts. Devices without such a reading are left out.
        """
        ...

    def count_readings(self, start_ms: int, stop_ms: int, device_id: str | None = None) -> int:
        """How many readings are stored in ``[start_ms, stop_ms)`` (of one device or all)."""
        ...

    def latest_status(self, device_id: str) -> DeviceStatus | None: ...

    def latest_meta(self, device_id: str) -> DeviceMeta | None: ...

    def events(self, device_id: str, start_ms: int, stop_ms: int) -> list[DeviceEvent]:
        """Events of ``device_id`` in ``[start_ms, stop_ms)``, oldest first."""
        ...

    def devices(self, since_ms: int = 0) -> list[DeviceSummary]:
        """Every device heard from since ``since_ms`` (readings, status or metadata), by id."""
        ...

    def close(self) -> None: ...
