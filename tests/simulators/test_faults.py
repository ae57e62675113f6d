"""Each fault's signature appears after onset and grows; failures stop the unit with an error code.

Every check compares the faulty device with its healthy twin (same seed, no fault)
at the same moments, so weather and household habits cancel out.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulators.devices import SIGNAL_INDEX
from simulators.faults import FAULTS, FaultType
from simulators.fleet import Fleet
from simulators.ground_truth import parse_iso
from simulators.testing import Run, one_fault_each, simulate

JAN_1_2026 = 1_767_225_600.0
DAY = 86_400.0
FAULT_ONSET_DAY = 5.0
FAULT_PROGRESSION_DAYS = 20.0
RUN_DAYS = 28
FAULT_KINDS = list(FaultType)  # device i has FAULT_KINDS[i]; the last device stays healthy
ONSET = JAN_1_2026 + FAULT_ONSET_DAY * DAY
FAILURE = ONSET + FAULT_PROGRESSION_DAYS * DAY


@pytest.fixture(scope="module")
def winter_runs() -> tuple[Run, Run]:
    """A month of Stockholm winter at 10-minute readings: with one fault per device, and without.

    Both fleets share the seed, so the healthy twin shows what each faulty device
    would have done without its fault.
    """
    steps = int(RUN_DAYS * DAY / 600)
    n = len(FAULT_KINDS) + 1
    ids = [f"sim-{i:05d}" for i in range(n)]
    plan = one_fault_each(ids, JAN_1_2026, FAULT_ONSET_DAY, FAULT_PROGRESSION_DAYS, seed=3)
    faulty = Fleet(n, seed=3, start_s=JAN_1_2026, interval_s=600, plan=plan,
                   climates=["stockholm"])
    twin = Fleet(n, seed=3, start_s=JAN_1_2026, interval_s=600, climates=["stockholm"])
    return simulate(faulty, steps), simulate(twin, steps)


def _device(kind: FaultType) -> int:
    return FAULT_KINDS.index(kind)


def _phase(run: Run, start: float, stop: float) -> np.ndarray:
    """Steps in [onset + start x progression, onset + stop x progression)."""
    span = FAULT_PROGRESSION_DAYS * DAY
    return (run.times >= ONSET + start * span) & (run.times < ONSET + stop * span)


def _compressor_running(run: Run, device: int) -> np.ndarray:
    return run.in_mode("heating", device) & (run.signal("compressor_hz", device) > 0)


def _shift(runs: tuple[Run, Run], kind: FaultType, signal: str, start: float,
           stop: float) -> float:
    """Median of the signal while heating, faulty minus healthy twin, in a phase."""
    faulty, twin = runs
    d = _device(kind)
    a = _phase(faulty, start, stop) & _compressor_running(faulty, d)
    b = _phase(twin, start, stop) & _compressor_running(twin, d)
    return float(np.median(faulty.signal(signal, d)[a]) - np.median(twin.signal(signal, d)[b]))


def _ratio(runs: tuple[Run, Run], kind: FaultType, signal: str, start: float,
           stop: float) -> float:
    faulty, twin = runs
    d = _device(kind)
    a = _phase(faulty, start, stop) & _compressor_running(faulty, d)
    b = _phase(twin, start, stop) & _compressor_running(twin, d)
    return float(np.median(faulty.signal(signal, d)[a]) / np.median(twin.signal(signal, d)[b]))


def test_refrigerant_leak_starves_the_evaporator_more_and_more(
        winter_runs: tuple[Run, Run]) -> None:
    leak = FaultType.REFRIGERANT_LEAK
    assert abs(_shift(winter_runs, leak, "subcooling", 0, 0.2)) < 0.3
    assert _shift(winter_runs, leak, "subcooling", 0.4, 0.6) < -0.3
    assert _shift(winter_runs, leak, "subcooling", 0.8, 1.0) < -2.0
    assert _shift(winter_runs, leak, "superheat", 0.8, 1.0) > 4.0
    assert (_shift(winter_runs, leak, "superheat", 0.8, 1.0)
            > _shift(winter_runs, leak, "superheat", 0.4, 0.6) > 0.3)
    assert _shift(winter_runs, leak, "discharge_temp", 0.8, 1.0) > 5.0


def test_compressor_wear_raises_vibration_and_current(winter_runs: tuple[Run, Run]) -> None:
    wear = FaultType.COMPRESSOR_WEAR
    early = _ratio(winter_runs, wear, "compressor_vibration", 0, 0.2)
    middle = _ratio(winter_runs, wear, "compressor_vibration", 0.4, 0.6)
    late = _ratio(winter_runs, wear, "compressor_vibration", 0.8, 1.0)
    assert early < 1.2 < middle < late
    assert late > 2.0
    faulty, twin = winter_runs
    d = _device(wear)
    late_steps = _phase(faulty, 0.8, 1.0)
    # more current for the same compressor speed
    per_hz = []
    for r in (faulty, twin):
        sel = late_steps & _compressor_running(r, d)
        per_hz.append(np.median(r.signal("compressor_current", d)[sel]
                                / r.signal("compressor_hz", d)[sel]))
    assert per_hz[0] > per_hz[1] * 1.1


def test_fan_degradation_slows_the_fan(winter_runs: tuple[Run, Run]) -> None:
    fan = FaultType.FAN_DEGRADATION
    assert _ratio(winter_runs, fan, "fan_rpm", 0, 0.2) > 0.95
    assert _ratio(winter_runs, fan, "fan_rpm", 0.8, 1.0) < 0.8


def test_low_flow_cuts_flow_and_widens_the_temperature_rise(winter_runs: tuple[Run, Run]) -> None:
    low = FaultType.LOW_FLOW
    assert _ratio(winter_runs, low, "flow_lpm", 0, 0.1) > 0.97
    assert _ratio(winter_runs, low, "flow_lpm", 0.8, 1.0) < 0.6
    faulty, twin = winter_runs
    d = _device(low)
    late = _phase(faulty, 0.8, 1.0)
    rise = [np.median((r.signal("supply_temp", d) - r.signal("return_temp", d))[
        late & _compressor_running(r, d)]) for r in (faulty, twin)]
    assert rise[0] > 1.5 * rise[1]
    assert _shift(winter_runs, low, "high_pressure", 0.8, 1.0) > 0.8


def test_sticking_expansion_valve_makes_superheat_hunt(winter_runs: tuple[Run, Run]) -> None:
    faulty, twin = winter_runs
    d = _device(FaultType.EXPANSION_VALVE)

    def spread(run: Run, start: float, stop: float) -> float:
        sel = _phase(run, start, stop) & _compressor_running(run, d)
        return float(np.std(run.signal("superheat", d)[sel]))

    assert spread(faulty, 0, 0.2) < 1.5 * spread(twin, 0, 0.2) + 0.2
    assert spread(faulty, 0.8, 1.0) > 3 * spread(twin, 0.8, 1.0)
    assert spread(faulty, 0.8, 1.0) > spread(faulty, 0.4, 0.6) > spread(faulty, 0, 0.2)


def test_defrost_malfunction_leaves_ice_that_builds_up(winter_runs: tuple[Run, Run]) -> None:
    faulty, twin = winter_runs
    d = _device(FaultType.DEFROST_MALFUNCTION)
    assert twin.ice[:, d].max() == 0
    before = faulty.times < ONSET
    assert faulty.ice[before, d].max() == 0
    after = faulty.ice[~before, d]
    assert after.max() > 1.0
    iced = faulty.ice[:, d] > 0.5
    running = _compressor_running(faulty, d)
    assert (np.median(faulty.signal("low_pressure", d)[iced & running])
            < np.median(twin.signal("low_pressure", d)[iced & _compressor_running(twin, d)]))


@pytest.mark.parametrize("kind", [k for k in FAULT_KINDS if not FAULTS[k].is_sensor_fault])
def test_a_broken_unit_stops_heating_and_reports_its_error_code(
        winter_runs: tuple[Run, Run], kind: FaultType) -> None:
    faulty, _ = winter_runs
    d = _device(kind)
    events = [(t, e) for t, e in faulty.events if e.device == d]
    assert len(events) == 1
    t_fail, event = events[0]
    assert event.code == FAULTS[kind].error_code and event.severity == "fault"
    if kind is FaultType.ELECTRONIC:
        assert t_fail == ONSET
    elif kind is not FaultType.DEFROST_MALFUNCTION:
        assert t_fail == FAILURE
    after = faulty.times >= t_fail
    assert faulty.in_mode("fault", d)[after].all()
    for signal in ("compressor_hz", "heat_output_w", "fan_rpm", "backup_heater_w"):
        assert (faulty.signal(signal, d)[after] == 0).all(), signal
    record = faulty.fleet.ground_truth().for_device(faulty.fleet.device_ids[d])
    assert record.fault == kind.value and record.failure is not None
    assert record.predictable is (kind is not FaultType.ELECTRONIC)


def test_sudden_electronic_failure_has_no_precursor(winter_runs: tuple[Run, Run]) -> None:
    faulty, twin = winter_runs
    d = _device(FaultType.ELECTRONIC)
    before = faulty.times < ONSET
    assert np.array_equal(faulty.values[before, d], twin.values[before, d])
    assert np.array_equal(faulty.modes[before, d], twin.modes[before, d])


def test_the_customer_notices_a_dead_sole_heat_pump_within_a_day(
        winter_runs: tuple[Run, Run]) -> None:
    faulty, _ = winter_runs
    truth = faulty.fleet.ground_truth()
    noticed = 0
    for kind in FAULT_KINDS:
        d = _device(kind)
        record = truth.for_device(faulty.fleet.device_ids[d])
        if FAULTS[kind].is_sensor_fault:
            assert record.notice is None and record.failure is None
            assert record.remedy == "remote_check"
        elif record.heat_source_role == "sole" and record.failure is not None:
            assert record.notice is not None
            gap = (parse_iso(record.notice) or 0) - (parse_iso(record.failure) or 0)
            assert -FAULT_PROGRESSION_DAYS * DAY < gap < DAY
            noticed += 1
    assert noticed >= 1


@pytest.mark.parametrize("kind", [FaultType.SENSOR_DRIFT, FaultType.SENSOR_STUCK,
                                  FaultType.SENSOR_DROPOUT])
def test_sensor_faults_change_one_reported_signal_and_never_the_machine(
        winter_runs: tuple[Run, Run], kind: FaultType) -> None:
    faulty, twin = winter_runs
    d = _device(kind)
    sensor = faulty.fleet.faults.plan[d].sensor
    assert sensor is not None
    assert np.array_equal(faulty.true_values[:, d], twin.true_values[:, d])
    others = [i for i in range(faulty.values.shape[2]) if i != SIGNAL_INDEX[sensor]]
    assert np.array_equal(faulty.values[:, d][:, others], twin.values[:, d][:, others])
    mine, healthy = faulty.signal(sensor, d), twin.signal(sensor, d)
    before = faulty.times < ONSET
    assert np.array_equal(mine[before], healthy[before])
    late = _phase(faulty, 0.8, 1.0)
    if kind is FaultType.SENSOR_DRIFT:
        early_gap = np.nanmean(mine[_phase(faulty, 0, 0.2)] - healthy[_phase(faulty, 0, 0.2)])
        late_gap = np.nanmean(mine[late] - healthy[late])
        assert abs(late_gap) > 2 * abs(early_gap) and abs(late_gap) > 0.1
    elif kind is FaultType.SENSOR_STUCK:
        assert np.unique(mine[~before]).size == 1
    else:
        assert np.isnan(mine[late]).mean() > 0.4 > np.isnan(mine[_phase(faulty, 0, 0.2)]).mean()
