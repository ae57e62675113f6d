"""Server-Sent Events: every new ticket event (opened, booked, escalated, closed, noted, ...)
with the ticket's summary, in order. ``Last-Event-ID`` resumes after a reconnect."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from api import queries
from api.deps import State, Streamer
from api.state import AppState
from dispatch.store import tables as t

router = APIRouter(prefix="/api/v1", tags=["tickets"])
KEEPALIVE_S = 15.0


def _latest(state: AppState) -> int:
    with state.readers() as s:
        return int(s.scalar(select(func.max(t.Event.id))) or 0)


def _after(state: AppState, last: int) -> list[dict[str, Any]]:
    with state.readers() as s:
        events = list(s.scalars(select(t.Event).where(t.Event.id > last)
                                .order_by(t.Event.id).limit(200)))
        if not events:
            return []
        ids = sorted({e.ticket_id for e in events})
        tickets = s.scalars(select(t.Ticket).where(t.Ticket.id.in_(ids)))
        summary = {x.id: x.model_dump(mode="json")
                   for x in queries.summaries(s, [(x, None) for x in tickets])}
        return [{"id": e.id, "kind": e.kind, "ticket_id": e.ticket_id, "ts_ms": e.ts_ms,
                 "text": e.text, "ticket": summary[e.ticket_id]} for e in events]


@router.get("/stream/tickets", response_class=StreamingResponse,
            summary="Live stream (text/event-stream) of new and changed tickets",
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "one `data:` JSON object per ticket event"}})
async def stream_tickets(
    request: Request, state: State, _: Streamer,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    max_events: Annotated[int | None, Query(ge=1, le=100_000,
                                            description="end the stream after this many")
                          ] = None,
    follow: Annotated[bool, Query(description="false: end once caught up (scripts)")] = True,
) -> StreamingResponse:
    start = int(last_event_id) if last_event_id and last_event_id.isdigit() else None

    async def events() -> AsyncIterator[str]:
        last = start if start is not None else await run_in_threadpool(_latest, state)
        sent, quiet_since = 0, time.monotonic()
        yield "retry: 3000\n\n"
        while True:
            batch = await run_in_threadpool(_after, state, last)
            if not batch and not follow:
                return
            for ev in batch:
                last = ev["id"]
                yield (f"id: {ev['id']}\nevent: {ev['kind']}\n"
                       f"data: {json.dumps(ev, separators=(',', ':'))}\n\n")
                sent += 1
                quiet_since = time.monotonic()
                if max_events is not None and sent >= max_events:
                    return
            if await request.is_disconnected():
                return
            if time.monotonic() - quiet_since > KEEPALIVE_S:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(state.settings.api.stream_poll)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
