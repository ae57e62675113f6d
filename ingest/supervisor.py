"""``--workers N``: N worker processes on the shared subscription, restarted if one dies.

Each worker is its own process (its own GIL), with its own client id
``<mqtt.client_id>-<index>``, spool directory and metrics port
(``ingest.metrics_port + index``). The broker spreads messages across them; if
one dies, its unacknowledged messages go to the others or wait in its session.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from config import Settings
from ingest.logs import configure, event
from ingest.metrics import IngestMetrics
from ingest.worker import IngestWorker

log = logging.getLogger("ingest.supervisor")


def run_worker(settings: Settings | dict[str, Any], index: int = 0,
               log_level: str = "info") -> None:
    """Run worker ``index`` in this process until SIGTERM or SIGINT."""
    if isinstance(settings, dict):  # from a parent process (settings are sent as plain data)
        settings = Settings.model_validate(settings)
    configure(log_level)
    metrics = IngestMetrics()
    port = settings.ingest.metrics_port
    if port:
        try:
            metrics.serve(port + index)
        except OSError as exc:
            event(log, logging.WARNING, "metrics_unavailable", port=port + index, error=str(exc))
    IngestWorker(settings, index=index, metrics=metrics).run_forever()


def run(settings: Settings, workers: int, log_level: str = "info") -> None:
    """Run ``workers`` workers: in this process for one, as child processes for more."""
    if workers == 1:
        run_worker(settings, 0, log_level)
        return
    configure(log_level)
    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    def start(index: int) -> BaseProcess:
        proc = spawn.Process(target=run_worker, args=(settings.model_dump(), index, log_level),
                             name=f"forewarn-ingest-{index}")
        proc.start()
        event(log, logging.INFO, "worker_started", index=index, pid=proc.pid)
        return proc

    procs = {i: start(i) for i in range(workers)}
    while not stopping.wait(0.5):
        for index, proc in procs.items():
            if not proc.is_alive() and not stopping.is_set():
                event(log, logging.ERROR, "worker_died", index=index, exitcode=proc.exitcode,
                      action="restarting")
                time.sleep(1.0)
                procs[index] = start(index)
    for proc in procs.values():
        proc.terminate()  # SIGTERM: each worker flushes, acknowledges and disconnects
    deadline = time.monotonic() + 40
    for proc in procs.values():
        proc.join(max(0.1, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join()
