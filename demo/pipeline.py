"""The demo's pipeline: every stage a separate component, talking over MQTT as in production.

::

    simulated fleet ──MQTT──▶ broker ──MQTT──▶ ingest worker ──▶ telemetry store
        (FleetPublisher,                         (IngestWorker)          │
         one connection per device)                                     ▼
    planner web app + API ◀── ticket DB ◀── dispatch ◀── detectors (DetectRunner)
         (uvicorn thread)                  (DispatchSink)  on simulated time

The first, healthy part of the history (:data:`HISTORY_SHARE` of the run, the three
weeks the detectors need to learn each heat pump's normal) is sent fast as batches
over the same MQTT path; the rest runs live at ``speed`` times real time, each heat
pump uploading its readings hourly through its gateway. The detectors run at their
cadences of *simulated* time (:mod:`demo.schedule`) as soon as ingest has stored the
telemetry up to that moment.

Embedded defaults (amqtt broker, SQLite telemetry store, SQLite tickets, all in
``workdir``) unless the settings point at real services (:func:`demo_settings`).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config import Settings
from demo.errors import DemoError
from demo.schedule import SimSchedule
from detect.evaluation.simulate import DEFAULT_START_S
from detect.findings import Finding
from detect.frame import DAY_MS, HOUR_MS
from detect.sink import JsonLinesSink, MemorySink, TeeSink

if TYPE_CHECKING:
    from demo.loop import DemoResult

log = logging.getLogger(__name__)

INTERVAL_S = 600.0  # one reading per heat pump every 10 simulated minutes
HISTORY_SHARE = 0.36  # of the run sent as history first (faults start after it)
UPLOAD_EVERY = 6  # readings per gateway upload: hourly
HISTORY_BATCH = 144  # readings per message while sending the history: a day
MAX_LEAD_MS = DAY_MS  # the fleet may run this far ahead of the detectors
STALL_S = 20.0  # ingest stored nothing new for this long after the fleet finished: go on
TOPIC_PREFIX = "forewarn-demo/v1"  # never mixed with a production fleet on a shared broker
#: The demo's detector cadences: those of ``forewarn evaluate`` (quick checks over each
#: hour, model scoring every 6 h, weekly retraining), so a month fits in minutes.
DEMO_DETECT: dict[str, float] = {"quick_interval": 3600.0, "quick_lookback": 3600.0,
                                 "score_interval": 6 * 3600.0,
                                 "retrain_interval": 7 * 86_400.0}
SWEEP_MS = DAY_MS
DISPATCH_DELAY_MS = 300_000


@dataclass(frozen=True)
class DemoOptions:
    devices: int = 50
    days: float = 60.0
    speed: float = 21_600.0  # simulated seconds per real second: a month in two minutes
    seed: int = 1
    workdir: Path = Path(".forewarn/demo")
    port: int = 8000  # of the web app; 0: any free port


@dataclass
class Status:
    """What the terminal shows as the demo goes (written by the pipeline's threads)."""

    phase: str = "starting"
    start_ms: int = 0
    end_ms: int = 0
    sim_ms: int = 0  # how far the fleet has got
    detect_ms: int = 0  # how far the detectors have got
    readings_sent: int = 0
    readings_stored: int = 0
    messages: int = 0
    findings: int = 0
    tickets: int = 0
    booked: int = 0
    failed_runs: int = 0  # detector or dispatch runs that failed (logged, skipped)


@dataclass(frozen=True)
class Components:
    """Which implementation each part runs on, for the report."""

    broker: str
    telemetry: str
    tickets: str
    embedded_broker: bool = False  # the demo runs its own (amqtt) broker


@dataclass(frozen=True)
class WebLogin:
    url: str
    user: str
    password: str
    api_key: str = field(repr=False)


def demo_settings(settings: Settings, workdir: Path) -> tuple[Settings, Components]:
    """``settings`` for the demo: real services where they are configured (a broker, InfluxDB,
    a ticket database named in a config file, the environment or ``forewarn services up``),
    embedded ones in ``workdir`` otherwise. Everything else the demo writes goes to
    ``workdir`` too. The broker's URL is filled in once the embedded broker runs."""
    given = settings.model_fields_set
    real_broker = "mqtt" in given
    real_store = settings.telemetry.store == "influxdb" and bool({"influx", "telemetry"} & given)
    real_tickets = "tickets" in given
    tag = secrets.token_hex(3)
    mqtt = settings.mqtt.model_copy(update={
        "topic_prefix": TOPIC_PREFIX, "client_id": f"forewarn-demo-{tag}",
        "shared_group": f"forewarn-demo-{tag}", "qos": 1,
        **({} if real_broker else {"protocol": "3.1.1", "username": None, "password": None})})
    influx = settings.influx.model_copy(update={"timeout": max(settings.influx.timeout, 60.0)})
    telemetry = settings.telemetry if real_store else settings.telemetry.model_copy(
        update={"store": "embedded", "embedded_path": workdir / "telemetry.sqlite"})
    tickets = settings.tickets if real_tickets else settings.tickets.model_copy(
        update={"url": f"sqlite:///{workdir / 'tickets.sqlite'}"})
    ingest = settings.ingest.model_copy(update={
        "spool_dir": workdir / "spool", "dead_letter_path": workdir / "dead-letters.sqlite",
        "metrics_port": 0, "workers": 1, "flush_interval": 0.2, "session_expiry": 600.0,
        "max_age": 3650 * 86_400.0})  # the simulated season lies in the past
    # On InfluxDB every quick check costs a few queries per device: every 6 h, as evaluate.
    quick = {"quick_interval": 6 * 3600.0, "quick_lookback": 6 * 3600.0} if real_store else {}
    detect = settings.detect.model_copy(update={
        **DEMO_DETECT, **quick, "models_dir": workdir / "models",
        "findings_path": workdir / "findings.jsonl"})
    dispatch = settings.dispatch.model_copy(update={"labels_path": workdir / "labels.jsonl"})
    out = settings.model_copy(update={"mqtt": mqtt, "influx": influx, "telemetry": telemetry,
                                      "tickets": tickets,
                                      "ingest": ingest, "detect": detect, "dispatch": dispatch})
    return out, Components(
        broker=f"MQTT broker at {settings.mqtt.url}" if real_broker
        else "embedded MQTT broker (amqtt, MQTT 3.1.1)",
        telemetry=f"InfluxDB at {settings.influx.url}" if real_store
        else f"embedded telemetry store {telemetry.embedded_path}",
        tickets=f"ticket database {settings.tickets.url}" if real_tickets
        else f"SQLite tickets {workdir / 'tickets.sqlite'}",
        embedded_broker=not real_broker)


class SimClock:
    """The simulated time the detectors, dispatch and the web app live in (ms)."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms

    def seconds(self) -> float:
        return self.ms / 1000.0

    def millis(self) -> int:
        return self.ms


class WebServer:
    """The API and planner web app (uvicorn) on a thread."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port,
                                                    log_level="warning", lifespan="on"))
        self.host = host
        self._thread = threading.Thread(target=self.server.run, name="demo-web", daemon=True)

    def start(self, timeout: float = 20.0) -> int:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise DemoError("the web app did not start (is the port taken? try --port 0)")
            time.sleep(0.02)
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    def close(self) -> None:
        self.server.should_exit = True
        self._thread.join(15.0)


class Detectors:
    """The detect and dispatch side on simulated time: a thread that runs each job of the
    schedule once ingest has stored the telemetry up to its moment."""

    def __init__(self, demo: Demo, start_ms: int) -> None:
        s = demo.settings.detect
        self.demo = demo
        self.schedule = SimSchedule({
            "retrain": int(s.retrain_interval * 1000), "quick": int(s.quick_interval * 1000),
            "score": int(s.score_interval * 1000), "sweep": SWEEP_MS}, start_ms)
        self.failure: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-detect", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60.0)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # reported by the main thread
            log.exception("the detectors stopped")
            self.failure = exc

    def _run_job(self, job: str, at: int) -> None:
        runner = self.demo.runner
        if job == "retrain":
            runner.retrain_cycle(at)
        elif job == "quick":
            runner.quick_cycle(at)
        elif job == "score":
            runner.score_cycle(at)
        else:
            self.demo.service.dispatcher.sweep(at)

    def _loop(self) -> None:
        from dispatch.errors import DispatchError
        from ingest.errors import StoreError

        d = self.demo
        status = d.status
        stalled_since: float | None = None
        last_count = -1
        while not self._stop.is_set():
            at, job = self.schedule.peek()
            if at > status.end_ms:
                return
            stored = d.readings_stored()
            if stored < d.expected_readings(at):
                # not stored yet: wait, unless the fleet has finished and ingest stalled
                if stored != last_count:
                    last_count, stalled_since = stored, time.monotonic()
                stuck = d.fleet_done.is_set() and stalled_since is not None and \
                    time.monotonic() - stalled_since > STALL_S
                if not stuck:
                    self._stop.wait(0.05)
                    continue
                log.warning("ingest stored %d of %d readings due by %d; going on", stored,
                            d.expected_readings(at), at)
            self.schedule.take()
            d.clock.ms = at
            try:
                self._run_job(job, at)
            except (StoreError, DispatchError) as exc:  # as the live scheduler: skip the run
                log.warning("%s run at %d failed and is skipped: %s", job, at, exc)
                status.failed_runs += 1
            status.detect_ms = at
            status.findings = len(d.memory.findings)
            status.tickets, status.booked = d.ticket_counts()


class Demo:
    """``start()`` the services, ``run()`` the fleet through them, ``close()`` everything.

    ``close()`` stops every thread it started and closes every connection and port, also
    after Ctrl-C or a failure halfway."""

    def __init__(self, settings: Settings, options: DemoOptions,
                 status: Status | None = None) -> None:
        from demo.loop import demo_plan
        from simulators.devices import device_ids
        from simulators.fleet import Fleet
        from simulators.plan import parse_plan

        self.options = options
        self.workdir = options.workdir.resolve()
        self.settings, self.components = demo_settings(settings, self.workdir)
        self.status = status or Status()
        self.plan = demo_plan(options.devices, options.days, options.seed)
        faults = parse_plan(self.plan, device_ids(options.devices), DEFAULT_START_S,
                            options.seed)
        self.fleet = Fleet(options.devices, seed=options.seed, start_s=DEFAULT_START_S,
                           interval_s=INTERVAL_S, plan=faults)
        self.steps = int(options.days * 86_400 / INTERVAL_S)
        self.history_steps = int(self.steps * HISTORY_SHARE)
        self.start_ms = round(DEFAULT_START_S * 1000)
        self.interval_ms = round(INTERVAL_S * 1000)
        self.status.start_ms = self.start_ms
        self.status.sim_ms = self.start_ms
        self.status.end_ms = self.start_ms + self.steps * self.interval_ms
        self.live_start_ms = self.start_ms + self.history_steps * self.interval_ms
        self.detect_from_ms = -(-self.live_start_ms // HOUR_MS) * HOUR_MS  # a whole hour
        self.clock = SimClock(self.live_start_ms)
        self.memory = MemorySink()
        self.fleet_done = threading.Event()
        self.login: WebLogin | None = None
        self._closers: list[tuple[str, Callable[[], None]]] = []
        self.store: Any = None
        self.runner: Any = None
        self.service: Any = None
        self.ingest: Any = None
        self.detectors: Detectors | None = None

    # -- start ----------------------------------------------------------------------------

    def _on_close(self, name: str, closer: Callable[[], None]) -> None:
        self._closers.append((name, closer))

    def start(self) -> WebLogin:
        """Broker, ingest, dispatch, detectors and the web app, ready for the fleet."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        # a previous run's files (demo_settings put them in workdir): never mixed into this one
        s = self.settings
        for stale in (s.detect.models_dir, s.ingest.spool_dir):
            shutil.rmtree(stale, ignore_errors=True)
        for stale_file in (s.ingest.dead_letter_path, s.detect.findings_path):
            stale_file.unlink(missing_ok=True)
        if self.settings.telemetry.store == "embedded":
            self.settings.telemetry.embedded_path.unlink(missing_ok=True)
        if self.settings.tickets.url == f"sqlite:///{self.workdir / 'tickets.sqlite'}":
            (self.workdir / "tickets.sqlite").unlink(missing_ok=True)
        self._start_broker()
        self._start_dispatch()
        login = self._start_web()
        self._start_ingest()
        self._start_detect()
        self.login = login
        return login

    def _start_broker(self) -> None:
        if not self.components.embedded_broker:
            return
        from demo.broker import EmbeddedBroker

        broker = EmbeddedBroker().start()
        self._on_close("broker", broker.close)
        self.settings = self.settings.model_copy(update={"mqtt": self.settings.mqtt.model_copy(
            update={"url": broker.url})})
        self.components = replace(self.components,
                                  broker=f"{self.components.broker} at {broker.url}")

    def _start_dispatch(self) -> None:
        from dispatch.directory import directory_from_fleet
        from dispatch.directory import seed as seed_directory
        from dispatch.forecast import SimulatedForecast
        from dispatch.service import open_service

        o = self.options
        self.service = open_service(self.settings,
                                    forecast=SimulatedForecast(self.fleet.new_weather()))
        self._on_close("dispatch", self.service.close)
        seed_directory(self.service.sessions, directory_from_fleet(o.devices, o.seed))

    def _start_web(self) -> WebLogin:
        from api import create_app
        from api.accounts import create_key, create_user

        web = create_app(self.settings, clock=self.clock.millis)
        sessions = web.state.forewarn.sessions
        now = int(time.time() * 1000)
        user, password = f"planner-{secrets.token_hex(2)}", secrets.token_urlsafe(9)
        create_user(sessions, user, "planner", password, now)
        key = create_key(sessions, f"demo-{secrets.token_hex(3)}", "planner", now)
        host = self.settings.api.host
        server = WebServer(web, host, self.options.port)
        self._on_close("web app", server.close)
        port = server.start()
        return WebLogin(f"http://{host}:{port}", user, password, key)

    def _start_ingest(self) -> None:
        from ingest.worker import IngestWorker

        worker = IngestWorker(self.settings)
        self.ingest = worker
        worker.start()
        self._on_close("ingest", worker.stop)
        if not worker.consumer.subscribed.wait(20.0):
            raise DemoError(
                f"ingest could not subscribe at the MQTT broker {self.settings.mqtt.url} within "
                "20 s: is it running, are [mqtt] url and credentials right? The settings name "
                "it (a config file, FOREWARN_MQTT__ variables or the connection.toml of "
                "'forewarn services up'); without them the demo runs its own broker")

    def _start_detect(self) -> None:
        from detect.runner import DetectRunner
        from dispatch.intake import DispatchSink
        from ingest.store import open_store

        self.store = open_store(self.settings)
        self._on_close("telemetry store", self.store.close)
        # Dispatch a few minutes after the run, as ``forewarn detect`` does in-process; customer
        # messages stay queued in the ticket database (the demo sends none).
        dispatch = DispatchSink(self.service.dispatcher, lambda: self.clock.ms + DISPATCH_DELAY_MS)
        sink = TeeSink(self.memory, JsonLinesSink(self.settings.detect.findings_path), dispatch)
        self.runner = DetectRunner(self.store, sink, self.settings.detect,
                                   clock=self.clock.seconds,
                                   labels_path=self.settings.dispatch.labels_path)
        self.detectors = Detectors(self, self.detect_from_ms)
        self.detectors.start()
        self._on_close("detectors", self.detectors.stop)

    # -- run ------------------------------------------------------------------------------

    def expected_readings(self, until_ms: int) -> int:
        """Readings the fleet has made before ``until_ms`` (one per heat pump per step)."""
        steps = -(-(until_ms - self.start_ms) // self.interval_ms)
        return self.options.devices * max(0, min(steps, self.steps))

    def ticket_counts(self) -> tuple[int, int]:
        """(tickets opened, visits booked) in the ticket database."""
        from sqlalchemy import func, select

        from dispatch.store import tables as t

        with self.service.sessions() as s:
            opened = s.scalar(select(func.count()).select_from(t.Ticket)) or 0
            booked = s.scalar(select(func.count(func.distinct(t.Booking.ticket_id))).where(
                t.Booking.status != "cancelled")) or 0
        return int(opened), int(booked)

    def run(self) -> None:
        """Send the history, then run the fleet live; return once the detectors are done.

        Raises :class:`KeyboardInterrupt` if interrupted (after which ``close()``)."""
        from simulators.backfill import backfill_mqtt
        from simulators.live import run_live
        from simulators.mqtt_publisher import FleetPublisher
        from simulators.wire import Wire

        fleet, st, mqtt = self.fleet, self.status, self.settings.mqtt
        devices = fleet.devices
        st.phase = "history"
        history = FleetPublisher(mqtt, Wire(devices, prefix=TOPIC_PREFIX),
                                 client_id_prefix=f"{mqtt.client_id}-hist")
        try:
            history.connect(self.start_ms)

            def sent(done: int) -> None:
                st.sim_ms = self.start_ms + done * self.interval_ms
                st.readings_sent = done * len(devices)
                self._keep_pace(history, HISTORY_BATCH * 4 * len(devices), detect=False)

            result = backfill_mqtt(fleet, history, history.wire, self.history_steps,
                                   batch_readings=HISTORY_BATCH, progress=sent)
            st.messages += result.messages
        finally:
            history.close()
        st.phase = "live"
        from demo.gateway import GatewayWire

        wire = GatewayWire(devices, UPLOAD_EVERY, prefix=TOPIC_PREFIX)
        publisher = FleetPublisher(mqtt, wire, client_id_prefix=f"{mqtt.client_id}-dev")
        base = st.readings_sent

        def stepped(done: int, t_s: float) -> None:
            st.sim_ms = round(t_s * 1000) + self.interval_ms
            st.readings_sent = base + done * len(devices)
            self._keep_pace(publisher, UPLOAD_EVERY * 12 * len(devices), detect=True)

        live = run_live(fleet, wire, publisher, self.steps - self.history_steps,
                        self.options.speed, progress=stepped)
        st.messages += live.messages
        if live.interrupted:
            raise KeyboardInterrupt
        self.fleet_done.set()
        st.phase = "detecting"
        assert self.detectors is not None
        while self.detectors.alive():
            self._check()
            time.sleep(0.1)
        self._check()
        st.phase = "done"

    def _keep_pace(self, publisher: Any, max_unstored: int, detect: bool) -> None:
        """Hold the fleet back while ingest has more than ``max_unstored`` readings to store
        or the detectors are more than :data:`MAX_LEAD_MS` behind, so no queue grows without
        bound; the connections stay alive meanwhile."""
        st = self.status
        while True:
            self._check()
            behind = max(st.detect_ms, self.live_start_ms)
            if st.readings_sent - st.readings_stored <= max_unstored and not (
                    detect and st.sim_ms - behind > MAX_LEAD_MS):
                return
            publisher.pump(0.05)

    def _check(self) -> None:
        """Fail fast if a component died; refresh the stored-readings count."""
        if self.detectors is not None and self.detectors.failure is not None:
            raise DemoError(f"the detectors failed: {self.detectors.failure}")
        self.status.readings_stored = self.readings_stored()

    def readings_stored(self) -> int:
        """Readings ingest has written to the telemetry store so far (its own metric: free to
        ask, unlike a count in the store)."""
        if self.ingest is None:
            return 0
        stored = self.ingest.metrics.registry.get_sample_value(
            "forewarn_ingest_readings_stored_total")
        return int(stored or 0)

    # -- results --------------------------------------------------------------------------

    @property
    def findings(self) -> list[Finding]:
        return self.memory.findings

    def truth(self) -> Any:
        return self.fleet.ground_truth(self.status.end_ms / 1000 - INTERVAL_S)

    def result(self, seconds: float) -> DemoResult:
        """What the run did: the detectors scored against the injected faults, what dispatch
        made of their findings, and the pipeline's figures (``seconds``: how long it took)."""
        from demo.loop import DemoResult, summarise
        from detect.evaluation.metrics import score

        assert self.login is not None
        truth, findings = self.truth(), self.findings
        faulty = {r.device_id for r in truth.faults if r.fault != "none"}
        o, st, c, login = self.options, self.status, self.components, self.login
        return DemoResult(
            devices=o.devices, days=o.days, seed=o.seed, speed=o.speed,
            findings=len(findings), report=score(findings, truth),
            tickets=summarise(self.service.sessions, faulty),
            readings=st.readings_stored, messages=st.messages,
            components={"broker": c.broker, "telemetry": c.telemetry, "tickets": c.tickets},
            web={"url": login.url, "user": login.user, "password": login.password},
            api=self.api_tickets(), seconds=seconds, plan=self.plan,
            failed_runs=st.failed_runs)

    def api_tickets(self) -> dict[str, Any]:
        """What the running API lists as tickets, fetched over HTTP like any client would."""
        import httpx

        assert self.login is not None
        url = f"{self.login.url}/api/v1/tickets"
        try:
            response = httpx.get(url, params={"status": "any", "limit": 500}, timeout=10.0,
                                 headers={"Authorization": f"Bearer {self.login.api_key}"})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise DemoError(f"the API at {url} did not answer: {exc}") from exc
        items = response.json()["items"]
        return {"url": url, "status": response.status_code, "tickets": len(items),
                "first": items[0] if items else None}

    # -- stop -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop everything started, newest first (idempotent)."""
        while self._closers:
            name, closer = self._closers.pop()
            try:
                closer()
            except Exception:
                log.warning("stopping the %s failed", name, exc_info=True)

    @staticmethod
    def leftover_threads() -> list[str]:
        """Threads still running besides the caller's (none once ``close()`` is done)."""
        me = threading.current_thread()
        return sorted(t.name for t in threading.enumerate() if t is not me and t.is_alive())

    def __enter__(self) -> Demo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
