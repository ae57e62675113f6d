"""API benchmark: p50/p99 latency of the queue and the telemetry endpoint under load.

The situation of a mid-size fleet: 10,000 heat pumps in the directory, 1,000 open
tickets (opened by the real dispatcher, a tenth of them booked), and a week of
one-minute telemetry for ``--telemetry-devices`` of them in a private InfluxDB 2.x.
The API runs in its own process (uvicorn, as ``forewarn api serve`` does); this process
sends ``--concurrency`` requests at a time with an API key and times each one.

Measured (after a warm-up):

* queue      ``GET /api/v1/tickets`` - the first page (50) worst first, or a later
             page by cursor, or a region's queue;
* telemetry  ``GET /api/v1/devices/{id}/telemetry`` - a week of one device's chart
             (four signals), downsampled to 500 points inside InfluxDB;
* telemetry_all  the same with all twenty signals;
* ticket     ``GET /api/v1/tickets/{id}`` - one ticket in full.

Goals (issue 7): queue p99 < 100 ms, telemetry p99 < 300 ms.

    .venv/bin/python benchmarks/api.py                    # 10,000 devices, 1,000 tickets
    .venv/bin/python benchmarks/api.py --tickets-db postgresql --json
    .venv/bin/python benchmarks/api.py --workers 2      # two API processes

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.accounts import create_key, ensure_tables
from api.testing import backfill, finding_for
from config import Settings, load_settings
from dispatch.directory import directory_from_fleet, seed
from dispatch.dispatcher import Dispatcher
from dispatch.forecast import FixedForecast
from dispatch.store import connect, migrate, session_factory
from ingest.store.influx import InfluxStore
from services.influxdb import InfluxDB
from services.postgres import PostgreSQL
from services.process import free_port

WEEK_MS = 7 * 86_400_000
#: one chart's signals (the device page's temperatures)
CHART = "signals=supply_temp&signals=return_temp&signals=indoor_temp&signals=outdoor_temp"


def _serve(values: dict[str, Any], port: int, now_ms: int, workers: int = 1) -> None:
    import logging
    import os

    import uvicorn

    from api import create_app

    logging.disable(logging.WARNING)
    if workers > 1:  # as 'forewarn api serve --workers N': each process builds its app
        for section, fields in values.items():
            for name, value in fields.items():
                os.environ[f"FOREWARN_{section.upper()}__{name.upper()}"] = str(value)
        uvicorn.run("api.app:from_environment", factory=True, workers=workers,
                    host="127.0.0.1", port=port, log_level="error", access_log=False)
        return
    settings = load_settings(**values)  # a dict: a dumped Settings would mask the token
    uvicorn.run(create_app(settings, clock=lambda: now_ms), host="127.0.0.1", port=port,
                log_level="error", access_log=False)


def setup(settings: Settings, devices: int, tickets: int, booked: int, now_ms: int,
          say: Callable[[str], None]) -> tuple[str, list[str], list[int], list[str]]:
    engine = connect(settings.tickets.url)
    migrate(engine)
    ensure_tables(engine)
    sessions = session_factory(engine)
    t = time.perf_counter()
    directory = directory_from_fleet(devices, 3, technicians_per_region=25)
    seed(sessions, directory)
    ids = [d.id for c in directory.customers for s in c.sites for d in s.devices]
    say(f"directory: {len(ids)} devices in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    dispatcher = Dispatcher(sessions, settings.dispatch, FixedForecast(-8.0))
    handled = dispatcher.handle_many((finding_for(ids[i], i, now_ms) for i in range(tickets)),
                                     now_ms)
    ticket_ids = [h.ticket_id for h in handled if h.ticket_id is not None]
    for tid in ticket_ids[:booked]:
        dispatcher.book(tid, now_ms)
    say(f"tickets: {len(ticket_ids)} opened, {booked} booked in "
        f"{time.perf_counter() - t:.1f} s")
    key = create_key(sessions, "bench", "planner", now_ms)
    regions = sorted({s.region for c in directory.customers for s in c.sites})
    engine.dispose()
    return key, ids, ticket_ids, regions


def load(base: str, key: str, make_url: Callable[[random.Random], str], n: int,
         concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    first_error: list[str] = []
    lock = threading.Lock()
    todo = iter(range(n))

    def worker(seed_: int) -> None:
        rng = random.Random(seed_)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                          timeout=30) as c:
            while True:
                with lock:
                    if next(todo, None) is None:
                        return
                url = make_url(rng)
                t = time.perf_counter()
                r = c.get(url)
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    errors[0] += r.status_code != 200
                    if r.status_code != 200 and not first_error:
                        first_error.append(f"{r.status_code} {url}: {r.text[:300]}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"requests": len(latencies), "errors": errors[0], "rps": round(len(latencies) / wall,
                                                                           1),
            "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
            "p99_ms": round(q[98] * 1000, 1), "max_ms": round(max(latencies) * 1000, 1),
            **({"first_error": first_error[0]} if first_error else {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=10_000)
    ap.add_argument("--tickets", type=int, default=1_000)
    ap.add_argument("--booked", type=int, default=100, help="tickets booked (the rest open)")
    ap.add_argument("--telemetry-devices", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1,
                    help="API processes (forewarn api serve --workers N)")
    ap.add_argument("--requests", type=int, default=2_000, help="per endpoint (queue)")
    ap.add_argument("--tickets-db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    say = (lambda _: None) if args.json else (lambda m: print(m, flush=True))
    workdir = Path(tempfile.mkdtemp(prefix="forewarn-bench-api-"))
    now_ms = int(time.time() // 60 * 60 * 1000)
    influx = InfluxDB(workdir / "influx", port=free_port())
    pg = PostgreSQL(workdir / "pg", free_port()) if args.tickets_db == "postgresql" else None
    server: mp.Process | None = None
    try:
        influx.start()
        if pg:
            pg.start()
        url = pg.url if pg else f"sqlite:///{workdir / 'tickets.sqlite'}"
        values: dict[str, Any] = {
            "influx": {"url": influx.url, "org": influx.org, "bucket": influx.bucket,
                       "token": influx.token, "timeout": 60},
            "tickets": {"url": url}, "dispatch": {"labels_path": str(workdir / "labels.jsonl")}}
        settings = load_settings(**values)
        key, ids, ticket_ids, regions = setup(settings, args.devices, args.tickets,
                                              args.booked, now_ms, say)
        t = time.perf_counter()
        store = InfluxStore(settings.influx)
        readings = backfill(store, args.telemetry_devices, now_ms, days=7.0, interval_s=60.0,
                            seed_=3)
        store.close()
        say(f"telemetry: {readings} readings ({args.telemetry_devices} devices x 7 days "
            f"x 1/min) in {time.perf_counter() - t:.1f} s")
        port = free_port()
        server = mp.get_context("spawn").Process(
            target=_serve, args=(values, port, now_ms, args.workers), daemon=False)
        server.start()
        say(f"API: {args.workers} process(es) on port {port}")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.2)
        hdr = {"Authorization": f"Bearer {key}"}
        cursors = []
        page = httpx.get(f"{base}/api/v1/tickets", headers=hdr, params={"limit": 50}).json()
        while page["next_cursor"] and len(cursors) < 10:
            cursors.append(page["next_cursor"])
            page = httpx.get(f"{base}/api/v1/tickets", headers=hdr,
                             params={"limit": 50, "cursor": page["next_cursor"]}).json()
        tele_ids = ids[:args.telemetry_devices]
        start = now_ms - WEEK_MS

        def queue_url(rng: random.Random) -> str:
            pick = rng.random()
            if pick < 0.6:
                return "/api/v1/tickets?limit=50"
            if pick < 0.8:
                return f"/api/v1/tickets?limit=50&cursor={rng.choice(cursors)}"
            return f"/api/v1/tickets?limit=50&region={rng.choice(regions)}"

        def telemetry_url(rng: random.Random) -> str:
            return (f"/api/v1/devices/{rng.choice(tele_ids)}/telemetry?start_ms={start}"
                    f"&stop_ms={now_ms}&points=500&{CHART}")

        def telemetry_all_url(rng: random.Random) -> str:
            return (f"/api/v1/devices/{rng.choice(tele_ids)}/telemetry?start_ms={start}"
                    f"&stop_ms={now_ms}&points=500")

        def ticket_url(rng: random.Random) -> str:
            return f"/api/v1/tickets/{rng.choice(ticket_ids)}"

        results: dict[str, Any] = {}
        for name, make, n in (("queue", queue_url, args.requests),
                              ("telemetry", telemetry_url, max(200, args.requests // 4)),
                              ("telemetry_all", telemetry_all_url, max(100, args.requests // 10)),
                              ("ticket", ticket_url, args.requests)):
            load(base, key, make, max(50, n // 10), args.concurrency)  # warm-up
            results[name] = load(base, key, make, n, args.concurrency)
            say(f"{name:10s} {results[name]}")
        goals = {"queue": 100.0, "telemetry": 300.0}
        summary = {"devices": args.devices, "open_tickets": len(ticket_ids),
                   "tickets_db": args.tickets_db, "concurrency": args.concurrency,
                   "workers": args.workers,
                   "results": results,
                   "goals_met": {k: results[k]["p99_ms"] < v for k, v in goals.items()}}
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            print("\nendpoint    p50 ms   p99 ms   req/s  errors  goal (p99)")
            for name, r in results.items():
                goal = f"< {goals[name]:.0f} ms " + ("met" if r["p99_ms"] < goals[name]
                                                      else "MISSED") if name in goals else ""
                print(f"{name:10s} {r['p50_ms']:7.1f} {r['p99_ms']:8.1f} {r['rps']:7.1f} "
                      f"{r['errors']:7d}  {goal}")
    finally:
        if server is not None:
            server.terminate()
            server.join(10)
        if pg:
            pg.stop()
        influx.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
