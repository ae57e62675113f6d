"""A fleet with tickets to serve, for tests, demos and the benchmark: a simulated
directory (customers, sites, technicians), findings dispatched into real tickets and
booked, and optionally the devices' telemetry backfilled from the simulator.

>>> from dispatch.store import connect, migrate, session_factory
>>> engine = connect("sqlite:///:memory:"); _ = migrate(engine)
>>> fleet = seed_fleet(session_factory(engine), DispatchSettings(), 6, NOW_MS)
>>> len(fleet.ticket_ids) > 0
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from config import DispatchSettings
from detect.detector import Evidence
from detect.diagnosis import Diagnosis
from detect.findings import Finding
from detect.ttf import FailureWindow
from dispatch.directory import directory_from_fleet, seed
from dispatch.dispatcher import Dispatcher
from dispatch.forecast import FixedForecast
from ingest.store.base import TelemetryStore
from simulators.backfill import backfill_store
from simulators.fleet import Fleet

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 24 * HOUR_MS
#: Monday 2026-01-19 06:00 UTC (07:00 in Stockholm)
NOW_MS: Final = 1_768_802_400_000
#: (fault, confidence, hours to failure or None, signal, expected, drift per hour)
PROBLEMS: Final = (
    ("refrigerant_leak", 0.88, 60.0, "subcooling", 5.0, -0.12),
    ("compressor_wear", 0.8, 120.0, "compressor_vibration", 2.0, 0.05),
    ("low_flow", 0.75, 150.0, "flow_lpm", 20.0, -0.3),
    ("fan_degradation", 0.7, 200.0, "fan_rpm", 600.0, -4.0),
    ("sensor_drift", 0.65, None, "supply_temp", 35.0, 0.15),
    ("defrost_malfunction", 0.45, 220.0, "subcooling", 5.0, -0.02),
)


@dataclass(frozen=True)
class SeededFleet:
    device_ids: list[str]
    ticket_ids: list[int]


def finding_for(device_id: str, k: int, now_ms: int) -> Finding:
    """A finding of detect's real type for ``device_id``: the ``k``-th kind of problem,
    with a day of hourly evidence drifting away from the device's normal."""
    fault, confidence, hours, signal, expected, drift = PROBLEMS[k % len(PROBLEMS)]
    sensor = signal if fault.startswith("sensor") else None
    times = [now_ms - h * HOUR_MS for h in range(24, -1, -1)]
    observed: list[float | None] = [round(expected + drift * (24 - h) * (1 + 0.05 * (h % 3)), 3)
                                    for h in range(24, -1, -1)]
    evidence = Evidence((signal,), tuple(times), {signal: observed},
                        {signal: [expected] * len(times)})
    window = None
    if hours is not None:
        expected_ms = now_ms + int(hours * HOUR_MS)
        window = FailureWindow(expected_ms, expected_ms - int(hours * HOUR_MS / 3),
                               expected_ms + int(hours * HOUR_MS / 2), signal, 0.5, 0.8)
    return Finding(device_id, now_ms - (k % 7) * 60_000, "residual_cusum", 6.0 + k % 5, 3.0,
                   (signal,), Diagnosis.of(fault, confidence, sensor), evidence, window)


def seed_fleet(sessions: sessionmaker[Session], settings: DispatchSettings, n_devices: int,
               now_ms: int, n_tickets: int | None = None, seed_: int = 7,
               technicians_per_region: int = 6, id_prefix: str = "sim",
               book: bool = True) -> SeededFleet:
    """The simulated fleet's directory and ``n_tickets`` (default: a third of the devices,
    at most 12) tickets opened by the real dispatcher and booked where a visit is due."""
    directory = directory_from_fleet(n_devices, seed_, technicians_per_region, id_prefix)
    seed(sessions, directory)
    devices = [d.id for c in directory.customers for s in c.sites for d in s.devices]
    count = min(len(devices), n_tickets if n_tickets is not None else min(12, n_devices // 3 + 1))
    dispatcher = Dispatcher(sessions, settings, FixedForecast(-8.0))
    handled = dispatcher.handle_many((finding_for(devices[i], i, now_ms) for i in range(count)),
                                     now_ms)
    ids = [h.ticket_id for h in handled if h.ticket_id is not None]
    if book:
        for tid in ids:
            dispatcher.book(tid, now_ms)
    return SeededFleet(devices, ids)


def backfill(store: TelemetryStore, n_devices: int, now_ms: int, days: float = 2.0,
             interval_s: float = 600.0, seed_: int = 7, id_prefix: str = "sim",
             only: Sequence[int] | None = None) -> int:
    """``days`` of simulated telemetry ending at ``now_ms`` for the fleet's devices;
    returns the readings written."""
    steps = int(days * 86_400 / interval_s)
    fleet = Fleet(n_devices, seed_, now_ms / 1000 - steps * interval_s, interval_s,
                  id_prefix=id_prefix)
    return backfill_store(fleet, store, steps).readings
