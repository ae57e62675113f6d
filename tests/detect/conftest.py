"""Shared simulated histories for the detect tests: simulating is the slow part, done once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from detect.detector import DeviceWindow
from detect.evaluation.replay import hourly_rows
from detect.frame import Frame
from detect.normal import NormalModel, fit_normal
from ingest.records import DeviceEvent
from simulators.devices import SIGNAL_NAMES
from simulators.faults import FaultType
from simulators.fleet import Fleet
from simulators.testing import one_fault_each, simulate

START_S = 1_759_276_800.0  # 2025-10-01
DAY_MS = 86_400_000
ONSET_DAY = 20.0
PROGRESSION_DAYS = 20.0
RUN_DAYS = 38
KINDS = list(FaultType)  # device i has KINDS[i]; the last device stays healthy


@dataclass
class DeviceHistory:
    device_id: str
    fault: str
    raw: Frame
    hourly: Frame
    events: tuple[DeviceEvent, ...]
    onset_ms: int
    failure_ms: int | None

    @property
    def start_ms(self) -> int:
        return round(START_S * 1000)

    def model(self, days: float = ONSET_DAY) -> NormalModel:
        """A model trained on the healthy first ``days`` days."""
        stop = self.start_ms + int(days * DAY_MS)
        return fit_normal(self.hourly.between(self.start_ms, stop), stop)


@pytest.fixture(scope="session")
def histories() -> dict[str, DeviceHistory]:
    """Eleven devices, 38 days of autumn at 10-minute readings: one fault type each, and
    one healthy device (the last); faults start on day 20 and take 20 days to fail."""
    n = len(KINDS) + 1
    ids = [f"sim-{i:05d}" for i in range(n)]
    plan = one_fault_each(ids, START_S, ONSET_DAY, PROGRESSION_DAYS, seed=5)
    fleet = Fleet(n, seed=5, start_s=START_S, interval_s=600, plan=plan,
                  climates=["stockholm"])
    run = simulate(fleet, int(RUN_DAYS * 86_400 / 600))
    times = np.round(run.times * 1000).astype(np.int64)
    out = {}
    for i, device_id in enumerate(ids):
        columns = {name: run.values[:, i, k] for k, name in enumerate(SIGNAL_NAMES)}
        raw = Frame(device_id, times, columns)
        events = tuple(DeviceEvent(device_id, "site", round(t * 1000), e.code, e.severity,
                                   e.message, e.active) for t, e in run.events if e.device == i)
        fault = KINDS[i].value if i < len(KINDS) else "none"
        failure = float(fleet.failure_s[i])
        out[device_id] = DeviceHistory(
            device_id, fault, raw, hourly_rows(raw), events,
            round((START_S + ONSET_DAY * 86_400) * 1000),
            None if np.isnan(failure) else round(failure * 1000))
    return out


@pytest.fixture(scope="session")
def by_fault(histories: dict[str, DeviceHistory]) -> dict[str, DeviceHistory]:
    return {h.fault: h for h in histories.values()}


def window_at(history: DeviceHistory, days_after_start: float,
              with_model: bool = True) -> DeviceWindow:
    """What the runner would hand the detectors at that moment (model trained on days 0-20)."""
    now = history.start_ms + int(days_after_start * DAY_MS)
    return DeviceWindow(history.device_id, now, history.raw.between(now - 3_600_000, now),
                        history.hourly.between(now - 14 * DAY_MS, now),
                        tuple(e for e in history.events if now - 6 * 3_600_000 <= e.ts_ms < now),
                        now - 600_000, history.model() if with_model else None)


@pytest.fixture(scope="session")
def make_window():  # type: ignore[no-untyped-def]
    return window_at
