"""The project's own reading type: what every stage after the MQTT boundary sees."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Reading:
    """One validated telemetry reading of one device at one instant.

    ``(device_id, ts_ms)`` identifies a reading: writing it again overwrites it.
    """

    device_id: str
    site: str
    ts_ms: int  # Unix epoch milliseconds, UTC, as set by the device
    seq: int
    mode: str
    signals: dict[str, float] = field(default_factory=dict)
