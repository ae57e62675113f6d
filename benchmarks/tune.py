"""Tune the detector thresholds: record simulated fleets once, score a grid of settings offline.

Each fleet (--devices x --days, one per --seed) is simulated and replayed exactly as
``forewarn evaluate`` does it, by an engine that records every step's scores (those at
or above --floor x their threshold, with their diagnosis). Every combination of the
grid's thresholds is then re-decided from the recording by the engine's own decision
step and scored against the fleet's ground truth -- a fraction of a second per
combination and fleet, where a replay takes minutes. The models and their retraining
stay as recorded (at the current thresholds), so confirm a choice with
``forewarn evaluate``.

The simulated store and the recording of each (devices, days, seed) are kept under
--cache, so a new grid on the same fleets needs no new replay; --fresh records again
(after a change to the detectors or models), keeping the simulated store. A store takes
about 70 kB per device-day (2.5 GB for 200 x 180); without it, --fresh simulates again.

Thresholds are chosen on the tuning fleets, seeds 3, 7 and 11; seed 1 is the held-out
check, never tuned on (see the README's Detect section):

    .venv/bin/python benchmarks/tune.py --devices 200 --days 180 --seed 3 --seed 7 --seed 11
    .venv/bin/python benchmarks/tune.py --devices 200 --days 180 --seed 3 --seed 7 \\
        --cusum 200,250,300 --ewma 50 --t2 300 --drift 60 --agreement 1,2 \\
        --sensor-margin 1,1.5,2,3
    .venv/bin/python benchmarks/tune.py --devices 20 --days 60 --seed 3 --json

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny matrices: threads only cost

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from detect.engine import Engine
from detect.evaluation.simulate import cached_simulation
from detect.evaluation.tuning import DEFAULT_FLOOR, GridRow, TuningFleet, grid, record

#: grid option -> detector
DETECTORS = {"ewma": "residual_ewma", "cusum": "residual_cusum", "t2": "residual_t2",
             "drift": "sensor_drift", "hunting": "superheat_hunting"}
#: the options the default grid varies; the others stay as now unless given
GRIDDED = ("ewma", "cusum", "t2", "drift")
#: the default grid: each current threshold, 20 % under and 20 % over it
STEPS = (0.8, 1.0, 1.2)

T = TypeVar("T")


def _listed(kind: Callable[[str], T], what: str) -> Callable[[str], list[T]]:
    """An argparse type: a comma-separated list of ``kind`` (``what`` names them)."""
    def parse(text: str) -> list[T]:
        try:
            return [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a comma-separated list of {what}") from None
    return parse


_numbers = _listed(float, "numbers")
_ints = _listed(int, "integers")


def fleet(devices: int, days: float, seed: int, floor: float, cache: Path, fresh: bool,
          bar: Progress) -> tuple[TuningFleet, bool]:
    """The recorded fleet, from the cache when it has it; and whether it came from there."""
    rec_file = cache / f"{devices}x{days:g}-seed{seed}-recording.pkl"  # beside the fleet's store
    if rec_file.exists() and not fresh:
        cached: TuningFleet = pickle.loads(rec_file.read_bytes())
        if cached.recording.floor <= floor:
            return cached, True
    tasks: dict[str, TaskID] = {}

    def progress(stage: str, done: int, total: int) -> None:
        name = f"seed {seed}: {stage}"
        if name not in tasks:
            tasks[name] = bar.add_task(name, total=total)
        bar.update(tasks[name], completed=done)

    store, run = cached_simulation(cache, devices, days, seed,
                                   lambda k, n: progress("simulate", k, n))
    try:
        recorded = record(store, run, floor, progress=progress)
    finally:
        store.close()
    rec_file.write_bytes(pickle.dumps(recorded))
    return recorded, False


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f} %"


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


def table(rows: list[GridRow], seeds: list[int], names: list[str], extra: list[str]) -> str:
    """One row per combination and fleet; ``*`` marks the current settings."""
    head = ["", *names, *extra, "seed", ">=48h", "lead d (p10)", "precision", "FA/1k dm",
            "diagnosis"]
    lines = []
    for row in rows:
        settings = [_num(row.thresholds[DETECTORS[n]]) for n in names]
        settings += [_num(getattr(row, e)) for e in extra]
        for k, (seed, s) in enumerate(zip(seeds, row.summaries, strict=True)):
            lead = "-" if s["lead_median_days"] is None else \
                f"{s['lead_median_days']:.1f} ({s['lead_p10_days']:.1f})"
            first = k == 0
            lines.append(["*" if row.recorded and first else "",
                          *(settings if first else [""] * len(settings)), str(seed),
                          _pct(s["flagged_48h_before_failure"]), lead, _pct(s["precision"]),
                          _num(s["false_alarms_per_1000_device_months"]),
                          _pct(s["diagnosis_accuracy"])])
    widths = [max(len(r[i]) for r in [head, *lines]) for i in range(len(head))]
    out = ["  ".join(c.rjust(w) for c, w in zip(head, widths, strict=True))]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in lines]
    return "\n".join(out)


def main() -> None:
    current = Engine().thresholds
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    fleet_opts = parser.add_argument_group("fleets (simulated and replayed once, then cached)")
    fleet_opts.add_argument("--devices", type=int, default=200, help="heat pumps (default 200)")
    fleet_opts.add_argument("--days", type=float, default=180.0,
                            help="simulated days from 1 October (default 180)")
    fleet_opts.add_argument("--seed", type=int, action="append", dest="seeds",
                            help="a fleet's seed; repeat for several fleets "
                                 "(default: the tuning fleets, --seed 3 --seed 7 --seed 11)")
    fleet_opts.add_argument("--floor", type=float, default=DEFAULT_FLOOR,
                            help="record the scores at or above this share of their threshold "
                                 f"(default {DEFAULT_FLOOR:g}); grid values under floor x "
                                 "the current threshold are refused")
    fleet_opts.add_argument("--cache", type=Path, default=Path(".forewarn/tune"),
                            help="where the simulated stores and recordings are kept "
                                 "(default .forewarn/tune)")
    fleet_opts.add_argument("--fresh", action="store_true",
                            help="record again (after a change to detectors or models); the "
                                 "simulated store is kept")
    grid_opts = parser.add_argument_group(
        "grid (comma-separated values; every combination is scored; default: each current "
        "EWMA, CUSUM, T² and drift threshold, 20 % under and 20 % over, hunting as now)")
    for opt, name in DETECTORS.items():
        grid_opts.add_argument(f"--{opt}", type=_numbers, metavar="V,V,...",
                               help=f"{name} thresholds (now {current[name]:g})")
    grid_opts.add_argument("--persistence", type=_ints, metavar="N,N,...",
                           help="runs in a row each model detector must be over its "
                                "threshold (default: as now)")
    grid_opts.add_argument("--agreement", type=_ints, metavar="N,N,...",
                           help="residual detectors that must be over their threshold at "
                                "once (default: as now)")
    grid_opts.add_argument("--sensor-margin", type=_numbers, metavar="M,M,...",
                           help="times its threshold a residual detector must be over when "
                                "its diagnosis is a sensor (default: as now)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    seeds: list[int] = args.seeds or [3, 7, 11]
    names = list(DETECTORS)
    values = {DETECTORS[n]: getattr(args, n) or (
        [round(current[DETECTORS[n]] * f) for f in STEPS] if n in GRIDDED
        else [current[DETECTORS[n]]]) for n in names}

    err = Console(stderr=True)
    fleets: list[TuningFleet] = []
    cached: list[bool] = []
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=err, disable=args.json, transient=True) as bar:
        for seed in seeds:
            f, hit = fleet(args.devices, args.days, seed, args.floor, args.cache, args.fresh, bar)
            fleets.append(f)
            cached.append(hit)
    started = time.perf_counter()
    try:
        rows = grid(fleets, values, args.persistence, args.agreement, args.sensor_margin)
    except ValueError as exc:
        parser.error(str(exc))
    grid_seconds = time.perf_counter() - started

    about = [{"seed": seed, "devices": args.devices, "days": args.days,
              "predictable_failures": rows[0].summaries[k]["predictable_failed"]
              if rows else None,
              "findings_at_current_settings": f.findings, "steps": len(f.recording.steps),
              "records": f.recording.records, "floor": f.recording.floor,
              "record_seconds": round(f.seconds, 1), "from_cache": hit}
             for k, (seed, f, hit) in enumerate(zip(seeds, fleets, cached, strict=True))]
    if args.json:
        out: dict[str, Any] = {
            "fleets": about, "grid_seconds": round(grid_seconds, 2),
            "rows": [{"thresholds": r.thresholds, "persistence": r.persistence,
                      "agreement": r.agreement, "sensor_margin": r.sensor_margin,
                      "current": r.recorded,
                      "summaries": {str(s): summary
                                    for s, summary in zip(seeds, r.summaries, strict=True)}}
                     for r in rows]}
        print(json.dumps(out, indent=2))
        return
    extra = [e for e in ("persistence", "agreement", "sensor_margin") if getattr(args, e)]
    for a in about:
        how = "from the cache, recorded" if a["from_cache"] else "recorded"
        print(f"seed {a['seed']}: {a['devices']} devices x {a['days']:g} days, "
              f"{a['predictable_failures']} predictable failure(s), "
              f"{a['findings_at_current_settings']} findings at the current settings; "
              f"{how} in {a['record_seconds']:.0f} s ({a['records']} scores of "
              f"{a['steps']} steps at floor {a['floor']:g})")
    print()
    print(table(rows, seeds, names, extra))
    print()
    print(f"* the current settings. {len(rows)} combinations x {len(fleets)} "
          f"fleet{'s' if len(fleets) > 1 else ''} re-decided and scored in {grid_seconds:.1f} s. "
          ">=48h: predictable failures flagged at least 48 h before; FA/1k dm: false alarms "
          "per 1,000 device-months. The models were retrained as recorded: confirm with "
          "forewarn evaluate.")


if __name__ == "__main__":
    main()
