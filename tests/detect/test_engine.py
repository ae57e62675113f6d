"""The engine's decision step on plain scores: agreement of the residual voters, and the
margin a vote needs when its diagnosis is a sensor rather than the machine."""

from __future__ import annotations

from detect.detector import Score
from detect.diagnosis import diagnose_shift
from detect.engine import Engine

#: A supply sensor reading warmer than the rest of the circuit implies: one sensor alone.
SENSOR = {"sensor:supply_temp": 3.0}
#: A leak: superheat up, the condensing pressure and heat output down.
LEAK = {"sensor:high_pressure": -3.0, "heat_output_per_hz": -2.5, "sensor:suction_temp": 2.2,
        "superheat": 2.0, "low_pressure": -1.4}


def _step(engine: Engine, times: float, shift: dict[str, float],
          voters: tuple[str, ...] = ("residual_ewma", "residual_t2")) -> list[Score]:
    """The engine's decision on one step where ``voters`` score ``times`` their threshold."""
    scores = [Score(d, "hp-1", 0, times * engine.thresholds[d], (), shift) for d in voters]
    return engine.fire("hp-1", scores, "model")


def test_the_shifts_are_what_the_tests_say() -> None:
    assert diagnose_shift(SENSOR).remedy == "remote_check"
    assert diagnose_shift(LEAK).fault == "refrigerant_leak"


def test_one_residual_detector_alone_is_not_a_finding() -> None:
    engine = Engine(persistence={})
    assert _step(engine, 1.2, LEAK, ("residual_t2",)) == []
    assert len(_step(engine, 1.2, LEAK)) == 2


def test_a_vote_that_names_a_sensor_needs_the_margin() -> None:
    """Over the line but under twice it: a sensor's misfit is not yet a finding; a machine
    fault of the same size is."""
    engine = Engine(persistence={})
    assert engine.sensor_margin == 2.0
    assert _step(engine, 1.5, SENSOR) == []
    assert len(_step(engine, 1.5, LEAK)) == 2
    assert len(_step(engine, 2.5, SENSOR)) == 2


def test_the_margin_counts_against_agreement() -> None:
    """A sensor-named vote under the margin does not help another voter over the line."""
    engine = Engine(persistence={})
    scores = [Score("residual_t2", "hp-1", 0, 2.5 * engine.thresholds["residual_t2"], (),
                    SENSOR),
              Score("residual_ewma", "hp-1", 0, 1.2 * engine.thresholds["residual_ewma"], (),
                    SENSOR)]
    assert engine.fire("hp-1", scores, "model") == []


def test_given_diagnoses_decide_instead_of_the_shifts() -> None:
    """Re-deciding recorded scores (which keep no shift) goes by their recorded diagnosis."""
    engine = Engine(persistence={})
    scores = [Score(d, "hp-1", 0, 1.5 * engine.thresholds[d]) for d in
              ("residual_ewma", "residual_t2")]
    sensor, leak = diagnose_shift(SENSOR), diagnose_shift(LEAK)
    assert engine.fire("hp-1", scores, "model", [sensor, sensor]) == []
    assert len(engine.fire("hp-1", scores, "model", [leak, leak])) == 2


def test_a_margin_of_one_is_the_plain_threshold() -> None:
    assert len(_step(Engine(persistence={}, sensor_margin=1.0), 1.2, SENSOR)) == 2


def _trend(sensor: str, total: float, r2: float = 0.9) -> Score:
    """The sensor-drift detector's step: under its threshold, with one sensor's trend."""
    return Score("sensor_drift", "hp-1", 0, 0.0, (), {}, {"trends": {sensor: (total, r2)}})


def test_a_vote_that_names_a_sensor_needs_that_sensor_to_trend() -> None:
    """Over the margin, a vote naming a sensor still needs the sensor itself drifting beyond
    the weather: a misfit's offset is steady, a drifting sensor's grows. A machine fault's
    votes need no trend."""
    engine = Engine(persistence={})
    assert (engine.sensor_trend, engine.sensor_trend_r2) == (5.0, 0.3)
    votes = [Score(d, "hp-1", 0, 2.5 * engine.thresholds[d], (), SENSOR)
             for d in ("residual_ewma", "residual_t2")]
    assert engine.fire("hp-1", [*votes, _trend("supply_temp", 2.0)], "model") == []
    assert engine.fire("hp-1", [*votes, _trend("supply_temp", 8.0, r2=0.1)], "model") == []
    assert engine.fire("hp-1", [*votes, _trend("return_temp", 8.0)], "model") == []
    assert len(engine.fire("hp-1", [*votes, _trend("supply_temp", 8.0)], "model")) == 2
    leak = [Score(d, "hp-1", 0, 1.2 * engine.thresholds[d], (), LEAK)
            for d in ("residual_ewma", "residual_t2")]
    assert len(engine.fire("hp-1", [*leak, _trend("supply_temp", 0.0)], "model")) == 2


def test_without_the_trend_detectors_score_the_margin_decides() -> None:
    """A step the sensor-drift detector did not score (too few days) goes by the margin."""
    engine = Engine(persistence={})
    assert len(_step(engine, 2.5, SENSOR)) == 2
    assert len(_step(Engine(persistence={}, sensor_trend=1e9), 2.5, SENSOR)) == 2
