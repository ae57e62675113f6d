"""Ground truth: which device really had which fault, and when it began, was noticed, failed.

Written alongside every run as JSON (run facts plus one record per device) and
CSV (one row per device). Healthy devices have fault ``none``, so an evaluation
can count device-months. Times are ISO 8601 UTC; empty when it did not happen
within the run:

* ``onset``: the fault began (for a sudden ``electronic`` fault, the failure itself);
* ``notice``: the customer would first notice (an hour of a cold house, at least
  2 K under the night setpoint, or of a hot-water tank under 35 °C) because of the
  fault: after the failure, or once a capacity-cutting fault is half-way;
* ``failure``: the unit tripped with ``error_code`` and stopped heating.

``predictable`` is false for faults with no precursor; ``remedy`` is ``visit`` for
a broken machine and ``remote_check`` for a sensor fault.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulators.faults import FAULTS

if TYPE_CHECKING:
    from simulators.fleet import Fleet

def iso(t_s: float | None) -> str | None:
    if t_s is None or math.isnan(t_s):
        return None
    return datetime.fromtimestamp(t_s, UTC).isoformat().replace("+00:00", "Z")


def parse_iso(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True, slots=True)
class FaultRecord:
    device_id: str
    site: str
    model: str
    climate: str
    heat_source_role: str
    fault: str  # a FaultType value, or "none"
    sensor: str | None
    onset: str | None
    notice: str | None
    failure: str | None
    progression_days: float | None
    predictable: bool | None
    remedy: str | None
    error_code: str | None


#: The CSV columns: the record's fields, in order.
COLUMNS = tuple(f.name for f in fields(FaultRecord))


@dataclass(frozen=True, slots=True)
class GroundTruth:
    seed: int
    start: str
    end: str
    interval_s: float
    records: tuple[FaultRecord, ...]

    @property
    def faults(self) -> list[FaultRecord]:
        return [r for r in self.records if r.fault != "none"]

    def for_device(self, device_id: str) -> FaultRecord:
        return next(r for r in self.records if r.device_id == device_id)

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "start": self.start, "end": self.end,
                "interval_s": self.interval_s, "devices": [asdict(r) for r in self.records]}

    def write(self, path: Path) -> list[Path]:
        """Write ``path`` as JSON (``.json``) or CSV (``.csv``); any other suffix gets both."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        targets = [path] if path.suffix in (".json", ".csv") else [
            path.with_suffix(path.suffix + ".json"), path.with_suffix(path.suffix + ".csv")]
        for target in targets:
            if target.suffix == ".json":
                target.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
            else:
                with target.open("w", newline="") as fh:
                    writer = csv.DictWriter(fh, fieldnames=COLUMNS)
                    writer.writeheader()
                    for r in self.records:
                        writer.writerow({k: "" if v is None else v for k, v in asdict(r).items()})
        return targets

    @classmethod
    def read(cls, path: Path) -> GroundTruth:
        """Read ground truth written as JSON by :meth:`write`."""
        data = json.loads(Path(path).read_text())
        records = tuple(FaultRecord(**d) for d in data["devices"])
        return cls(data["seed"], data["start"], data["end"], data["interval_s"], records)


def build_ground_truth(fleet: Fleet, end_s: float) -> GroundTruth:
    planned = {f.device_id: f for f in fleet.faults.plan}
    records = []
    for d in fleet.devices:
        role = str(d.meta["heat_source_role"])
        f = planned.get(d.device_id)
        if f is None or f.onset_s > end_s:
            records.append(FaultRecord(d.device_id, d.site, d.model, d.climate, role, "none",
                                       None, None, None, None, None, None, None, None))
            continue
        spec = FAULTS[f.fault]
        records.append(FaultRecord(
            d.device_id, d.site, d.model, d.climate, role, f.fault.value, f.sensor,
            iso(f.onset_s), iso(float(fleet.notice_s[d.index])),
            iso(float(fleet.failure_s[d.index])),
            round(f.progression_s / 86_400.0, 3), spec.predictable, spec.remedy, spec.error_code))
    return GroundTruth(fleet.seed, iso(fleet.start_s) or "", iso(end_s) or "", fleet.interval_s,
                       tuple(records))
