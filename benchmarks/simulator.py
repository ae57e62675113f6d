"""Simulator benchmark: readings generated per second for a fleet, and memory per device.

Measures, for one fleet (default 1,000 devices, one simulated day at one reading a
minute), each layer of a backfill on its own so the cost of each is visible:

* ``core``: the vectorised fleet step alone (physics, faults, sensors: arrays);
* ``readings``: core plus conversion to :class:`ingest.reading.Reading` objects,
  i.e. a backfill into a telemetry store that costs nothing (the goal: >= 100,000/s);
* ``payloads``: core plus the contract's JSON batch payloads, i.e. a backfill over MQTT
  before the network;
* optionally ``embedded``: a real backfill into the embedded SQLite store.

Memory per device is the traced Python heap of the fleet after spin-up, divided by
the number of devices (weather and code shared by all are included).

    .venv/bin/python benchmarks/simulator.py
    .venv/bin/python benchmarks/simulator.py --devices 10000 --days 0.25 --json
    .venv/bin/python benchmarks/simulator.py --embedded     # also into the embedded store

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.store import EmbeddedStore
from simulators.backfill import backfill_store
from simulators.devices import device_ids
from simulators.fleet import Fleet, Frame
from simulators.payloads import batch_payload, frame_readings, reading_dicts
from simulators.plan import random_plan

START = 1_767_225_600.0  # 2026-01-01: winter, so defrosts and backup heaters run


def make_fleet(devices: int, days: float, interval: float, seed: int) -> Fleet:
    plan = random_plan(device_ids(devices), START, START + days * 86_400, 0.1, seed)
    return Fleet(devices, seed, START, interval, plan)


def timed(fleet: Fleet, steps: int, sink: Callable[[Frame], object]) -> float:
    """Readings per second for ``steps`` steps, each frame handed to ``sink``."""
    began = time.perf_counter()
    for _ in range(steps):
        sink(fleet.step())
    return steps * len(fleet.devices) / (time.perf_counter() - began)


def memory_per_device(devices: int, days: float, interval: float, seed: int) -> float:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fleet = make_fleet(devices, days, interval, seed)
    fleet.step()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / devices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--embedded", action="store_true",
                        help="also backfill into the embedded SQLite store (slow: SQLite)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    steps = max(1, int(args.days * 86_400 / args.interval))

    def fresh() -> Fleet:
        return make_fleet(args.devices, args.days, args.interval, args.seed)

    results: dict[str, float] = {}
    fleet = fresh()
    results["core_readings_per_s"] = timed(fleet, steps, lambda frame: None)
    fleet = fresh()
    results["readings_per_s"] = timed(fleet, steps,
                                      lambda frame: frame_readings(frame, fleet.devices))
    fleet = fresh()
    results["payloads_per_s"] = timed(fleet, steps,
                                      lambda frame: batch_payload(list(reading_dicts(frame))))
    if args.embedded:
        fleet = fresh()
        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddedStore(Path(tmp) / "bench.sqlite")
            began = time.perf_counter()
            backfill_store(fleet, store, steps)
            results["embedded_store_per_s"] = steps * args.devices / (time.perf_counter() - began)
            store.close()
    results["bytes_per_device"] = memory_per_device(args.devices, args.days, args.interval,
                                                    args.seed)
    if args.json:
        print(json.dumps({"devices": args.devices, "steps": steps, **results}))
        return
    print(f"fleet of {args.devices:,} devices, {steps:,} steps of {args.interval:g} s "
          f"({steps * args.devices:,} readings per measurement)")
    labels = {
        "core_readings_per_s": "core (vectorised step, arrays)",
        "readings_per_s": "backfill generation (Reading objects)",
        "payloads_per_s": "MQTT batch payloads (JSON)",
        "embedded_store_per_s": "backfill into the embedded store",
    }
    for key, label in labels.items():
        if key in results:
            print(f"  {label:42s} {results[key]:>12,.0f} readings/s")
    print(f"  {'memory per device':42s} {results['bytes_per_device'] / 1024:>12,.1f} KiB")


if __name__ == "__main__":
    main()
