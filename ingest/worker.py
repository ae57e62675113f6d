"""One ingest worker: MQTT messages in, validated batches to the store (or spool), acks out.

The flow, on one thread fed by paho's network thread through a queue::

    Message ─ parse_message ─▶ Pending ─(FlushPolicy.due)─▶ dead letters committed
                                                        ─▶ store.write  ─or─▶ spool.append
                                                        ─▶ ack every message of the batch

A message is acknowledged only after its readings are durable in the store or the
spool and its rejects are committed as dead letters. If neither the store nor the
spool can take a batch, nothing is acknowledged: the broker stops sending once
``max_inflight`` messages are unacknowledged and redelivers after a restart.
While the spool holds anything, new batches go behind it, so the store receives
everything in arrival order once it is back.

Up to ``ingest.write_concurrency`` batches are committed at once on writer threads,
so parsing the next batch overlaps writing the last one.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import Final

from config import Settings
from ingest.batching import FlushPolicy, Pending
from ingest.contract import Limits
from ingest.deadletter import DeadLetter, DeadLetterStore
from ingest.errors import DeadLetterError, SpoolError, StoreRejected, StoreUnavailable
from ingest.logs import event
from ingest.metrics import IngestMetrics
from ingest.mqtt import Message, MQTTConsumer
from ingest.records import Batch
from ingest.spool import Spool, encode
from ingest.store import TelemetryStore, open_store
from ingest.validate import Reason, parse_message

log = logging.getLogger("ingest.worker")

MAX_BACKOFF_S = 30.0
REPLAY_BUDGET_S = 0.5  # longest the loop spends replaying the spool before receiving again


def limits_from(settings: Settings) -> Limits:
    s = settings.ingest
    return Limits(max_payload_bytes=s.max_payload_bytes, max_batch_readings=s.max_batch_readings,
                  max_future_skew_s=s.max_future_skew, max_age_s=s.max_age)


def worker_client_id(settings: Settings, index: int) -> str:
    """Worker ``index`` always has the same client id, so it resumes its broker session."""
    return f"{settings.mqtt.client_id}-{index}"


class IngestWorker:
    """Consumes the shared subscription as worker ``index``; ``start()`` / ``stop()``."""

    def __init__(self, settings: Settings, *, index: int = 0,
                 store: TelemetryStore | None = None,
                 metrics: IngestMetrics | None = None) -> None:
        self.settings = settings
        self.client_id = worker_client_id(settings, index)
        self.metrics = metrics or IngestMetrics()
        self.limits = limits_from(settings)
        self.prefix = settings.mqtt.topic_prefix
        ing = settings.ingest
        self.policy = FlushPolicy(batch_size=ing.batch_size, max_messages=ing.max_inflight,
                                  flush_interval=ing.flush_interval,
                                  linger=min(ing.flush_interval, 0.02))
        self.store = store if store is not None else open_store(settings)
        self.spool = Spool(Path(ing.spool_dir) / self.client_id)
        self.dead_letters = DeadLetterStore(ing.dead_letter_path)
        self._queue: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self.consumer = MQTTConsumer(
            settings.mqtt, self._queue.put, client_id=self.client_id,
            receive_maximum=ing.max_inflight, session_expiry_s=ing.session_expiry,
            on_connected=lambda up: self.metrics.connected.set(1 if up else 0))
        self._pending = Pending()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"ingest-{index}", daemon=True)
        # Up to write_concurrency batches are written at once while the next one is parsed.
        self._writers = ThreadPoolExecutor(ing.write_concurrency,
                                           thread_name_prefix=f"ingest-{index}-write")
        self._slots = threading.BoundedSemaphore(ing.write_concurrency)
        self._lock = threading.Lock()  # the spool, the store state and the counters below
        self._unacked = 0  # messages received and not yet acknowledged
        self._replay_at = 0.0
        self._backoff = 1.0
        self._store_down = False
        self._update_spool_gauges()

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        event(log, logging.INFO, "starting", client_id=self.client_id,
              broker=self.settings.mqtt.url, store=self.settings.telemetry.store,
              spooled_segments=len(self.spool))
        self._thread.start()
        self.consumer.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Write and acknowledge what is waiting, then disconnect."""
        self._stopping.set()
        self._thread.join(timeout)
        self._writers.shutdown(wait=True)
        self.consumer.stop()
        self.store.close()
        self.dead_letters.close()
        event(log, logging.INFO, "stopped", client_id=self.client_id)

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT, then stop cleanly."""
        done = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            done.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.start()
        while not done.wait(0.5):
            pass
        self.stop()

    # -- the loop (one thread) ----------------------------------------------------------

    def _run(self) -> None:
        while True:
            stopping = self._stopping.is_set()
            try:
                self._step(block=not stopping)
                if stopping:
                    if self._pending.messages:
                        self._flush()
                    return
            except Exception:  # never let one bad batch kill the worker
                log.exception("worker_step_failed", extra={"fields": {"client_id":
                                                                      self.client_id}})
                if stopping:
                    return
                time.sleep(1.0)

    def _step(self, block: bool) -> None:
        now = time.monotonic()
        timeout = self.policy.wait(self._pending, now)
        if len(self.spool):
            timeout = min(timeout, max(0.0, self._replay_at - now))
        self._receive(timeout if block else 0.0)
        now = time.monotonic()
        if self.policy.due(self._pending, now):
            self._flush()
        if len(self.spool) and now >= self._replay_at:
            # Several segments per step, so the spool drains even under full load.
            deadline = now + REPLAY_BUDGET_S
            while self._replay_one() and time.monotonic() < deadline:
                pass

    def _receive(self, timeout: float) -> None:
        try:
            first = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return
        self._accept(first)
        budget = self.policy.batch_size
        while len(self._pending.batch.readings) < budget:
            try:
                self._accept(self._queue.get_nowait())
            except queue.Empty:
                break

    def _accept(self, message: Message) -> None:
        parsed = parse_message(message.topic, message.payload, message.received_ms,
                               limits=self.limits, prefix=self.prefix)
        m = self.metrics
        m.message_counter(parsed.channel.value if parsed.channel else "unknown").inc()
        m.received.inc(len(parsed.batch.readings))
        for rejection in parsed.rejections:
            m.rejected.labels(rejection.reason.value).inc()
        self._pending.add(message, parsed, time.monotonic())
        with self._lock:
            self._unacked += 1
            m.pending.set(self._unacked)

    def _flush(self) -> None:
        """Hand what is waiting to a writer; block while all writers are busy."""
        taken = self._pending.take()
        self._slots.acquire()
        try:
            self._writers.submit(self._commit, taken)
        except RuntimeError:  # shutting down: the broker redelivers what is not acknowledged
            self._slots.release()

    # -- writing (writer threads) -------------------------------------------------------

    def _commit(self, taken: Pending) -> None:
        """Make ``taken`` durable (store or spool, dead letters), then acknowledge it."""
        backoff = 1.0
        try:
            while True:
                try:
                    self.dead_letters.put(taken.letters)
                    taken.letters = []
                    self._store_or_spool(taken.batch)
                    break
                except (DeadLetterError, SpoolError) as exc:
                    # Nothing of this batch is acknowledged until it is durable somewhere.
                    event(log, logging.ERROR, "commit_failed", error=str(exc),
                          messages=len(taken.messages), retry_in_s=backoff)
                    if self._stopping.is_set():
                        return  # not acknowledged: the broker redelivers after a restart
                    time.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
            self.consumer.ack(taken.messages)
        except Exception:
            log.exception("commit_crashed", extra={"fields": {"messages": len(taken.messages)}})
        finally:
            with self._lock:
                self._unacked -= len(taken.messages)
                self.metrics.pending.set(self._unacked)
            self._slots.release()

    def _store_or_spool(self, batch: Batch) -> None:
        if not len(batch):
            return
        if not len(self.spool):
            try:
                self._write(batch)
                return
            except StoreUnavailable as exc:
                with self._lock:
                    if not self._store_down:
                        event(log, logging.WARNING, "store_unavailable", error=str(exc),
                              action="spooling")
                    self._store_down = True
                    self._replay_at = time.monotonic() + self._backoff
        with self._lock:
            self.spool.append(batch)
            self._update_spool_gauges()
        self.metrics.spooled.inc(len(batch.readings))

    def _replay_one(self) -> bool:
        """Write the oldest spooled batch to the store (on the loop thread); True if done."""
        with self._lock:
            oldest = self.spool.oldest()
        if oldest is None:
            return False
        path, batch = oldest
        try:
            self._write(batch)
        except StoreUnavailable:
            with self._lock:
                self._replay_at = time.monotonic() + self._backoff
                self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)
            return False
        with self._lock:
            self.spool.remove(path)
            self._update_spool_gauges()
            if self._store_down and not len(self.spool):
                event(log, logging.INFO, "store_recovered", action="spool replayed")
                self._store_down = False
            self._backoff = 1.0
        return True

    def _write(self, batch: Batch) -> None:
        """Write ``batch``; records the store refuses are dead-lettered one by one."""
        started = time.perf_counter()
        refused = self._write_isolating(batch)
        self.metrics.write_seconds.observe(time.perf_counter() - started)
        self.metrics.batch_readings.observe(len(batch.readings))
        if refused:
            self.dead_letters.put(refused)
            self.metrics.rejected.labels(Reason.STORE_REJECTED.value).inc(len(refused))
        self.metrics.stored.inc(len(batch.readings) - sum(d.topic.endswith("/telemetry")
                                                          for d in refused))
        if batch.readings:
            newest = max(r.ts_ms for r in batch.readings)
            self.metrics.lag.set(max(0.0, time.time() - newest / 1000))

    def _write_isolating(self, batch: Batch) -> list[DeadLetter]:
        try:
            self.store.write(batch)
            return []
        except StoreRejected as exc:
            if len(batch) == 1:
                return [_refused_letter(batch, str(exc))]
            first, second = _halves(batch)
            return self._write_isolating(first) + self._write_isolating(second)

    def _update_spool_gauges(self) -> None:
        self.metrics.spool_segments.set(len(self.spool))
        self.metrics.spool_records.set(self.spool.records)


#: A batch's record lists in order, each with the channel its records arrive on.
_PARTS: Final = (("readings", "telemetry"), ("statuses", "status"), ("events", "event"),
                 ("metas", "meta"))


def _halves(batch: Batch) -> tuple[Batch, Batch]:
    records = [(attr, record) for attr, _ in _PARTS for record in getattr(batch, attr)]
    middle = len(records) // 2
    parts = (Batch(), Batch())
    for i, (attr, record) in enumerate(records):
        getattr(parts[i >= middle], attr).append(record)
    return parts


def _refused_letter(batch: Batch, detail: str) -> DeadLetter:
    (attr, channel), = [(a, c) for a, c in _PARTS if getattr(batch, a)]
    record = getattr(batch, attr)[0]
    topic = f"(store)/{record.site}/{record.device_id}/{channel}"
    return DeadLetter(time.time_ns() // 1_000_000, topic, Reason.STORE_REJECTED.value, detail,
                      encode(batch))
