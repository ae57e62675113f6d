"""The planner's side of the loop, simulated: every alarm gets a check that finds what is
really there (pure).

Live, a finding becomes a ticket, a technician visits (or checks remotely), and the
ticket closes with what was found; dispatch writes that as a label and detect's
retrain reads it (:mod:`detect.labels`). The replay closes the same loop from the
simulator's ground truth: the first finding on a device opens a ticket, findings
until the check join it, and ``visit_after_ms`` later the check finds the fault the
device really has by then -- or nothing, which re-baselines the device's model.

>>> from simulators.ground_truth import FaultRecord
>>> healthy = FaultRecord("hp-1", "s", "AW-8", "oslo", "sole", "none", None, None, None, None,
...                       None, None, None, None)
>>> tech = Technician({"hp-1": healthy}, visit_after_ms=3 * 86_400_000)
>>> tech.outcome("hp-1", "refrigerant_leak", 0).label
'no_fault'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from detect.frame import DAY_MS
from detect.labels import Label, problem_of
from simulators.ground_truth import FaultRecord, GroundTruth, parse_iso

#: A booked visit, a few days after the alarm (dispatch books within its horizon).
VISIT_AFTER_MS: Final = 3 * DAY_MS


@dataclass(frozen=True)
class Technician:
    """Checks a device ``visit_after_ms`` after a ticket opens and reports the truth."""

    truth: Mapping[str, FaultRecord]
    visit_after_ms: int = VISIT_AFTER_MS

    @classmethod
    def of(cls, truth: GroundTruth, visit_after_ms: int = VISIT_AFTER_MS) -> Technician:
        return cls({r.device_id: r for r in truth.records}, visit_after_ms)

    def outcome(self, device_id: str, fault: str, opened_ms: int) -> Label:
        """The label of a ticket opened at ``opened_ms`` for a finding diagnosed ``fault``:
        ``fault`` if the device really has one by the check, else ``no_fault``."""
        checked = opened_ms + self.visit_after_ms
        record = self.truth.get(device_id)
        onset = parse_iso(record.onset) if record is not None else None
        present = (record is not None and record.fault != "none" and onset is not None
                   and round(onset * 1000) <= checked)
        return Label(device_id, problem_of(fault), "fault" if present else "no_fault",
                     opened_ms, checked)
