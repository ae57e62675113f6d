"""Devices over the API: search, health, one device, its telemetry and findings."""

from __future__ import annotations

from starlette.testclient import TestClient

from api.testing import NOW_MS

DAY_MS = 86_400_000


def test_devices_are_listed_by_id_and_paged(planner: TestClient) -> None:
    first = planner.get("/api/v1/devices", params={"limit": 5}).json()
    rest = planner.get("/api/v1/devices", params={"cursor": first["next_cursor"]}).json()
    ids = [d["id"] for d in first["items"] + rest["items"]]
    assert ids == sorted(ids) and len(ids) == 12


def test_devices_can_be_searched_and_filtered_by_health(planner: TestClient) -> None:
    found = planner.get("/api/v1/devices", params={"q": "00003"}).json()["items"]
    assert [d["id"] for d in found] == ["sim-00003"]
    visits = planner.get("/api/v1/devices", params={"health": "visit"}).json()["items"]
    ok = planner.get("/api/v1/devices", params={"health": "ok"}).json()["items"]
    checks = planner.get("/api/v1/devices", params={"health": "remote_check"}).json()["items"]
    assert all(d["health"] == "visit" and d["open_tickets"] for d in visits)
    assert all(d["health"] == "ok" and not d["open_tickets"] for d in ok)
    assert len(visits) + len(ok) + len(checks) == 12
    region = visits[0]["region"]
    same = planner.get("/api/v1/devices", params={"region": region}).json()["items"]
    assert all(d["region"] == region for d in same)


def test_a_device_shows_its_site_status_and_tickets(planner: TestClient) -> None:
    d = planner.get("/api/v1/devices/sim-00000").json()
    assert d["health"] == "visit" and d["tickets"][0]["id"] == 1
    assert d["status"]["state"] == "online" and d["meta"]
    assert d["site"]["region"] == d["region"] and d["customer"]["name"]
    r = planner.get("/api/v1/devices/nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"]


def test_telemetry_is_downsampled_to_the_points_asked_for(planner: TestClient) -> None:
    r = planner.get("/api/v1/devices/sim-00000/telemetry", params={
        "start_ms": NOW_MS - 2 * DAY_MS, "stop_ms": NOW_MS, "points": 24,
        "signals": ["supply_temp", "compressor_hz"]})
    assert r.status_code == 200
    body = r.json()
    assert body["every_ms"] == 2 * 3_600_000
    assert 20 <= len(body["times_ms"]) <= 25
    assert set(body["signals"]) == {"supply_temp", "compressor_hz"}
    assert body["units"] == {"supply_temp": "°C", "compressor_hz": "Hz"}
    assert all(len(v) == len(body["times_ms"]) for v in body["signals"].values())


def test_telemetry_defaults_to_the_last_day_of_every_signal(planner: TestClient) -> None:
    body = planner.get("/api/v1/devices/sim-00001/telemetry").json()
    assert body["stop_ms"] == NOW_MS and body["start_ms"] == NOW_MS - DAY_MS
    assert len(body["signals"]) >= 15 and len(body["times_ms"]) >= 90


def test_bad_telemetry_requests_say_what_is_wrong(planner: TestClient) -> None:
    url = "/api/v1/devices/sim-00000/telemetry"
    r = planner.get(url, params={"signals": ["supply_temp", "warp_drive"]})
    assert r.status_code == 400 and "warp_drive" in r.json()["detail"]
    r = planner.get(url, params={"start_ms": NOW_MS, "stop_ms": NOW_MS - 1})
    assert r.status_code == 400 and r.json()["detail"].startswith("stop_ms")
    r = planner.get(url, params={"points": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "points"
    assert planner.get("/api/v1/devices/ghost/telemetry").status_code == 404


def test_a_device_lists_its_findings(planner: TestClient) -> None:
    items = planner.get("/api/v1/devices/sim-00002/findings").json()["items"]
    assert [f["device_id"] for f in items] == ["sim-00002"]
    assert planner.get("/api/v1/devices/sim-00011/findings").json()["items"] == []
