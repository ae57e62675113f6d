"""Readiness: can we reach the broker, InfluxDB and the ticket store right now?

Each check is real: an MQTT CONNECT answered by a CONNACK (with the configured
credentials, over TLS for ``mqtts://``), InfluxDB's ``/health`` answering ``pass``
(or the embedded store answering a query), and ``SELECT 1`` on the ticket database.
They run in parallel, each bounded by ``api.ready_timeout``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import text

from api.schemas import CheckPublic
from api.state import AppState
from config import MQTTSettings
from ingest.mqtt import apply_auth


def check_broker(cfg: MQTTSettings, timeout: float) -> CheckPublic:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"{cfg.client_id}-readyz",
                         protocol=MQTTProtocolVersion.MQTTv311)
    client.connect_timeout = timeout
    apply_auth(client, cfg)
    answers: list[ReasonCode] = []
    client.on_connect = lambda _c, _u, _flags, reason, _props: answers.append(reason)
    try:
        client.connect(cfg.host, cfg.port, keepalive=10)
        deadline = time.monotonic() + timeout
        while not answers and time.monotonic() < deadline:
            if client.loop(timeout=min(0.1, timeout)) != paho.MQTT_ERR_SUCCESS:
                break
    except OSError as exc:
        return CheckPublic(ok=False, detail=f"cannot reach the broker at {cfg.url}: {exc}")
    finally:
        client.disconnect()  # sends DISCONNECT and closes the socket, if still open
    if not answers:
        return CheckPublic(ok=False, detail=f"{cfg.url} did not answer like an MQTT broker")
    if answers[0].is_failure:
        return CheckPublic(ok=False, detail=f"the broker at {cfg.url} refused us: "
                           f"{str(answers[0]).lower()}")
    return CheckPublic(ok=True, detail=f"{cfg.url} accepted an MQTT connection")


def check_telemetry(state: AppState, timeout: float) -> CheckPublic:
    settings = state.settings
    if settings.telemetry.store == "embedded":
        try:
            state.telemetry.count_readings(0, 1)
        except Exception as exc:
            return CheckPublic(ok=False, detail=f"embedded telemetry store: {exc}")
        return CheckPublic(ok=True, detail=f"embedded store {settings.telemetry.embedded_path}")
    url = f"{settings.influx.url}/health"
    try:
        r = httpx.get(url, timeout=timeout)
        status = r.json().get("status") if r.headers.get("content-type", "").startswith(
            "application/json") else None
    except (httpx.HTTPError, ValueError) as exc:
        return CheckPublic(ok=False, detail=f"cannot reach InfluxDB at {url}: {exc}")
    if r.status_code != 200 or status != "pass":
        return CheckPublic(ok=False, detail=f"InfluxDB at {url} answered {r.status_code} "
                           f"({status or 'no status'})")
    return CheckPublic(ok=True, detail=f"InfluxDB at {settings.influx.url} passes")


def check_tickets(state: AppState) -> CheckPublic:
    try:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return CheckPublic(ok=False, detail=f"ticket store: {type(exc).__name__}: "
                           f"{str(exc).splitlines()[0][:200]}")
    return CheckPublic(ok=True, detail=f"{state.engine.url.render_as_string()} answers")


def readiness(state: AppState) -> dict[str, CheckPublic]:
    timeout = state.settings.api.ready_timeout
    checks: dict[str, Callable[[], CheckPublic]] = {
        "broker": lambda: check_broker(state.settings.mqtt, timeout),
        "telemetry": lambda: check_telemetry(state, timeout),
        "tickets": lambda: check_tickets(state),
    }
    with ThreadPoolExecutor(len(checks)) as pool:
        futures = {name: pool.submit(fn) for name, fn in checks.items()}
        out = {}
        for name, fut in futures.items():
            try:
                out[name] = fut.result(timeout=timeout + 1)
            except TimeoutError:
                out[name] = CheckPublic(ok=False, detail=f"no answer within {timeout:g} s")
        return out
