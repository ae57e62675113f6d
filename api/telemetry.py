"""A device's telemetry over a time range, downsampled by the store itself (Flux
``aggregateWindow`` on InfluxDB), so a month costs no more to send than an hour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from api.errors import BadRequest
from api.schemas import TelemetryPublic
from ingest.contract import SIGNALS
from ingest.errors import IngestError
from ingest.store.base import TelemetryStore

MIN_EVERY_MS: Final = 1_000
MAX_RANGE_MS: Final = 400 * 86_400_000
RANGES: Final = {"6h": 6 * 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000,
                 "30d": 30 * 86_400_000}


class TelemetryUnavailable(Exception):
    """The telemetry store did not answer."""


def every_for(start_ms: int, stop_ms: int, points: int) -> int:
    """The window length that gives at most ``points`` points over the range."""
    span = stop_ms - start_ms
    return max(MIN_EVERY_MS, -(-span // points))


def check_signals(signals: Sequence[str]) -> list[str]:
    unknown = [s for s in signals if s not in SIGNALS]
    if unknown:
        raise BadRequest(f"signals: unknown signal(s) {', '.join(unknown)}; known: "
                         f"{', '.join(SIGNALS)}")
    return list(dict.fromkeys(signals))


def read(store: TelemetryStore, device_id: str, start_ms: int, stop_ms: int,
         signals: Sequence[str] | None, points: int) -> TelemetryPublic:
    if stop_ms <= start_ms:
        raise BadRequest("stop_ms: must be after start_ms")
    if stop_ms - start_ms > MAX_RANGE_MS:
        raise BadRequest("stop_ms: the range may span at most 400 days")
    wanted = check_signals(signals) if signals else None
    every = every_for(start_ms, stop_ms, points)
    try:
        frame = store.read_signals(device_id, start_ms, stop_ms, wanted, every)
    except IngestError as exc:
        raise TelemetryUnavailable(str(exc)) from exc
    columns = {k: v for k, v in frame.columns.items() if wanted is None or k in wanted}
    return TelemetryPublic(device_id=device_id, start_ms=start_ms, stop_ms=stop_ms,
                           every_ms=every, times_ms=list(frame.times_ms), signals=columns,
                           units={k: SIGNALS[k].unit for k in columns if k in SIGNALS})
