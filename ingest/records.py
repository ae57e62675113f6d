"""Device state records (status, events, metadata) and the batch that carries them with readings.

Readings are in :mod:`ingest.reading`; these are the other three channels of the
device contract. All are plain frozen values, produced by :mod:`ingest.validate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingest.reading import Reading


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """``online`` / ``offline`` at ``ts_ms`` (device time, or receive time for a Last Will)."""

    device_id: str
    site: str
    ts_ms: int
    state: str


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """An error code or alarm raised (``active``) or cleared by the device."""

    device_id: str
    site: str
    ts_ms: int
    code: str
    severity: str
    message: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class DeviceMeta:
    """The device's self-description (model, firmware, location, ...), kept as sent."""

    device_id: str
    site: str
    ts_ms: int
    doc: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Batch:
    """Everything one write carries to a store."""

    readings: list[Reading] = field(default_factory=list)
    statuses: list[DeviceStatus] = field(default_factory=list)
    events: list[DeviceEvent] = field(default_factory=list)
    metas: list[DeviceMeta] = field(default_factory=list)

    @classmethod
    def of(cls, readings: Sequence[Reading]) -> Batch:
        return cls(readings=list(readings))

    def extend(self, other: Batch) -> None:
        self.readings.extend(other.readings)
        self.statuses.extend(other.statuses)
        self.events.extend(other.events)
        self.metas.extend(other.metas)

    def __len__(self) -> int:
        return len(self.readings) + len(self.statuses) + len(self.events) + len(self.metas)
