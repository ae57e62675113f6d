"""The project's own reading type: what every stage after the MQTT boundary sees."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np

#: A reading is *running* when the compressor turns faster than this outside a defrost
#: cycle. Only then do the machine's own signals (pressures, power, heat output, ...)
#: describe its work: an hour's mean of them over idle or defrost minutes mixes states.
RUNNING_HZ: Final = 5.0
#: What surrounds the machine (weather, house, tank) and what it is told to do: there
#: whether or not the compressor runs. Every other signal is the machine's own.
CONTEXT: Final = frozenset({"outdoor_temp", "indoor_temp", "hot_water_temp", "defrost",
                            "backup_heater_w"})


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

    @property
    def running(self) -> bool:
        return running(self.signals)


def running(signals: Mapping[str, float]) -> bool:
    """Whether a reading with these ``signals`` is *running* (see :data:`RUNNING_HZ`);
    without a compressor speed it is not."""
    return (signals.get("compressor_hz", 0.0) >= RUNNING_HZ
            and signals.get("defrost", 0.0) == 0.0)


def check_running_only(running_only: Collection[str]) -> None:
    """``running_only`` may name the machine's own signals only (not :data:`CONTEXT`)."""
    context = sorted(CONTEXT.intersection(running_only))
    if context:
        raise ValueError(f"{', '.join(context)}: context signals are averaged over every "
                         "reading; only the machine's own signals can be running-only")


def running_rows(compressor_hz: np.ndarray, defrost: np.ndarray) -> np.ndarray:
    """:func:`running` for columns of readings (NaN: the signal was not sent)."""
    return ((np.nan_to_num(compressor_hz) >= RUNNING_HZ)
            & (np.nan_to_num(defrost) == 0.0))


def after_defrost_rows(compressor_hz: np.ndarray, defrost: np.ndarray) -> np.ndarray:
    """The first running reading after each defrost, for columns of one device's readings in
    time order: running (:func:`running_rows`), and the reading before it was defrosting.

    The evaporator is as clean as it gets then: a healthy coil has just shed its frost,
    while ice a defrost failed to melt shows in the evaporating pressure (see
    :mod:`detect.defrost`).
    """
    if len(defrost) == 0:
        return np.zeros(0, dtype=bool)
    was = np.r_[False, np.nan_to_num(defrost[:-1]) > 0]
    return was & running_rows(compressor_hz, defrost)
