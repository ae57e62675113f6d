"""Study: does the evaporator just after a defrost show a failing defrost days ahead?

A defrost malfunction leaves ice on the evaporator after each defrost. A healthy coil is
clean then, so the first running reading after a defrost shows the ice alone: the
evaporating pressure is lower than the unit's own clean-coil pressure at the same outdoor
temperature and compressor speed. This script measures how well that reading separates
units that will trip on ice from the rest of a simulated fleet. It is the study the icing
detector (:mod:`detect.icing`) came from, kept to measure the signal itself: the detector
reads the same readings as hourly means, learns its reference within the retrain and
takes its region's median hour by hour (see the README's Detect section).

For each unit: every first running reading after a defrost; its log low pressure against
a linear fit on outdoor temperature and compressor speed over the unit's first 20 days of
defrosts; the residual in the unit's own standard deviations (from those days), averaged
per day; less the median of its climate region that day (the fit extrapolates into colder
weather for every unit alike); then a 2-day mean. Printed: the lowest value any healthy
unit reaches all season, the lowest of the units with other faults before their onset, and
for each unit that trips on ice, its value at least 48 h before it trips.

The fleet is simulated once and kept under --cache, shared with ``benchmarks/tune.py``:

    .venv/bin/python benchmarks/defrost_signal.py --devices 200 --days 180 --seed 11
    .venv/bin/python benchmarks/defrost_signal.py --devices 20 --days 60 --seed 3 --json

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.progress import Progress

from detect.after_defrost import LEARN_DAYS, MIN_LEARN  # the detector's clean-coil fit
from detect.evaluation.replay import load_history
from detect.evaluation.simulate import SimulatedRun, cached_simulation
from detect.frame import DAY_MS
from ingest.reading import after_defrost_rows
from ingest.store import EmbeddedStore
from simulators.ground_truth import FaultRecord, parse_iso

LEAD_DAYS = 3  # a 2-day mean ending this many calendar days before the failure's day: >= 48 h


@dataclass
class Unit:
    """One unit's daily mean post-defrost residual (NaN: fewer than 2 readings that day)."""

    daily: np.ndarray
    first_day: int


def post_defrost(raw: Any, start_ms: int, days: int) -> Unit | None:
    """The daily mean residual of the first running reading after each defrost."""
    hz, low, outdoor = raw["compressor_hz"], raw["low_pressure"], raw["outdoor_temp"]
    keep = after_defrost_rows(hz, raw["defrost"]) & ~np.isnan(low) & ~np.isnan(outdoor)
    if keep.sum() < 2 * MIN_LEARN or (low[keep] <= 0).any():
        return None
    times = raw.times_ms[keep]
    y = np.log(low[keep])
    x = np.column_stack([np.ones(len(y)), outdoor[keep], hz[keep]])
    learn = times < times[0] + LEARN_DAYS * DAY_MS
    if learn.sum() < MIN_LEARN:
        return None
    coef, *_ = np.linalg.lstsq(x[learn], y[learn], rcond=None)
    resid = y - x @ coef
    z = resid / max(float(np.std(resid[learn])), 1e-9)
    day = ((times - start_ms) // DAY_MS).astype(int)
    total, count = np.bincount(day, z, days), np.bincount(day, None, days)
    daily = np.where(count >= 2, total / np.maximum(count, 1), np.nan)
    return Unit(daily, int((times[0] - start_ms) // DAY_MS))


def two_day(values: np.ndarray, k: int) -> float:
    window = values[max(0, k - 1):k + 1]
    return float(np.nanmean(window)) if k >= 0 and (~np.isnan(window)).any() else float("nan")


def study(store: EmbeddedStore, run: SimulatedRun, progress: Progress) -> dict[str, Any]:
    days = int((run.end_ms - run.start_ms) // DAY_MS) + 1
    records: dict[str, FaultRecord] = {r.device_id: r for r in run.truth.records}
    units: dict[str, Unit] = {}
    task = progress.add_task("post-defrost readings", total=len(run.device_ids))
    for device in run.device_ids:
        raw = load_history(store, device, run.start_ms, run.end_ms).raw
        unit = post_defrost(raw, run.start_ms, days)
        if unit is not None:
            units[device] = unit
        progress.advance(task)
    by_region: dict[str, list[str]] = defaultdict(list)
    for device in units:
        by_region[records[device].climate].append(device)
    with warnings.catch_warnings():  # a day no unit of a region defrosted: NaN, as meant
        warnings.simplefilter("ignore", RuntimeWarning)
        median = {region: np.nanmedian(np.array([units[d].daily for d in devices]), axis=0)
                  for region, devices in by_region.items()}
    corrected = {d: u.daily - median[records[d].climate] for d, u in units.items()}

    def lowest(device: str, stop: int) -> float | None:
        start = units[device].first_day + LEARN_DAYS + 1
        values = [two_day(corrected[device], k) for k in range(start, stop)]
        values = [v for v in values if not np.isnan(v)]
        return min(values) if values else None

    def day_of(iso: str | None) -> int | None:
        t = parse_iso(iso)
        return None if t is None else int((t * 1000 - run.start_ms) // DAY_MS)

    healthy = [v for d in units if records[d].fault == "none"
               and (v := lowest(d, days)) is not None]
    others = [v for d in units if records[d].fault not in ("none", "defrost_malfunction")
              and (onset := day_of(records[d].onset)) is not None
              and (v := lowest(d, onset)) is not None]
    iced = []
    for device, rec in records.items():
        failed = day_of(rec.failure)
        if rec.fault != "defrost_malfunction" or failed is None:
            continue
        value = two_day(corrected[device], failed - LEAD_DAYS) if device in units else None
        iced.append({"device": device, "region": rec.climate,
                     "value_48h_ahead": None if value is None or np.isnan(value)
                     else round(value, 1)})
    return {"devices": len(run.device_ids), "units_with_defrosts": len(units),
            "healthy": {"units": len(healthy), "lowest": _round(min(healthy, default=None)),
                        "p1": _round(float(np.percentile(healthy, 1)) if healthy else None)},
            "other_faults_before_onset": {"units": len(others),
                                          "lowest": _round(min(others, default=None))},
            "iced": iced}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Reads the simulated store; the first run simulates it (minutes per 100 devices "
               "over 180 days).")
    parser.add_argument("--devices", type=int, default=200, help="fleet size (default 200)")
    parser.add_argument("--days", type=float, default=180.0, help="days simulated (default 180)")
    parser.add_argument("--seed", type=int, default=11, help="fleet seed (default 11)")
    parser.add_argument("--threshold", type=float, default=-10.0,
                        help="the line to count iced units beyond (default -10)")
    parser.add_argument("--cache", type=Path, default=Path(".forewarn/tune"),
                        help="where simulated fleets are kept (shared with tune.py)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    args = parser.parse_args(argv)
    if args.devices < 1 or args.days < 25:
        parser.error("need at least 1 device and 25 days (20 days of defrosts are learnt)")
    with Progress(console=Console(stderr=True), transient=True) as progress:  # stdout: results
        task = progress.add_task("simulate", total=None)
        store, run = cached_simulation(
            args.cache, args.devices, args.days, args.seed,
            lambda k, n: progress.update(task, completed=k, total=n))
        progress.remove_task(task)
        try:
            out = study(store, run, progress)
        finally:
            store.close()
    values = [i["value_48h_ahead"] for i in out["iced"]]
    beyond = sum(1 for v in values if v is not None and v <= args.threshold)
    out["iced_beyond_threshold_48h_ahead"] = beyond
    out["threshold"] = args.threshold
    if args.json:
        print(json.dumps(out, indent=2))
        return
    h, o = out["healthy"], out["other_faults_before_onset"]
    print(f"{out['devices']} devices, {out['units_with_defrosts']} with enough defrosts")
    print(f"healthy units ({h['units']}): lowest all season {h['lowest']}, "
          f"1st percentile {h['p1']}")
    print(f"units with other faults, before onset ({o['units']}): lowest {o['lowest']}")
    print(f"units that tripped on ice: {beyond} of {len(values)} at or below {args.threshold:g} "
          f"at least 48 h ahead")
    for i in out["iced"]:
        print(f"  {i['device']} ({i['region']}): {i['value_48h_ahead']}")


if __name__ == "__main__":
    main()
