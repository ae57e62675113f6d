"""Physics sanity of healthy units: energy balance, COP, defrost, comfort, cycling, spread."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ingest.contract import SIGNALS
from simulators.devices import CP_WATER, SIGNAL_INDEX, SIGNAL_NAMES
from simulators.fleet import Fleet
from simulators.testing import Run, simulate

JAN_1_2026 = 1_767_225_600.0
DAY = 86_400.0


@pytest.fixture(scope="module")
def healthy_year_sample() -> Run:
    """Forty healthy devices in all climates, five days in each season at 5-minute readings.

    Steps 0-1439 are January, 1440-2879 April, 2880-4319 July, 4320-5759 October.
    """
    runs = [simulate(Fleet(40, seed=11, start_s=JAN_1_2026 + day * DAY, interval_s=300), 5 * 288)
            for day in (0, 90, 181, 300)]
    return Run.concat(runs)


def _all(run: Run, name: str) -> np.ndarray:
    return run.values[:, :, SIGNAL_INDEX[name]]


def _mode(run: Run, mode: str) -> np.ndarray:
    return run.in_mode(mode)


def test_every_contract_signal_is_sent_within_its_range(healthy_year_sample: Run) -> None:
    values = healthy_year_sample.values
    assert tuple(SIGNALS) == SIGNAL_NAMES
    assert not np.isnan(values).any()
    for name, spec in SIGNALS.items():
        column = values[:, :, SIGNAL_INDEX[name]]
        assert column.min() >= spec.minimum and column.max() <= spec.maximum, name


def test_heat_output_matches_water_flow_times_temperature_rise(healthy_year_sample: Run) -> None:
    """Energy balance at the condenser: Q = flow x cp x (supply - return).

    Exact for the true values; within calibration and noise for the reported ones.
    """
    run = healthy_year_sample
    producing = ((_mode(run, "heating") | _mode(run, "hot_water"))
                 & (run.true("heat_output_w") > 1500))
    assert producing.sum() > 10_000
    for values, tolerance in ((run.true_values, 1e-9), (run.values, 0.03)):
        flow_kg_s = values[:, :, SIGNAL_INDEX["flow_lpm"]][producing] / 60.0
        delta_t = (values[:, :, SIGNAL_INDEX["supply_temp"]]
                   - values[:, :, SIGNAL_INDEX["return_temp"]])[producing]
        heat = values[:, :, SIGNAL_INDEX["heat_output_w"]][producing]
        ratio = flow_kg_s * CP_WATER * delta_t / heat
        assert abs(np.median(ratio) - 1.0) < tolerance


def test_power_covers_compressor_backup_fan_and_pump(healthy_year_sample: Run) -> None:
    run = healthy_year_sample
    power, backup = _all(run, "power_w"), _all(run, "backup_heater_w")
    running = _all(run, "compressor_hz") > 0
    heat = _all(run, "heat_output_w")
    assert (power >= backup - 30).all()
    cop_seen = (heat - backup)[running & ~_mode(run, "defrost")] / (power - backup)[
        running & ~_mode(run, "defrost")]
    assert 1.0 < np.median(cop_seen) < 6.0


def test_cop_falls_with_colder_outdoor_air_and_stays_physical(healthy_year_sample: Run) -> None:
    run = healthy_year_sample
    truth_cop = []
    outdoor = run.true_values[:, :, SIGNAL_INDEX["outdoor_temp"]]
    hz = run.true_values[:, :, SIGNAL_INDEX["compressor_hz"]]
    heat = run.true_values[:, :, SIGNAL_INDEX["heat_output_w"]]
    backup = run.true_values[:, :, SIGNAL_INDEX["backup_heater_w"]]
    power = run.true_values[:, :, SIGNAL_INDEX["power_w"]]
    running = (hz > 0) & _mode(run, "heating") & (backup == 0)
    cop = heat / np.maximum(power, 1.0)
    for lo, hi in ((-30, -15), (-15, -5), (-5, 5), (5, 20)):
        band = running & (outdoor >= lo) & (outdoor < hi)
        if band.sum() > 200:
            truth_cop.append(float(np.median(cop[band])))
    assert len(truth_cop) >= 3
    assert all(a < b for a, b in itertools.pairwise(truth_cop))
    assert truth_cop[0] > 1.3 and truth_cop[-1] < 6.5
    assert cop[running].min() >= 1.0 and cop[running].max() <= 7.0


def test_cop_is_higher_at_lower_supply_temperature() -> None:
    """Floor heating (low supply) beats radiators (high supply) at the same outdoor air."""
    run = simulate(Fleet(60, seed=21, start_s=JAN_1_2026, interval_s=600,
                         climates=["stockholm"]), 3 * 144)
    t = run.true_values
    running = (t[:, :, SIGNAL_INDEX["compressor_hz"]] > 0) & _mode(run, "heating") & (
        t[:, :, SIGNAL_INDEX["backup_heater_w"]] == 0)
    supply = t[:, :, SIGNAL_INDEX["supply_temp"]]
    cop = t[:, :, SIGNAL_INDEX["heat_output_w"]] / t[:, :, SIGNAL_INDEX["power_w"]]
    outdoor = t[:, :, SIGNAL_INDEX["outdoor_temp"]]
    band = running & (outdoor > -8) & (outdoor < 0)
    low, high = band & (supply < 33), band & (supply > 40)
    assert low.sum() > 50 and high.sum() > 50
    assert np.median(cop[low]) > np.median(cop[high]) + 0.3


def test_defrost_runs_only_in_cold_humid_weather(healthy_year_sample: Run) -> None:
    run = healthy_year_sample
    defrost = _mode(run, "defrost")
    assert (_all(run, "defrost")[defrost] == 1).all()
    assert (_all(run, "defrost")[~defrost] == 0).all()
    outdoor = run.true_values[:, :, SIGNAL_INDEX["outdoor_temp"]]
    assert defrost.sum() > 50
    assert outdoor[defrost].max() < 6.0
    summer = slice(2880, 4320)  # the July days
    assert not defrost[summer].any()
    assert _all(run, "fan_rpm")[defrost].max() == 0  # the fan stops during reverse-cycle defrost


def test_defrost_needs_humid_air() -> None:
    from simulators import heatpump

    cold = np.array([-5.0, -5.0, 0.0, 10.0])
    rh = np.array([0.5, 0.9, 0.95, 0.95])
    rate = heatpump.frost_rate(cold, rh, np.full(4, 0.6))
    assert rate[0] == 0 and rate[1] > 0 and rate[2] > rate[1] and rate[3] == 0


def test_houses_stay_comfortable(healthy_year_sample: Run) -> None:
    indoor = healthy_year_sample.true_values[:, :, SIGNAL_INDEX["indoor_temp"]]
    setpoint = healthy_year_sample.fleet.p.setpoint
    setback = healthy_year_sample.fleet.p.setback
    assert np.percentile(indoor - (setpoint - setback), 1) > -1.5
    assert np.percentile(indoor[:1440] - setpoint, 99) < 3.0  # January; summers may be warm
    hot_water = _all(healthy_year_sample, "hot_water_temp")
    assert np.percentile(hot_water, 1) > 38


def test_compressor_cycles_on_and_off_at_low_load(healthy_year_sample: Run) -> None:
    run = healthy_year_sample
    spring = slice(1440, 2880)  # early April days
    hz = _all(run, "compressor_hz")[spring]
    starts = ((hz[1:] > 0) & (hz[:-1] == 0)).sum(axis=0)
    heating_devices = (hz > 0).mean(axis=0) > 0.05
    assert np.median(starts[heating_devices]) >= 5  # several starts in five mild days


def test_backup_heater_helps_only_when_the_compressor_is_flat_out(healthy_year_sample: Run) -> None:
    run = healthy_year_sample
    backup = _all(run, "backup_heater_w") > 0
    hz = run.true_values[:, :, SIGNAL_INDEX["compressor_hz"]]
    hz_max = run.fleet.p.hz_max
    assert backup.any()
    assert (hz[backup] >= np.broadcast_to(hz_max - 1, hz.shape)[backup]).all()


def test_units_differ_from_each_other(healthy_year_sample: Run) -> None:
    """Manufacturing spread, sizing and installation quality: no two units look alike."""
    run = healthy_year_sample
    winter = slice(0, 1440)
    heating = _mode(run, "heating")[winter] & (_all(run, "compressor_hz")[winter] > 0)
    subcooling = np.array([np.median(_all(run, "subcooling")[winter][:, d][heating[:, d]])
                           for d in range(heating.shape[1]) if heating[:, d].sum() > 20])
    assert subcooling.std() > 0.5
    models = {d.model for d in run.fleet.devices}
    climates = {d.climate for d in run.fleet.devices}
    assert len(models) >= 3 and len(climates) == 4


def test_healthy_values_overlap_across_units_so_fixed_thresholds_fail(
        healthy_year_sample: Run) -> None:
    """A healthy unit in a cold snap shows values a faulty one shows on a mild day."""
    run = healthy_year_sample
    running = _all(run, "compressor_hz") > 0
    discharge = _all(run, "discharge_temp")[running]
    low = _all(run, "low_pressure")[running]
    assert np.percentile(discharge, 99) - np.percentile(discharge, 1) > 40
    assert np.percentile(low, 99) / np.percentile(low, 1) > 3
