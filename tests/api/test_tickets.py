"""Tickets over the API: the queue worst first, filters, cursors, the full story, actions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from api import pagination
from api.testing import NOW_MS


def test_the_queue_lists_open_tickets_worst_first_with_their_reasons(
        planner: TestClient) -> None:
    page = planner.get("/api/v1/tickets").json()
    items = page["items"]
    assert len(items) == 5 and page["next_cursor"] is None
    keys = [(not x["escalated"], -x["score"]) for x in items]
    assert keys == sorted(keys)
    top = items[0]
    assert top["reasons"] and top["reasons"][0]["points"] >= top["reasons"][-1]["points"]
    assert all(r["reason"] for r in top["reasons"])
    assert top["booking"]["technician_name"].startswith("Technician")


def test_cursor_pages_cover_the_queue_once_in_order(planner: TestClient) -> None:
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = planner.get("/api/v1/tickets", params=params).json()
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    whole = [x["id"] for x in planner.get("/api/v1/tickets").json()["items"]]
    assert seen == whole


@pytest.mark.parametrize("sort", ["-opened", "opened", "-updated", "failure"])
def test_every_sort_order_pages_without_repeats(planner: TestClient, sort: str) -> None:
    first = planner.get("/api/v1/tickets", params={"sort": sort, "limit": 3}).json()
    rest = planner.get("/api/v1/tickets", params={"sort": sort, "limit": 3,
                                                  "cursor": first["next_cursor"]}).json()
    ids = [x["id"] for x in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 5


def test_filters_narrow_the_queue(planner: TestClient) -> None:
    visits = planner.get("/api/v1/tickets", params={"action": "visit"}).json()["items"]
    assert visits and all(x["action"] == "visit" for x in visits)
    checks = planner.get("/api/v1/tickets", params={"action": "remote_check"}).json()["items"]
    assert len(visits) + len(checks) <= 5
    one = planner.get("/api/v1/tickets", params={"device_id": "sim-00000"}).json()["items"]
    assert [x["device_id"] for x in one] == ["sim-00000"]
    region = one[0]["region"]
    by_region = planner.get("/api/v1/tickets", params={"region": region}).json()["items"]
    assert by_region and all(x["region"] == region for x in by_region)
    assert planner.get("/api/v1/tickets", params={"status": "closed"}).json()["items"] == []
    assert planner.get("/api/v1/tickets", params={"at_risk": True}).json()["items"] == []


def test_a_bad_query_names_the_field_and_why(planner: TestClient) -> None:
    r = planner.get("/api/v1/tickets", params={"priority": "P9", "limit": 0})
    assert r.status_code == 422
    fields = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert set(fields) == {"priority", "limit"}
    assert "greater than or equal to 1" in fields["limit"]
    assert "Traceback" not in r.text
    r = planner.get("/api/v1/tickets", params={"cursor": "!!not-a-cursor"})
    assert r.status_code == 400 and r.json()["detail"].startswith("cursor:")
    forged = pagination.encode([False, "high", 1, 2])  # the right length, a text for a number
    r = planner.get("/api/v1/tickets", params={"cursor": forged})
    assert r.status_code == 400 and r.json()["detail"].startswith("cursor:")


def test_a_bad_body_names_the_field_and_why(planner: TestClient) -> None:
    r = planner.post("/api/v1/tickets/1/notes", content=b'{"text": "unfinished',
                     headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "body", "in": "body", "message": r.json()[
        "errors"][0]["message"]}] and r.json()["errors"][0]["message"].startswith(
        "not valid JSON at character")
    r = planner.post("/api/v1/tickets/1/notes", json={"txt": "hello"})
    fields = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert r.status_code == 422 and fields == {"text": "Field required",
                                               "txt": "Extra inputs are not permitted"}
    r = planner.post("/api/v1/tickets/1/close", json={"outcome": "fixed it"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "outcome"
    assert "fault_confirmed" in r.json()["detail"]


def test_a_ticket_tells_the_whole_story(planner: TestClient) -> None:
    t = planner.get("/api/v1/tickets/1").json()
    assert t["device_id"] == "sim-00000" and t["diagnosis"]["fault"] == "refrigerant_leak"
    assert t["customer"]["name"] and t["site"]["region"] and t["parts"]
    assert t["failure_window"]["earliest_ms"] < t["failure_window"]["latest_ms"]
    assert t["evidence"]["signals"] == ["subcooling"]
    assert len(t["evidence"]["observed"]["subcooling"]) == len(t["evidence"]["times_ms"])
    assert t["booking"]["start_ms"] > NOW_MS
    assert t["messages"] and "subject" in t["messages"][0]
    assert [e["kind"] for e in t["history"]][:2] == ["ticket.opened", "ticket.booked"]
    assert planner.get("/api/v1/tickets/999").status_code == 404


def test_acknowledging_is_recorded_once(planner: TestClient) -> None:
    first = planner.post("/api/v1/tickets/1/acknowledge").json()
    assert first["acknowledged_by"] == "planner-key"
    again = planner.post("/api/v1/tickets/1/acknowledge").json()
    assert [e["kind"] for e in again["history"]].count("acknowledged") == 1


def test_a_note_joins_the_history(client: Callable[..., TestClient]) -> None:
    r = client("technician").post("/api/v1/tickets/2/notes", json={"text": "  bring a ladder "})
    assert r.status_code == 201
    assert r.json()["history"][-1] == {"ts_ms": NOW_MS, "kind": "note",
                                       "text": "technician-key: bring a ladder"}
    empty = client("technician").post("/api/v1/tickets/2/notes", json={"text": ""})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "text"


def test_rescheduling_moves_the_visit_to_a_later_free_window_and_tells_the_customer(
        planner: TestClient) -> None:
    before = planner.get("/api/v1/tickets/1").json()
    old = before["booking"]
    after = planner.post("/api/v1/tickets/1/reschedule").json()
    new = after["booking"]
    assert new["id"] != old["id"] and new["start_ms"] > old["start_ms"]
    assert new["end_ms"] <= before["failure_window"]["earliest_ms"]
    assert [b["status"] for b in after["bookings"]] == ["cancelled", "active"]
    assert [m["kind"] for m in after["messages"]][-1] == "changed"
    assert "rescheduled by planner-key" in after["history"][-1]["text"]


def test_rescheduling_refuses_when_no_window_fits_before_the_deadline(
        planner: TestClient) -> None:
    late = NOW_MS + 30 * 86_400_000
    r = planner.post("/api/v1/tickets/1/reschedule", json={"not_before_ms": late})
    assert r.status_code == 409 and "deadline" in r.json()["detail"]
    assert planner.get("/api/v1/tickets/1").json()["booking"]["status"] == "active"


def test_reassigning_gives_the_window_to_another_able_technician(planner: TestClient) -> None:
    t = planner.get("/api/v1/tickets/1").json()
    region, old = t["site"]["region"], t["booking"]
    techs = planner.get("/api/v1/technicians", params={"region": region}).json()
    able = [x["id"] for x in techs if t["skill"] in x["skills"] and x["id"] !=
            old["technician_id"]]
    r = planner.post("/api/v1/tickets/1/reassign", json={"technician_id": able[0]})
    assert r.status_code == 200, r.text
    new = r.json()["booking"]
    assert (new["technician_id"], new["start_ms"]) == (able[0], old["start_ms"])
    unable = next(x["id"] for x in techs if t["skill"] not in x["skills"])
    r = planner.post("/api/v1/tickets/1/reassign", json={"technician_id": unable})
    assert r.status_code == 409
    r = planner.post("/api/v1/tickets/1/reassign", json={"technician_id": "nobody"})
    assert r.status_code == 404


def test_closing_records_the_outcome_once(planner: TestClient) -> None:
    missing = planner.post("/api/v1/tickets/1/close", json={"outcome": "fault_confirmed"})
    assert missing.status_code == 422 and "cause is required" in missing.text
    r = planner.post("/api/v1/tickets/1/close", json={"outcome": "fault_confirmed",
                                                      "cause": "leaking flare nut"})
    assert r.status_code == 200
    t = r.json()
    assert (t["status"], t["outcome"], t["outcome_cause"]) == ("closed", "fault_confirmed",
                                                                "leaking flare nut")
    assert t["bookings"][-1]["status"] == "done"
    again = planner.post("/api/v1/tickets/1/close", json={"outcome": "no_fault_found"})
    assert again.status_code == 409
    assert planner.post("/api/v1/tickets/1/reschedule").status_code == 409
    kpis = planner.get("/api/v1/kpis").json()
    assert kpis["failures_prevented"] == 1 and kpis["open_tickets"] == 4


def test_findings_are_listed_newest_first(planner: TestClient) -> None:
    page = planner.get("/api/v1/findings", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = planner.get("/api/v1/findings", params={"cursor": page["next_cursor"]}).json()
    times = [f["ts_ms"] for f in page["items"] + rest["items"]]
    assert times == sorted(times, reverse=True) and len(times) == 5
    one = planner.get("/api/v1/findings", params={"ticket_id": 1}).json()["items"]
    assert [f["device_id"] for f in one] == ["sim-00000"]
