"""Simulate a fleet with the default fault mix and backfill its history into a telemetry store."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.store import EmbeddedStore
from ingest.store.base import TelemetryStore
from simulators.backfill import backfill_store
from simulators.fleet import Fleet
from simulators.ground_truth import GroundTruth
from simulators.plan import parse_plan, random_plan

DAY_S = 86_400.0
#: 1 October 2025, 00:00 UTC: the run covers a heating season.
DEFAULT_START_S = 1_759_276_800.0


@dataclass(frozen=True)
class SimulatedRun:
    truth: GroundTruth
    device_ids: list[str]
    start_ms: int
    end_ms: int
    interval_s: float


def simulate_into(store: TelemetryStore, devices: int, days: float, seed: int,
                  fault_rate: float = 0.3, interval_s: float = 600.0,
                  start_s: float = DEFAULT_START_S,
                  progress: Callable[[int, int], None] | None = None,
                  plan: list[dict[str, Any]] | None = None,
                  climates: list[str] | None = None) -> SimulatedRun:
    """Simulate ``devices`` heat pumps for ``days`` and write everything to ``store``.

    Faults are drawn from the default mix at ``fault_rate``, unless ``plan`` gives them
    (fault-plan entries as in :mod:`simulators.plan`).
    """
    ids = [f"sim-{i:05d}" for i in range(devices)]
    end_s = start_s + days * DAY_S
    faults = (parse_plan(plan, ids, start_s, seed) if plan is not None
              else random_plan(ids, start_s, end_s, fault_rate, seed))
    fleet = Fleet(devices, seed=seed, start_s=start_s, interval_s=interval_s, plan=faults,
                  climates=climates)
    steps = int(days * DAY_S / interval_s)
    batch = max(20_000, devices * 50)
    backfill_store(fleet, store, steps, batch_readings=batch,
                   progress=(lambda k: progress(k, steps)) if progress else None)
    last_s = start_s + (steps - 1) * interval_s
    return SimulatedRun(fleet.ground_truth(last_s), ids, round(start_s * 1000),
                        round((last_s + interval_s) * 1000), interval_s)


def cached_simulation(cache: Path, devices: int, days: float, seed: int,
                      progress: Callable[[int, int], None] | None = None
                      ) -> tuple[EmbeddedStore, SimulatedRun]:
    """The fleet :func:`simulate_into` an embedded store kept under ``cache``
    (``{devices}x{days}-seed{seed}.sqlite``, its run beside it as ``-run.pkl``), simulated on
    first use. A store without its run file (a simulation that did not finish) is simulated
    again. The caller closes the store; study scripts share fleets through it."""
    cache.mkdir(parents=True, exist_ok=True)
    stem = cache / f"{devices}x{days:g}-seed{seed}"
    db, run_file = Path(f"{stem}.sqlite"), Path(f"{stem}-run.pkl")
    if not (run_file.exists() and db.exists()):
        db.unlink(missing_ok=True)
        run_file.unlink(missing_ok=True)
    store = EmbeddedStore(db)
    try:
        if run_file.exists():
            run: SimulatedRun = pickle.loads(run_file.read_bytes())
            return store, run
        run = simulate_into(store, devices, days, seed, progress=progress)
    except BaseException:
        store.close()
        raise
    run_file.write_bytes(pickle.dumps(run))
    return store, run
