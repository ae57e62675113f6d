"""Ground truth files: every device, faults with onset, notice and failure, as JSON and CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from simulators.fleet import Fleet
from simulators.ground_truth import COLUMNS, GroundTruth
from simulators.plan import parse_plan

START = 1_767_225_600.0


def _fleet() -> Fleet:
    ids = [f"sim-{i:05d}" for i in range(4)]
    plan = parse_plan([{"device": 0, "fault": "electronic", "onset_day": 0.5},
                       {"device": 1, "fault": "sensor_stuck", "onset_day": 0.5,
                        "sensor": "outdoor_temp"},
                       {"device": 2, "fault": "compressor_wear", "onset_day": 5}], ids, START, 0)
    fleet = Fleet(4, seed=5, start_s=START, interval_s=600, plan=plan)
    for _ in range(6 * 48):  # two days
        fleet.step()
    return fleet


def test_ground_truth_lists_every_device_with_what_happened() -> None:
    truth = _fleet().ground_truth()
    assert [r.fault for r in truth.records] == ["electronic", "sensor_stuck", "none", "none"]
    electronic, stuck = truth.records[0], truth.records[1]
    assert electronic.onset == electronic.failure == "2026-01-01T12:00:00Z"
    assert electronic.error_code == "E901" and electronic.predictable is False
    assert stuck.sensor == "outdoor_temp" and stuck.failure is None
    assert stuck.remedy == "remote_check"
    assert truth.records[2].onset is None  # wear starts after the end of this run
    assert truth.start == "2026-01-01T00:00:00Z" and truth.end == "2026-01-02T23:50:00Z"


def test_ground_truth_round_trips_through_json_and_writes_csv(tmp_path: Path) -> None:
    truth = _fleet().ground_truth()
    written = truth.write(tmp_path / "truth")
    assert [p.name for p in written] == ["truth.json", "truth.csv"]
    assert GroundTruth.read(tmp_path / "truth.json") == truth
    with (tmp_path / "truth.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["fault"] == "electronic" and rows[2]["failure"] == ""
    only_csv = truth.write(tmp_path / "t.csv")
    assert [p.name for p in only_csv] == ["t.csv"]
