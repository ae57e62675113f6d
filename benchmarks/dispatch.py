"""Dispatch benchmark: a simulated fleet through the real detectors and dispatch.

Simulates ``--devices`` heat pumps for ``--days`` (four of them with planned faults: a
refrigerant leak, a worn compressor, low flow and a drifting sensor), replays the
detectors over the history as the live runner would (``detect.evaluation.replay``),
then feeds the findings in time order to a dispatcher on a fresh SQLite ticket
database, sweeping once a simulated day. Reports, against the simulator's ground truth:

* findings, tickets, tickets per device (one problem, one ticket);
* per planned fault: the ticket's action, whether a visit was booked, and how long
  before the true failure the booked window ends (hours; negative = too late);
* tickets on healthy devices (false alarms) and their actions;
* dispatch throughput (findings per second).

    .venv/bin/python benchmarks/dispatch.py
    .venv/bin/python benchmarks/dispatch.py --devices 12 --days 50 --json

Not part of the test suite; depends on detect's replay API.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

import dispatch
from config import DispatchSettings
from detect.engine import Engine
from detect.evaluation.replay import replay
from dispatch.directory import directory_from_fleet, seed
from dispatch.dispatcher import Dispatcher
from dispatch.forecast import SimulatedForecast
from dispatch.store import connect, migrate, session_factory
from dispatch.store import tables as t
from ingest.store import EmbeddedStore
from simulators.backfill import backfill_store
from simulators.fleet import Fleet
from simulators.ground_truth import parse_iso
from simulators.plan import parse_plan

DAY_S = 86_400.0
START_S = 1_759_276_800.0 + 60 * DAY_S  # 30 November 2025: winter ahead
FAULTS = ({"fault": "refrigerant_leak", "onset_day": 28, "progression_days": 14},
          {"fault": "compressor_wear", "onset_day": 28, "progression_days": 14},
          {"fault": "low_flow", "onset_day": 30, "progression_days": 12},
          {"fault": "sensor_drift", "onset_day": 30, "sensor": "supply_temp"})


def run(devices: int, days: float, seed_: int, workdir: Path) -> dict[str, Any]:
    ids = [f"sim-{i:05d}" for i in range(devices)]
    plan = parse_plan([{"device": ids[i], **f} for i, f in enumerate(FAULTS)], ids, START_S,
                      seed_)
    store = EmbeddedStore(workdir / "telemetry.sqlite")
    fleet = Fleet(devices, seed=seed_, start_s=START_S, interval_s=600.0, plan=plan)
    steps = int(days * DAY_S / 600.0)
    t0 = time.perf_counter()
    backfill_store(fleet, store, steps, batch_readings=20_000)
    end_s = START_S + steps * 600.0
    truth = fleet.ground_truth(end_s)
    t1 = time.perf_counter()
    findings = replay(store, ids, int(START_S * 1000), int(end_s * 1000), Engine())
    t2 = time.perf_counter()

    engine = connect(f"sqlite:///{workdir / 'tickets.sqlite'}")
    migrate(engine)
    sessions = session_factory(engine)
    seed(sessions, directory_from_fleet(devices, seed_))
    dispatcher = Dispatcher(sessions, DispatchSettings(labels_path=workdir / "labels.jsonl"),
                            SimulatedForecast(fleet.weather))
    t3 = time.perf_counter()
    dispatch.replay(dispatcher, findings)
    t4 = time.perf_counter()

    faults: list[dict[str, Any]] = []
    false_alarms: list[dict[str, Any]] = []
    with sessions() as s:
        tickets = s.scalars(select(t.Ticket)).all()
        for rec in truth.faults:
            if rec.fault == "none":
                continue
            mine = [x for x in tickets if x.device_id == rec.device_id]
            failure = parse_iso(rec.failure)
            booked = s.scalars(select(t.Booking).where(
                t.Booking.ticket_id.in_([x.id for x in mine]),
                t.Booking.status != "cancelled")).all()
            margin = (round((failure * 1000 - min(b.end_ms for b in booked)) / 3.6e6, 1)
                      if booked and failure is not None else None)
            faults.append({"device": rec.device_id, "fault": rec.fault,
                           "tickets": [f"{x.problem}:{x.action}" for x in mine],
                           "booked_h_before_failure": margin,
                           "escalated": any(x.escalated for x in mine)})
        faulty = {f["device"] for f in faults}
        false_alarms = [{"device": x.device_id, "problem": x.problem, "action": x.action,
                         "diagnosis": x.diagnosis["fault"]}
                        for x in tickets if x.device_id not in faulty]
    engine.dispose()
    return {"devices": devices, "days": days, "findings": len(findings),
            "tickets": len(tickets), "tickets_per_device": round(len(tickets) / devices, 2),
            "faults": faults, "tickets_on_healthy_devices": false_alarms,
            "seconds": {"simulate": round(t1 - t0, 1), "detect": round(t2 - t1, 1),
                        "dispatch": round(t4 - t3, 1)},
            "dispatch_findings_per_s": round(len(findings) / max(t4 - t3, 1e-9), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--days", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.devices < len(FAULTS):
        parser.error(f"--devices must be at least {len(FAULTS)}")
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.devices, args.days, args.seed, Path(tmp))
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['findings']} findings -> {result['tickets']} tickets for "
          f"{result['devices']} devices ({result['tickets_per_device']} per device)")
    for f in result["faults"]:
        print(f"  {f['device']} {f['fault']:<18} {', '.join(f['tickets']) or 'no ticket':<40}"
              f" booked {f['booked_h_before_failure']} h before failure"
              + (" (escalated)" if f["escalated"] else ""))
    print(f"  tickets on healthy devices: {result['tickets_on_healthy_devices'] or 'none'}")
    print(f"  seconds: {result['seconds']}; dispatch {result['dispatch_findings_per_s']} "
          "findings/s")


if __name__ == "__main__":
    main()
