"""The fleet as a whole: reproducible from its seed, faults isolated to their devices."""

from __future__ import annotations

import numpy as np
import pytest

from simulators.fleet import Fleet
from simulators.plan import parse_plan
from simulators.testing import simulate

JAN_1_2026 = 1_767_225_600.0


def test_the_same_seed_gives_identical_readings_and_ground_truth() -> None:
    plan_entries = [{"device": 1, "fault": "refrigerant_leak", "onset_day": 0.2,
                     "progression_days": 0.4}]
    runs = []
    for _ in range(2):
        fleet = Fleet(6, seed=42, start_s=JAN_1_2026, interval_s=120,
                      plan=parse_plan(plan_entries, [f"sim-{i:05d}" for i in range(6)],
                                      JAN_1_2026, 42))
        runs.append((simulate(fleet, 500), fleet.ground_truth(), fleet.devices))
    (a, truth_a, devices_a), (b, truth_b, devices_b) = runs
    assert np.array_equal(a.values, b.values, equal_nan=True)
    assert np.array_equal(a.modes, b.modes)
    assert truth_a == truth_b
    assert [d.meta for d in devices_a] == [d.meta for d in devices_b]


def test_another_seed_gives_another_fleet() -> None:
    a = simulate(Fleet(4, seed=1, start_s=JAN_1_2026, interval_s=300), 50)
    b = simulate(Fleet(4, seed=2, start_s=JAN_1_2026, interval_s=300), 50)
    assert not np.array_equal(a.values, b.values)


def test_a_fault_changes_only_its_own_device() -> None:
    ids = [f"sim-{i:05d}" for i in range(5)]
    plan = parse_plan([{"device": "sim-00002", "fault": "electronic", "onset_day": 0.1}],
                      ids, JAN_1_2026, 0)
    healthy = simulate(Fleet(5, seed=9, start_s=JAN_1_2026, interval_s=300), 200)
    faulty = simulate(Fleet(5, seed=9, start_s=JAN_1_2026, interval_s=300, plan=plan), 200)
    others = [0, 1, 3, 4]
    assert np.array_equal(healthy.values[:, others], faulty.values[:, others])
    assert not np.array_equal(healthy.values[:, 2], faulty.values[:, 2])


def test_readings_carry_simulated_time_and_an_increasing_sequence() -> None:
    fleet = Fleet(3, seed=1, start_s=JAN_1_2026, interval_s=60)
    first, second = fleet.step(), fleet.step()
    assert first.ts_ms == int(JAN_1_2026 * 1000)
    assert second.ts_ms - first.ts_ms == 60_000
    assert (second.seq == first.seq + 1).all()


def test_intervals_longer_than_the_physics_step_are_split_into_substeps() -> None:
    """A 15-minute interval gives the same kind of house as a 1-minute one."""
    fine = simulate(Fleet(5, seed=4, start_s=JAN_1_2026, interval_s=60), 12 * 60)
    coarse = simulate(Fleet(5, seed=4, start_s=JAN_1_2026, interval_s=900), 12 * 4)
    assert np.abs(fine.true("indoor_temp")[-1] - coarse.true("indoor_temp")[-1]).max() < 1.0


def test_a_bad_interval_is_refused_with_its_range() -> None:
    with pytest.raises(ValueError, match="between 1 s and 1 h"):
        Fleet(1, seed=0, start_s=JAN_1_2026, interval_s=0.5)


def test_devices_have_contract_metadata() -> None:
    fleet = Fleet(20, seed=3, start_s=JAN_1_2026)
    for d in fleet.devices:
        assert d.meta["heat_source_role"] in ("sole", "primary", "hybrid")
        assert d.meta["model"] == d.model
        assert d.meta["location"]["climate"] == d.climate
        assert isinstance(d.meta["household"]["vulnerable"], bool)
    assert len({d.device_id for d in fleet.devices}) == 20


def test_a_new_weather_has_the_fleets_skies_but_is_its_own() -> None:
    fleet = Fleet(6, seed=4, start_s=1_759_276_800.0, interval_s=600.0)
    other = fleet.new_weather()
    assert other is not fleet.weather
    for t in (fleet.start_s, fleet.start_s + 3 * 86_400.0):
        assert np.array_equal(other.at(t)[0], fleet.weather.at(t)[0])
