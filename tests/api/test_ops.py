"""Health, readiness against the real broker, InfluxDB and PostgreSQL, and metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api import create_app
from api.testing import NOW_MS, backfill
from config import Settings
from ingest.store import open_store
from services.process import free_port


def test_healthz_answers_without_credentials(client: Callable[..., TestClient]) -> None:
    assert client().get("/healthz").json() == {"status": "ok"}


@pytest.mark.services
def test_readyz_checks_the_real_broker_influxdb_and_ticket_store(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as c:
        r = c.get("/readyz")
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert set(checks) == {"broker", "telemetry", "tickets"}
    assert all(c["ok"] for c in checks.values())
    assert "MQTT" in checks["broker"]["detail"] and "passes" in checks["telemetry"]["detail"]


@pytest.mark.services
def test_readyz_reports_a_dead_broker_and_database(settings: Settings) -> None:
    dead = settings.model_copy(update={
        "mqtt": settings.mqtt.model_copy(update={"url": f"mqtt://127.0.0.1:{free_port()}"})})
    app = create_app(dead)
    with TestClient(app) as c:
        app.state.forewarn.engine.dispose()
        r = c.get("/readyz")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "not ready"
        assert not body["checks"]["broker"]["ok"] and body["checks"]["tickets"]["ok"]
        assert "cannot reach the broker" in body["checks"]["broker"]["detail"]


def test_readyz_reports_a_store_that_is_not_influxdb(
        make_settings: Callable[..., Settings], folder: Path) -> None:
    settings = make_settings(folder, mqtt={"url": f"mqtt://127.0.0.1:{free_port()}"},
                             telemetry={"store": "influxdb"},
                             influx={"url": f"http://127.0.0.1:{free_port()}"})
    app = create_app(settings)
    with TestClient(app) as c:
        body = c.get("/readyz").json()
    assert not body["checks"]["telemetry"]["ok"]
    assert "cannot reach InfluxDB" in body["checks"]["telemetry"]["detail"]


@pytest.mark.services
def test_telemetry_is_downsampled_inside_influxdb(settings: Settings, tmp_path: Path) -> None:
    """The API's telemetry endpoint over the real InfluxDB: Flux averages the windows."""
    store = open_store(settings)
    backfill(store, 2, NOW_MS, days=1.0, interval_s=300.0, id_prefix="apiflux")
    store.close()
    local = settings.model_copy(update={"tickets": settings.tickets.model_copy(
        update={"url": f"sqlite:///{tmp_path / 't.sqlite'}"})})
    from api.accounts import create_key
    from api.testing import seed_fleet

    app = create_app(local, clock=lambda: NOW_MS)
    state = app.state.forewarn
    seed_fleet(state.sessions, local.dispatch, 2, NOW_MS, n_tickets=0, id_prefix="apiflux")
    key = create_key(state.sessions, "reader", "integration", NOW_MS)
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as c:
        r = c.get("/api/v1/devices/apiflux-00000/telemetry",
                  params={"points": 12, "signals": ["supply_temp"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["every_ms"] == 2 * 3_600_000
    assert 11 <= len(body["times_ms"]) <= 13
    assert all(v is not None for v in body["signals"]["supply_temp"])


def test_metrics_count_requests_by_route_template(client: Callable[..., TestClient]) -> None:
    planner = client("planner")
    planner.get("/api/v1/tickets/1")
    planner.get("/api/v1/tickets/2")
    text = client("integration").get("/metrics").text
    assert ('forewarn_api_requests_total{method="GET",route="/api/v1/tickets/{ticket_id}",'
            'status="200"} 2.0') in text
    assert 'forewarn_open_tickets{priority="P2"}' in text
    assert "forewarn_api_request_seconds_bucket" in text


def test_the_api_documentation_is_served_without_a_cdn(
        client: Callable[..., TestClient]) -> None:
    c = client()
    page = c.get("/docs")
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert c.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert c.get("/openapi.json").json()["info"]["title"] == "Forewarn"
