"""Findings carry their evidence and diagnosis and survive a trip through JSON."""

from __future__ import annotations

import json

from detect.engine import Engine
from detect.findings import Finding

#: At day 37 the worn compressor is over the T² line but not yet over EWMA or CUSUM: these
#: tests are about what a finding carries, so one residual detector may decide alone.
ALONE = Engine(persistence={}, agreement=1)


def test_a_developing_fault_yields_a_finding_with_full_context(by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    """Device, time, detector, score, signals, expected vs observed, diagnosis, failure window."""
    window = make_window(by_fault["compressor_wear"], 37)
    findings = ALONE.run(window, "model")
    assert findings
    f = next(f for f in findings if f.detector == "residual_t2")
    assert f.device_id == window.device_id and f.ts_ms == window.now_ms
    assert f.score >= f.threshold and "vibration_per_hz" in f.signals
    assert f.evidence is not None and f.evidence.expected["vibration_per_hz"]
    assert len(f.evidence.times_ms) == len(f.evidence.observed["vibration_per_hz"])
    assert f.diagnosis.fault == "compressor_wear" and f.diagnosis.remedy == "visit"
    assert "compressor" in f.diagnosis.parts
    assert f.failure_window is not None and f.failure_window.expected_ms > window.now_ms
    assert f.model_version == window.model.version


def test_findings_round_trip_through_json(by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    finding = Engine(persistence={}, agreement=1).run(
        make_window(by_fault["compressor_wear"], 37))[0]
    again = Finding.from_dict(json.loads(json.dumps(finding.to_dict())))
    assert again == finding and again.id == finding.id


def test_the_same_decision_has_the_same_id(by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    """Replays and re-runs produce the same ids, so dispatch can deduplicate."""
    a = Engine(persistence={}, agreement=1).run(make_window(by_fault["compressor_wear"], 37))
    b = Engine(persistence={}, agreement=1).run(make_window(by_fault["compressor_wear"], 37))
    assert a and [f.id for f in a] == [f.id for f in b]


def test_a_healthy_device_yields_no_findings(by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    assert Engine(persistence={}).run(make_window(by_fault["none"], 34)) == []


def test_a_model_finding_needs_two_runs_in_a_row_over_the_threshold(by_fault, make_window):  # type: ignore[no-untyped-def]
    """One run over the line is a wobble; the second run in a row makes it a finding."""
    h = by_fault["compressor_wear"]
    steps = [34 + 0.25 * k for k in range(13)]  # the worn compressor crosses T² in here
    first = next(d for d in steps if ALONE.run(make_window(h, d), "model"))
    engine = Engine(agreement=1)
    assert engine.run(make_window(h, first - 0.25), "model") == []  # under the line
    assert engine.run(make_window(h, first), "model") == []  # over it once
    assert engine.run(make_window(h, first + 0.25), "model")
    assert engine.run(make_window(by_fault["none"], first + 0.25), "model") == []
