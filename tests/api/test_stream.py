"""The live stream sends every ticket event, with the ticket, and resumes by id.

(That it pushes events as they happen, over a real server, is tested in
``web/test_browser.py``.)"""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient


def events(text: str) -> list[dict[str, str]]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines()
                      if ": " in line and not line.startswith(":"))
        if "data" in fields:
            out.append(fields)
    return out


def replay(c: TestClient, after: int, **params: Any) -> list[dict[str, str]]:
    with c.stream("GET", "/api/v1/stream/tickets", params=params,
                  headers={"Last-Event-ID": str(after)}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        return events(r.read().decode())


def test_the_stream_replays_from_last_event_id_with_ticket_summaries(
        planner: TestClient) -> None:
    got = replay(planner, 0, max_events=4)
    assert got[0]["event"] == "ticket.opened"
    ids = [int(e["id"]) for e in got]
    assert ids == sorted(ids) and len(set(ids)) == 4
    data = json.loads(got[0]["data"])
    assert data["ticket"]["id"] == data["ticket_id"] and data["ticket"]["priority"]
    assert data["kind"] == got[0]["event"] and data["text"]


def test_a_reconnecting_client_gets_exactly_what_changed_since(planner: TestClient) -> None:
    caught_up = replay(planner, 0, follow=False)
    assert len(caught_up) >= 9  # five opened, four booked
    last = int(caught_up[-1]["id"])
    planner.post("/api/v1/tickets/2/acknowledge")
    planner.post("/api/v1/tickets/3/notes", json={"text": "customer called"})
    after = replay(planner, last, follow=False)
    assert [(e["event"], json.loads(e["data"])["ticket_id"]) for e in after] == [
        ("acknowledged", 2), ("note", 3)]
