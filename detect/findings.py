"""A finding: one detector's decision that a device is abnormal, with everything behind it.

Findings are what detect hands to dispatch. Each carries its evidence (expected
against observed values of the signals involved), the diagnosis, and for degrading
faults the predicted failure window, so nobody downstream has to ask again.
They round-trip through plain JSON (:meth:`Finding.to_dict` / :meth:`Finding.from_dict`).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from detect.detector import Evidence, Score
from detect.diagnosis import Diagnosis
from detect.ttf import FailureWindow


@dataclass(frozen=True)
class Finding:
    device_id: str
    ts_ms: int
    detector: str
    score: float
    threshold: float
    signals: tuple[str, ...]
    diagnosis: Diagnosis
    evidence: Evidence | None = None
    failure_window: FailureWindow | None = None
    model_version: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable id: the same decision made twice (a re-run, a replay) has the same id."""
        key = f"{self.device_id}|{self.detector}|{self.ts_ms}"
        return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()

    @classmethod
    def from_score(cls, score: Score, threshold: float, diagnosis: Diagnosis,
                   failure_window: FailureWindow | None = None,
                   model_version: int | None = None) -> Finding:
        return cls(score.device_id, score.ts_ms, score.detector, round(score.value, 4),
                   threshold, score.signals, diagnosis, score.resolved_evidence(), failure_window,
                   model_version, dict(score.details))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["id"] = self.id
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        d = dict(data)
        d.pop("id", None)
        diag = dict(d["diagnosis"])
        diag["parts"] = tuple(diag.get("parts", ()))
        diag["alternatives"] = tuple(tuple(a) for a in diag.get("alternatives", ()))
        d["diagnosis"] = Diagnosis(**diag)
        if d.get("evidence"):
            ev = dict(d["evidence"])
            ev["signals"] = tuple(ev["signals"])
            ev["times_ms"] = tuple(ev["times_ms"])
            d["evidence"] = Evidence(**ev)
        if d.get("failure_window"):
            d["failure_window"] = FailureWindow(**d["failure_window"])
        d["signals"] = tuple(d.get("signals", ()))
        return cls(**d)
