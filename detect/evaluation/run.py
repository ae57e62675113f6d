"""``forewarn evaluate`` end to end: simulate, backfill, replay, score."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from threadpoolctl import threadpool_limits

from detect.engine import Engine
from detect.evaluation.feedback import VISIT_AFTER_MS, Technician
from detect.evaluation.metrics import Report, score
from detect.evaluation.replay import ReplayConfig, replay
from detect.evaluation.simulate import DEFAULT_START_S, SimulatedRun, simulate_into
from detect.findings import Finding
from ingest.store.base import TelemetryStore

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Evaluation:
    run: SimulatedRun
    findings: list[Finding]
    report: Report


def evaluate(store: TelemetryStore, devices: int, days: float, seed: int,
             fault_rate: float = 0.3, interval_s: float = 600.0,
             config: ReplayConfig = ReplayConfig(), start_s: float = DEFAULT_START_S,
             engine: Engine | None = None, progress: Progress | None = None,
             plan: list[dict[str, Any]] | None = None,
             climates: list[str] | None = None,
             visit_after_ms: int | None = VISIT_AFTER_MS) -> Evaluation:
    """Simulate ``devices`` for ``days`` into ``store``, replay the detectors, score them.

    Every alarm is checked ``visit_after_ms`` later by a simulated technician who finds
    what is really there, and the outcome feeds back as live (:mod:`.feedback`); None
    leaves the loop open (no outcome ever reaches detect)."""
    run = simulate_into(store, devices, days, seed, fault_rate, interval_s, start_s,
                        (lambda k, n: progress("simulate", k, n)) if progress else None,
                        plan, climates)
    with threadpool_limits(1):  # tiny matrices: threads cost more than they give
        findings = replay(store, run.device_ids, run.start_ms, run.end_ms,
                          engine or Engine(), config, progress,
                          None if visit_after_ms is None
                          else Technician.of(run.truth, visit_after_ms))
    return Evaluation(run, findings, score(findings, run.truth))
