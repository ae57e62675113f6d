"""Readiness: can we reach the broker, InfluxDB and the ticket store right now?

Each check is real: an MQTT CONNECT answered by a CONNACK (with the configured
credentials, over TLS for ``mqtts://``), InfluxDB's ``/health`` answering ``pass``
(or the embedded store answering a query), and ``SELECT 1`` on the ticket database.
They run in parallel, each bounded by ``api.ready_timeout``.
"""

from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import text

from api.schemas import CheckPublic
from api.state import AppState
from config import MQTTSettings

_CONNACK_CODES = {1: "unacceptable protocol version", 2: "client id rejected",
                  3: "server unavailable", 4: "bad user name or password", 5: "not authorised"}


def _utf8(s: str) -> bytes:
    raw = s.encode()
    return struct.pack("!H", len(raw)) + raw


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connect_packet(client_id: str, username: str | None, password: str | None,
                   keepalive: int = 10) -> bytes:
    """An MQTT 3.1.1 CONNECT packet (clean session)."""
    flags = 0x02 | (0x80 if username else 0) | (0x40 if username and password else 0)
    payload = _utf8(client_id)
    if username:
        payload += _utf8(username)
        if password:
            payload += _utf8(password)
    var = _utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive)
    body = var + payload
    return bytes([0x10]) + _remaining_length(len(body)) + body


def check_broker(cfg: MQTTSettings, timeout: float) -> CheckPublic:
    password = cfg.password.get_secret_value() if cfg.password else None
    try:
        with socket.create_connection((cfg.host, cfg.port), timeout=timeout) as raw:
            sock: socket.socket = raw
            if cfg.uses_tls:
                ctx = ssl.create_default_context(cafile=str(cfg.tls.ca_file)
                                                 if cfg.tls.ca_file else None)
                if cfg.tls.cert_file and cfg.tls.key_file:
                    ctx.load_cert_chain(cfg.tls.cert_file, cfg.tls.key_file)
                if cfg.tls.insecure:
                    ctx.check_hostname = False
                sock = ctx.wrap_socket(raw, server_hostname=cfg.host)
            sock.sendall(connect_packet(f"{cfg.client_id}-readyz", cfg.username, password))
            answer = b""
            while len(answer) < 4:
                chunk = sock.recv(4 - len(answer))
                if not chunk:
                    break
                answer += chunk
            if len(answer) == 4:
                sock.sendall(b"\xe0\x00")  # DISCONNECT
    except OSError as exc:
        return CheckPublic(ok=False, detail=f"cannot reach the broker at {cfg.url}: {exc}")
    if len(answer) < 4 or answer[0] != 0x20:
        return CheckPublic(ok=False, detail=f"{cfg.url} did not answer like an MQTT broker")
    if answer[3] != 0:
        why = _CONNACK_CODES.get(answer[3], f"code {answer[3]}")
        return CheckPublic(ok=False, detail=f"the broker at {cfg.url} refused us: {why}")
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
