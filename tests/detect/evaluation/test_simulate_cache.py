"""The simulated-fleet cache the study scripts share (``benchmarks/tune.py``,
``benchmarks/defrost_signal.py``): simulated once, then read back."""

from __future__ import annotations

from pathlib import Path

from detect.evaluation.simulate import cached_simulation


def test_a_fleet_is_simulated_once_and_an_unfinished_one_again(tmp_path: Path) -> None:
    store, run = cached_simulation(tmp_path, 3, 2, seed=5)
    readings = len(store.read_readings(run.device_ids[0], run.start_ms, run.end_ms))
    store.close()
    run_file = tmp_path / "3x2-seed5-run.pkl"
    stamp = run_file.stat().st_mtime_ns
    assert readings > 0

    again, cached = cached_simulation(tmp_path, 3, 2, seed=5)
    assert cached == run and run_file.stat().st_mtime_ns == stamp  # read, not simulated
    assert len(again.read_readings(run.device_ids[0], run.start_ms, run.end_ms)) == readings
    again.close()

    run_file.unlink()  # a store without its run: the simulation did not finish
    fresh, rerun = cached_simulation(tmp_path, 3, 2, seed=5)
    assert rerun == run and run_file.exists()
    assert len(fresh.read_readings(run.device_ids[0], run.start_ms, run.end_ms)) == readings
    fresh.close()
