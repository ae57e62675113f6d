"""Score findings against ground truth, per fault type, the way a customer would judge them.

* **flagged before failure**: the first finding after onset came at least
  ``min_lead_h`` before the unit tripped (faults that failed within the run);
* **before notice**: before the customer would have noticed (cold house or water);
* **lead time**: failure minus first finding (median and 10th percentile, days);
* **precision**: alarm *episodes* (a device's findings with gaps under
  ``episode_gap_days``) that start on a device with a real fault, after its onset;
* **false alarms per 1,000 device-months**: the other episodes;
* **diagnosis**: the fault class of the last finding before failure (or the run's
  end) matches the truth; **remedy**: remote check vs visit matches.

Sensor faults never trip a unit: for them "flagged" means found after onset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from detect.findings import Finding
from detect.frame import DAY_MS, HOUR_MS
from simulators.ground_truth import FaultRecord, GroundTruth, parse_iso

MONTH_DAYS = 30.4375


@dataclass
class FaultOutcome:
    device_id: str
    fault: str
    predictable: bool
    failed: bool
    flagged: bool
    flagged_before_failure: bool
    flagged_before_notice: bool | None
    lead_days: float | None
    diagnosis: str | None
    diagnosis_ok: bool | None
    remedy_ok: bool | None


@dataclass
class TypeRow:
    fault: str
    faults: int = 0
    failed: int = 0
    flagged: int = 0
    before_failure: int = 0
    noticed: int = 0
    before_notice: int = 0
    lead_median_days: float | None = None
    lead_p10_days: float | None = None
    diagnosis_ok: int = 0
    diagnosed: int = 0
    remedy_ok: int = 0
    leads: list[float] = field(default_factory=list, repr=False)


@dataclass
class Report:
    devices: int
    days: float
    rows: list[TypeRow]
    outcomes: list[FaultOutcome]
    episodes: int
    true_episodes: int
    false_alarms: int
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        rows = [{k: v for k, v in asdict(r).items() if k != "leads"} for r in self.rows]
        return {"devices": self.devices, "days": self.days, "summary": self.summary,
                "per_fault": rows, "episodes": self.episodes,
                "true_episodes": self.true_episodes, "false_alarms": self.false_alarms,
                "outcomes": [asdict(o) for o in self.outcomes]}


def _ms(text: str | None) -> int | None:
    t = parse_iso(text)
    return None if t is None else round(t * 1000)


def episodes(findings: Sequence[Finding], gap_days: float) -> dict[str, list[list[Finding]]]:
    by_device: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_device[f.device_id].append(f)
    out: dict[str, list[list[Finding]]] = {}
    for device, fs in by_device.items():
        fs.sort(key=lambda f: f.ts_ms)
        groups: list[list[Finding]] = [[fs[0]]]
        for f in fs[1:]:
            if f.ts_ms - groups[-1][-1].ts_ms > gap_days * DAY_MS:
                groups.append([f])
            else:
                groups[-1].append(f)
        out[device] = groups
    return out


def _outcome(rec: FaultRecord, fs: list[Finding], min_lead_h: float, end_ms: int
             ) -> FaultOutcome:
    onset, notice, failure = _ms(rec.onset), _ms(rec.notice), _ms(rec.failure)
    assert onset is not None
    after = [f for f in fs if f.ts_ms >= onset]
    first = after[0].ts_ms if after else None
    failed = failure is not None
    before_fail = bool(failed and first is not None and failure is not None
                       and first <= failure - min_lead_h * HOUR_MS)
    lead = (failure - first) / DAY_MS if failed and first is not None and failure is not None \
        and first <= failure else None
    before_notice = None if notice is None else bool(first is not None and first < notice)
    cutoff = failure if failure is not None else end_ms
    judged = [f for f in after if f.ts_ms <= cutoff] or after[:1]
    diag = judged[-1].diagnosis if judged else None
    return FaultOutcome(rec.device_id, rec.fault, bool(rec.predictable), failed,
                        first is not None, before_fail, before_notice,
                        None if lead is None else round(lead, 2),
                        diag.fault if diag else None,
                        None if diag is None else diag.fault == rec.fault,
                        None if diag is None else diag.remedy == rec.remedy)


def score(findings: Sequence[Finding], truth: GroundTruth, min_lead_h: float = 48.0,
          episode_gap_days: float = 7.0) -> Report:
    end_ms = _ms(truth.end) or 0
    start_ms = _ms(truth.start) or 0
    eps = episodes(findings, episode_gap_days)
    outcomes: list[FaultOutcome] = []
    n_eps = true_eps = 0
    for rec in truth.records:
        groups = eps.get(rec.device_id, [])
        n_eps += len(groups)
        if rec.fault == "none":
            continue
        onset = _ms(rec.onset) or 0
        true_eps += sum(1 for g in groups if g[-1].ts_ms >= onset - DAY_MS)
        fs = [f for g in groups for f in g]
        outcomes.append(_outcome(rec, fs, min_lead_h, end_ms))
    rows: dict[str, TypeRow] = {}
    for o in outcomes:
        r = rows.setdefault(o.fault, TypeRow(o.fault))
        r.faults += 1
        r.failed += o.failed
        r.flagged += o.flagged
        r.before_failure += o.flagged_before_failure
        r.noticed += o.flagged_before_notice is not None
        r.before_notice += bool(o.flagged_before_notice)
        if o.lead_days is not None:
            r.leads.append(o.lead_days)
        if o.diagnosis_ok is not None:
            r.diagnosed += 1
            r.diagnosis_ok += o.diagnosis_ok
            r.remedy_ok += bool(o.remedy_ok)
    for r in rows.values():
        r.lead_median_days, r.lead_p10_days = _median_p10(r.leads)
    days = (end_ms - start_ms) / DAY_MS
    device_months = len(truth.records) * days / MONTH_DAYS
    false_alarms = n_eps - true_eps
    pred = [o for o in outcomes if o.predictable and o.failed]
    lead_median, lead_p10 = _median_p10([o.lead_days for o in pred if o.lead_days is not None])
    diag = [o for o in outcomes if o.diagnosis_ok is not None]
    summary = {
        "predictable_failed": len(pred),
        "flagged_48h_before_failure": _share(sum(o.flagged_before_failure for o in pred),
                                             len(pred)),
        "lead_median_days": lead_median,
        "lead_p10_days": lead_p10,
        "flagged_before_notice": _share(
            sum(bool(o.flagged_before_notice) for o in outcomes
                if o.flagged_before_notice is not None and o.predictable),
            sum(1 for o in outcomes if o.flagged_before_notice is not None and o.predictable)),
        "sensor_faults_found": _share(
            sum(o.flagged for o in outcomes if o.fault.startswith("sensor_")),
            sum(1 for o in outcomes if o.fault.startswith("sensor_"))),
        "precision": _share(true_eps, n_eps),
        "false_alarms_per_1000_device_months": round(1000 * false_alarms / device_months, 2)
        if device_months else None,
        "diagnosis_accuracy": _share(sum(bool(o.diagnosis_ok) for o in diag), len(diag)),
        "remedy_accuracy": _share(sum(bool(o.remedy_ok) for o in diag), len(diag)),
        "device_months": round(device_months, 1),
    }
    order = sorted(rows.values(), key=lambda r: r.fault)
    return Report(len(truth.records), round(days, 2), order, outcomes, n_eps, true_eps,
                  false_alarms, summary)


def _median_p10(leads: list[float]) -> tuple[float | None, float | None]:
    """Median and 10th percentile of lead times, in days to 2 places (None without any)."""
    if not leads:
        return None, None
    return round(float(np.median(leads)), 2), round(float(np.percentile(leads, 10)), 2)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
