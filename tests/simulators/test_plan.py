"""Fault plans: drawn from a fault rate, or read from a file with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulators.errors import FaultPlanError
from simulators.faults import FAULTS, FaultType
from simulators.plan import load_plan, parse_plan, random_plan

START = 1_767_225_600.0
DAY = 86_400.0
IDS = [f"sim-{i:05d}" for i in range(2000)]


def test_a_fault_rate_gives_about_that_share_of_devices_a_fault() -> None:
    plan = random_plan(IDS, START, START + 180 * DAY, fault_rate=0.2, seed=1)
    assert 0.17 < len(plan) / len(IDS) < 0.23
    assert len({p.device_id for p in plan}) == len(plan)
    kinds = {p.fault for p in plan}
    assert kinds == set(FaultType)


def test_random_onsets_leave_a_healthy_history_to_learn_from() -> None:
    plan = random_plan(IDS, START, START + 180 * DAY, fault_rate=0.3, seed=2)
    assert min(p.onset_s for p in plan) >= START + 0.3 * 180 * DAY
    assert max(p.onset_s for p in plan) <= START + 180 * DAY
    progressive = [p for p in plan if FAULTS[p.fault].progression_days[1] > 1]
    assert all(p.onset_s + 0.5 * p.progression_s <= START + 180 * DAY + 1 for p in progressive)


def test_random_plans_are_reproducible() -> None:
    a = random_plan(IDS[:100], START, START + 30 * DAY, 0.5, seed=7)
    assert a == random_plan(IDS[:100], START, START + 30 * DAY, 0.5, seed=7)
    assert a != random_plan(IDS[:100], START, START + 30 * DAY, 0.5, seed=8)


def test_a_plan_file_names_devices_faults_and_onsets(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"faults": [
        {"device": "sim-00003", "fault": "refrigerant_leak", "onset_day": 20,
         "progression_days": 25},
        {"device": 7, "fault": "sensor_drift", "onset": "2026-02-01T00:00:00Z",
         "sensor": "supply_temp"},
    ]}))
    leak, drift = load_plan(path, IDS, START, seed=0)
    assert leak.device_id == "sim-00003" and leak.onset_s == START + 20 * DAY
    assert leak.progression_s == 25 * DAY
    assert drift.device_id == "sim-00007" and drift.sensor == "supply_temp"
    assert drift.onset_s == START + 31 * DAY and drift.drift_per_day != 0


@pytest.mark.parametrize(("entry", "message"), [
    ({"device": "nope", "fault": "refrigerant_leak", "onset_day": 1}, "not in the fleet"),
    ({"device": 1, "fault": "gremlins", "onset_day": 1}, "unknown fault 'gremlins'"),
    ({"device": 1, "fault": "compressor_wear"}, "give 'onset'"),
    ({"device": 1, "fault": "compressor_wear", "onset": "2026-02-01"}, "time zone"),
    ({"device": 1, "fault": "compressor_wear", "onset": "soon"}, "not an ISO time"),
    ({"device": 1, "fault": "sensor_drift", "onset_day": 1, "sensor": "fan_rpm"}, "cannot have"),
])
def test_a_bad_plan_entry_is_named_with_its_problem(entry: dict[str, object], message: str) -> None:
    with pytest.raises(FaultPlanError, match=message) as caught:
        parse_plan([entry], IDS, START, seed=0)
    assert "entry 1" in str(caught.value)


def test_a_device_gets_at_most_one_fault() -> None:
    entries = [{"device": 1, "fault": "low_flow", "onset_day": 1},
               {"device": 1, "fault": "electronic", "onset_day": 2}]
    with pytest.raises(FaultPlanError, match="already has a fault"):
        parse_plan(entries, IDS, START, seed=0)


def test_a_missing_or_broken_plan_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(FaultPlanError, match="does not exist"):
        load_plan(tmp_path / "missing.json", IDS, START, 0)
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(FaultPlanError, match="not readable JSON"):
        load_plan(broken, IDS, START, 0)
