"""Helpers for tests and evaluations that need a simulated run held in memory.

>>> from simulators.fleet import Fleet
>>> run = simulate(Fleet(2, seed=1, start_s=1_767_225_600.0, interval_s=600), steps=6)
>>> run.values.shape
(6, 2, 20)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.contract import Mode
from simulators.devices import SIGNAL_INDEX
from simulators.faults import FaultType
from simulators.fleet import MODES, DeviceEvent, Fleet
from simulators.plan import PlannedFault, parse_plan


@dataclass
class Run:
    """A run in arrays: ``values[step, device, signal]`` as reported, ``true_values`` as is."""

    fleet: Fleet
    times: np.ndarray
    values: np.ndarray
    modes: np.ndarray
    true_values: np.ndarray
    ice: np.ndarray
    events: list[tuple[float, DeviceEvent]]

    def signal(self, name: str, device: int | slice = slice(None)) -> np.ndarray:
        return self.values[:, device, SIGNAL_INDEX[name]]

    def true(self, name: str, device: int | slice = slice(None)) -> np.ndarray:
        return self.true_values[:, device, SIGNAL_INDEX[name]]

    def in_mode(self, mode: str, device: int | slice = slice(None)) -> np.ndarray:
        return np.asarray(self.modes[:, device] == MODES.index(Mode(mode)))

    @classmethod
    def concat(cls, runs: Sequence[Run]) -> Run:
        return cls(runs[0].fleet, np.concatenate([r.times for r in runs]),
                   np.concatenate([r.values for r in runs]),
                   np.concatenate([r.modes for r in runs]),
                   np.concatenate([r.true_values for r in runs]),
                   np.concatenate([r.ice for r in runs]),
                   [e for r in runs for e in r.events])


def simulate(fleet: Fleet, steps: int) -> Run:
    """Step ``fleet`` ``steps`` times and keep everything."""
    times: list[float] = []
    values: list[np.ndarray] = []
    modes: list[np.ndarray] = []
    true: list[np.ndarray] = []
    ice: list[np.ndarray] = []
    events: list[tuple[float, DeviceEvent]] = []
    for _ in range(steps):
        frame = fleet.step()
        times.append(frame.t_s)
        values.append(frame.values)
        modes.append(frame.mode)
        true.append(frame.truth["values"])
        ice.append(frame.truth["ice"])
        events.extend((frame.t_s, e) for e in frame.events)
    return Run(fleet, np.array(times), np.stack(values), np.stack(modes), np.stack(true),
               np.stack(ice), events)


def one_fault_each(device_ids: Sequence[str], start_s: float, onset_day: float,
                   progression_days: float, seed: int = 0) -> list[PlannedFault]:
    """A plan giving device ``i`` the ``i``-th :class:`FaultType` (needs enough devices)."""
    kinds = list(FaultType)
    entries = [{"device": device_ids[i], "fault": kind.value, "onset_day": onset_day,
                "progression_days": progression_days} for i, kind in enumerate(kinds)]
    return parse_plan(entries, device_ids, start_s, seed)
