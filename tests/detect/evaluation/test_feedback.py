"""The planner's side of the loop in the replay: a check that finds nothing re-baselines."""

from __future__ import annotations

from detect.engine import Engine
from detect.evaluation.feedback import Technician
from detect.evaluation.replay import History, ReplayConfig, replay_device
from detect.frame import DAY_MS
from simulators.ground_truth import FaultRecord, iso

T0 = 1_760_000_000_000


def _record(device_id: str, fault: str = "none", onset_ms: int | None = None) -> FaultRecord:
    return FaultRecord(device_id, "site", "AW-8", "oslo", "sole", fault, None,
                       None if onset_ms is None else iso(onset_ms / 1000), None, None, None,
                       None, None, None)


def test_the_check_finds_what_is_really_there_by_then() -> None:
    tech = Technician({"ok": _record("ok"), "leak": _record("leak", "refrigerant_leak",
                                                              T0 + 10 * DAY_MS)}, 3 * DAY_MS)
    sound = tech.outcome("ok", "compressor_wear", T0)
    assert (sound.label, sound.problem, sound.start_ms, sound.end_ms) == \
        ("no_fault", "machine", T0, T0 + 3 * DAY_MS)
    assert tech.outcome("ok", "sensor_drift", T0).problem == "sensors"
    assert tech.outcome("leak", "refrigerant_leak", T0 + 5 * DAY_MS).label == "no_fault"
    assert tech.outcome("leak", "refrigerant_leak", T0 + 8 * DAY_MS).label == "fault"
    assert tech.outcome("unknown-device", "fan_degradation", T0).label == "no_fault"


def test_a_check_that_finds_nothing_rebaselines_the_device_in_the_replay(by_fault) -> None:  # type: ignore[no-untyped-def]
    """Told the clogging filter is fine, the replay re-baselines the pump at the check: the
    findings after it come from a newer model, and fewer of them than without the check."""
    h = by_fault["low_flow"]
    history = History(h.raw, h.hourly, h.events)
    stop = h.start_ms + 38 * DAY_MS
    config = ReplayConfig()
    alone = replay_device(history, h.start_ms, stop, Engine(), config, None)
    assert alone, "the wear must raise an alarm for this test to mean anything"
    first = min(f.ts_ms for f in alone)
    fooled = Technician({h.device_id: _record(h.device_id)}, DAY_MS // 2)
    looped = replay_device(history, h.start_ms, stop, Engine(), config, None,
                           technician=fooled)
    check = first + DAY_MS // 2
    assert [f for f in looped if f.ts_ms <= first] == [f for f in alone if f.ts_ms <= first]
    after = [f for f in looped if f.ts_ms > check]
    assert all(f.model_version > alone[0].model_version for f in after)
    assert len(after) < len([f for f in alone if f.ts_ms > check])
