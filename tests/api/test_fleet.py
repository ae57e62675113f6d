"""Technicians and calendars, fleet health and KPIs over the API."""

from __future__ import annotations

from starlette.testclient import TestClient

from api import pagination
from api.testing import NOW_MS


def test_technicians_are_listed_with_skills_and_hours(planner: TestClient) -> None:
    techs = planner.get("/api/v1/technicians").json()
    assert len(techs) == 6 * len({x["region"] for x in techs})
    assert all(x["skills"] and x["work_end_h"] > x["work_start_h"] for x in techs)
    one = planner.get("/api/v1/technicians", params={"region": techs[0]["region"]}).json()
    assert {x["region"] for x in one} == {techs[0]["region"]}


def test_a_calendar_shows_bookings_and_free_windows_without_overlap(
        planner: TestClient) -> None:
    booking = planner.get("/api/v1/tickets/1").json()["booking"]
    cal = planner.get(f"/api/v1/technicians/{booking['technician_id']}/calendar").json()
    assert cal["start_ms"] == NOW_MS
    assert booking["id"] in [b["id"] for b in cal["bookings"]]
    assert booking["start_ms"] not in [w["start_ms"] for w in cal["free"]]
    assert cal["free"] and all(w["end_ms"] > w["start_ms"] for w in cal["free"])
    assert planner.get("/api/v1/technicians/nobody/calendar").status_code == 404
    bad = planner.get(f"/api/v1/technicians/{booking['technician_id']}/calendar",
                      params={"start_ms": NOW_MS, "stop_ms": NOW_MS - 1})
    assert bad.status_code == 400


def test_fleet_health_counts_devices_by_state_and_region(planner: TestClient) -> None:
    h = planner.get("/api/v1/fleet/health").json()
    assert h["devices"] == 12 and sum(h["by_health"].values()) == 12
    assert sum(h["by_priority"].values()) == 5
    assert sum(r["devices"] for r in h["regions"]) == 12
    assert sum(r["open_tickets"] for r in h["regions"]) == 5
    assert sum(r["visits_booked"] for r in h["regions"]) == 4


def test_kpis_judge_outcomes(planner: TestClient) -> None:
    k = planner.get("/api/v1/kpis").json()
    assert k["open_tickets"] == 5 and k["tickets_closed"] == 0
    assert k["failures_prevented"] == 0 and k["finding_to_booking_h"] is not None


def test_fleet_health_by_region_counts_devices_by_state(planner: TestClient) -> None:
    h = planner.get("/api/v1/fleet/health").json()
    for r in h["regions"]:
        assert sum(r["by_health"].values()) == r["devices"]
    for state in h["by_health"]:
        assert sum(r["by_health"][state] for r in h["regions"]) == h["by_health"][state]


def test_sites_come_worst_first_with_devices_by_state_and_pages_by_cursor(
        planner: TestClient) -> None:
    h = planner.get("/api/v1/fleet/health").json()
    page = planner.get("/api/v1/fleet/sites", params={"limit": 5}).json()
    sites = list(page["items"])
    while page["next_cursor"]:
        page = planner.get("/api/v1/fleet/sites",
                           params={"limit": 5, "cursor": page["next_cursor"]}).json()
        sites += page["items"]
    assert len({x["site_id"] for x in sites}) == len(sites)
    assert sum(x["devices"] for x in sites) == h["devices"]
    assert sum(x["open_tickets"] for x in sites) == sum(h["by_priority"].values())
    order = ("ok", "watch", "remote_check", "visit")
    keys = [(-order.index(x["health"]), -x["open_tickets"], -x["p1"], x["site_id"])
            for x in sites]
    assert keys == sorted(keys)
    for x in sites:
        assert sum(x["by_health"].values()) == x["devices"]
        worst = max((s for s, n in x["by_health"].items() if n), key=order.index)
        assert x["health"] == worst


def test_sites_filter_by_region_worst_state_and_id(planner: TestClient) -> None:
    every = planner.get("/api/v1/fleet/sites", params={"limit": 500}).json()["items"]
    region = every[0]["region"]
    inside = planner.get("/api/v1/fleet/sites", params={"region": region, "limit": 500}).json()
    assert inside["items"] and {x["region"] for x in inside["items"]} == {region}
    assert len(inside["items"]) == sum(x["region"] == region for x in every)
    for state in ("ok", "visit"):
        got = planner.get("/api/v1/fleet/sites", params={"health": state, "limit": 500}).json()
        assert got["items"] and {x["health"] for x in got["items"]} == {state}
    one = planner.get("/api/v1/fleet/sites", params={"q": every[-1]["site_id"]}).json()
    assert [x["site_id"] for x in one["items"]] == [every[-1]["site_id"]]
    bad = planner.get("/api/v1/fleet/sites", params={"health": "broken"})
    assert bad.status_code == 422 and "health" in bad.json()["detail"]
    assert planner.get("/api/v1/fleet/sites", params={"cursor": "nope"}).status_code == 400
    forged = pagination.encode(["x", "y", "z", 1])  # the right length, the wrong types
    r = planner.get("/api/v1/fleet/sites", params={"cursor": forged})
    assert r.status_code == 400 and r.json()["detail"].startswith("cursor:")
