"""Detect benchmark: one full scoring cycle over a large fleet, InfluxDB fetch included.

Builds the situation a live ``forewarn detect`` meets every hour: ``--devices`` heat
pumps with trained models, and their last ``--hours`` of telemetry (a reading every
10 minutes) in a private InfluxDB 2.x. Then it times one scoring cycle of the real
runner (:meth:`detect.runner.DetectRunner.score_cycle`): the fleet-wide Flux queries
(hourly means aggregated and pivoted in InfluxDB, each hour's lowest and highest value and
count, and the readings just after each defrost, run at once), cohort correction, every
learned-normal detector, decisions and findings. Reports seconds, devices per second,
the fetch/score split (fetch: every store read of the cycle) and peak memory. The read of
post-defrost readings is the first, cold one: a live runner reads only what is new after
that.

Set-up (not timed): the fleet is simulated for ``--train-days`` to fit each device's
model (its baseline), then for ``--hours`` more, which are written to InfluxDB.

    .venv/bin/python benchmarks/detect.py                      # 10,000 devices, last 24 h
    .venv/bin/python benchmarks/detect.py --devices 1000 --json

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny matrices: threads only cost

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import DetectSettings, load_settings
from detect.frame import HOUR_MS, Frame
from detect.normal import RUNNING_ONLY, FleetPrior, NormalModel, fit_normal
from detect.registry import ModelRegistry, ModelSet
from detect.runner import DetectRunner
from detect.sink import MemorySink
from ingest.reading import running_rows
from ingest.store import InfluxStore
from services.influxdb import InfluxDB
from services.process import free_port
from simulators.backfill import backfill_store
from simulators.devices import SIGNAL_NAMES
from simulators.fleet import Fleet

INTERVAL_S = 600.0


def train(fleet: Fleet, days: float, progress: bool) -> dict[str, NormalModel]:
    """Step the fleet ``days`` and fit each device's model on its hourly means (the
    machine's own signals over running readings only, as the stores average them)."""
    steps = int(days * 86_400 / INTERVAL_S)
    per_hour = int(3600 / INTERVAL_S)
    hours = steps // per_hour
    n, k = len(fleet.devices), len(SIGNAL_NAMES)
    sums = np.zeros((hours, n, k), dtype=np.float32)
    counts = np.zeros((hours, n, k), dtype=np.uint8)
    times = np.zeros(hours, dtype=np.int64)
    machine = np.isin(SIGNAL_NAMES, RUNNING_ONLY)
    hz, defrost = SIGNAL_NAMES.index("compressor_hz"), SIGNAL_NAMES.index("defrost")
    for s in range(hours * per_hour):
        frame = fleet.step()
        h = s // per_hour
        run = running_rows(frame.values[:, hz], frame.values[:, defrost])
        ok = ~np.isnan(frame.values) & (run[:, None] | ~machine[None, :])
        sums[h] += np.where(ok, frame.values, 0.0)
        counts[h] += ok
        if s % per_hour == 0:
            times[h] = frame.ts_ms - frame.ts_ms % HOUR_MS
        if progress and s % 500 == 0:
            print(f"  simulated {s}/{steps} steps", file=sys.stderr)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    del sums, counts
    models = {}
    now = int(times[-1] + HOUR_MS)
    for i, d in enumerate(fleet.devices):
        cols = {name: means[:, i, j].astype(float) for j, name in enumerate(SIGNAL_NAMES)}
        models[d.device_id] = fit_normal(Frame(d.device_id, times, cols), now)
        if progress and i % 1000 == 0:
            print(f"  trained {i}/{n} models", file=sys.stderr)
    return models


class PeakRss(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, self.proc.memory_info().rss)


def bench(devices: int, hours: float, train_days: float, workdir: Path,
          progress: bool) -> dict[str, Any]:
    end_s = float(int(time.time()) // 3600 * 3600)
    start_s = end_s - (train_days * 86_400 + hours * 3600)
    fleet = Fleet(devices, seed=2, start_s=start_s, interval_s=INTERVAL_S)
    t = time.perf_counter()
    models = train(fleet, train_days, progress)
    setup_train = time.perf_counter() - t
    influxdb = InfluxDB(workdir, port=free_port())
    influxdb.start()
    try:
        settings = load_settings(influx={"url": influxdb.url, "org": influxdb.org,
                                         "bucket": influxdb.bucket, "token": influxdb.token,
                                         "timeout": 600})
        store = InfluxStore(settings.influx)
        t = time.perf_counter()
        written = backfill_store(fleet, store, int(hours * 3600 / INTERVAL_S),
                                 batch_readings=50_000)
        setup_write = time.perf_counter() - t
        registry = ModelRegistry(workdir / "models")
        registry.save(ModelSet(0, models, FleetPrior.from_models(list(models.values())[:500])),
                      int(end_s * 1000))
        del models
        detect = DetectSettings(models_dir=workdir / "models", score_lookback=hours * 3600)
        sink = MemorySink()
        runner = DetectRunner(store, sink, detect, clock=lambda: end_s)
        fetch = {"seconds": 0.0}
        original = runner._fleet_hourly  # every store read of a scoring cycle

        def timed(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                fetch["seconds"] += time.perf_counter() - t0

        runner._fleet_hourly = timed  # type: ignore[method-assign]
        rss = PeakRss()
        rss.start()
        t = time.perf_counter()
        report = runner.score_cycle(int(end_s * 1000))
        seconds = time.perf_counter() - t
        rss.done.set()
        rss.join()
        store.close()
    finally:
        influxdb.stop()
    return {
        "devices": devices, "hours": hours, "readings_in_influxdb": written.readings,
        "cycle_seconds": round(seconds, 2),
        "devices_per_second": round(report.devices / seconds, 1),
        "fetch_seconds": round(fetch["seconds"], 2),
        "score_seconds": round(seconds - fetch["seconds"], 2),
        "peak_rss_mb": round(rss.peak / 2**20, 1),
        "devices_scored": report.devices, "failures": len(report.failures),
        "findings": report.findings,
        "setup_seconds": {"simulate_and_train": round(setup_train, 1),
                          "write_influxdb": round(setup_write, 1)},
        "goal": "10,000 devices' last 24 h in < 60 s",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--hours", type=float, default=24.0, help="history scored (default 24)")
    parser.add_argument("--train-days", type=float, default=21.0,
                        help="simulated days each model is fitted on (set-up)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="forewarn-bench-detect-"))
    try:
        figures = bench(args.devices, args.hours, args.train_days, workdir, not args.json)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"scoring cycle: {figures['devices_scored']} devices x last {args.hours:g} h in "
          f"{figures['cycle_seconds']} s = {figures['devices_per_second']} devices/s "
          f"(fetch {figures['fetch_seconds']} s, scoring {figures['score_seconds']} s), "
          f"peak RSS {figures['peak_rss_mb']} MB, {figures['findings']} findings, "
          f"{figures['failures']} failures")
    print(f"set-up (not timed): {figures['setup_seconds']}")


if __name__ == "__main__":
    main()
