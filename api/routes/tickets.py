"""Tickets: the queue (filter, sort, cursor), one ticket in full, and the planner's actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api import actions, queries
from api.deps import DB, Actor, Closer, Noter, Reader, State
from api.responses import as_json
from api.schemas import (
    AssignmentUpdate,
    FindingPublic,
    NoteCreate,
    OutcomeCreate,
    Page,
    RescheduleCreate,
    TicketPublic,
    TicketSummary,
)

router = APIRouter(prefix="/api/v1", tags=["tickets"])
TicketId = Annotated[int, Path(ge=1, le=2**62, description="the ticket's number")]
Limit = Annotated[int | None, Query(ge=1, le=500, description="page size")]
Cursor = Annotated[str | None, Query(max_length=500, description="next_cursor of a page")]


@router.get("/tickets", response_model=Page[TicketSummary],
            summary="Tickets, worst first by default")
async def list_tickets(
    state: State, _: Reader,
    status: Annotated[Literal["open", "closed", "any"], Query()] = "open",
    priority: Annotated[Literal["P1", "P2", "P3"] | None, Query()] = None,
    action: Annotated[Literal["watch", "remote_check", "visit"] | None, Query()] = None,
    device_id: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    escalated: bool | None = None,
    at_risk: Annotated[bool | None, Query(description="the promised visit is at risk")] = None,
    sort: Annotated[queries.TicketSort, Query(
        description="priority: escalated, then points, then oldest")] = "priority",
    cursor: Cursor = None, limit: Limit = None,
) -> Response:
    f = queries.TicketFilter(None if status == "any" else status, priority, action, device_id,
                             region, escalated, at_risk)

    def page(s: Session) -> Response:  # the query and the JSON in one trip to a thread
        items, nxt = queries.list_tickets(s, f, sort, cursor,
                                          limit or state.settings.api.page_size)
        return as_json(Page[TicketSummary](items=items, next_cursor=nxt))

    return await run_in_threadpool(state.read, page)


@router.get("/tickets/{ticket_id}", response_model=TicketPublic,
            summary="One ticket with its full context and evidence")
def get_ticket(ticket_id: TicketId, s: DB, _: Reader) -> Response:
    return as_json(queries.ticket_detail(s, ticket_id))


def _act(state: State, ticket_id: int, action: Callable[..., object],
         *args: object) -> TicketPublic:
    """Run ``action(dispatcher, ticket_id, *args)``, then read the ticket as it is now."""
    action(state.dispatcher, ticket_id, *args)
    with state.readers() as s:
        return queries.ticket_detail(s, ticket_id)


@router.post("/tickets/{ticket_id}/acknowledge", response_model=TicketPublic,
             summary="Mark the ticket as seen (once; later calls change nothing)")
async def acknowledge(ticket_id: TicketId, state: State, who: Actor) -> TicketPublic:
    return await run_in_threadpool(_act, state, ticket_id, actions.acknowledge, who,
                                   state.clock())


@router.post("/tickets/{ticket_id}/reschedule", response_model=TicketPublic,
             summary="Move the visit to the next free window before the deadline",
             responses={409: {"description": "no free window before the deadline"}})
async def reschedule(ticket_id: TicketId, state: State, who: Actor,
                     body: RescheduleCreate | None = None) -> TicketPublic:
    body = body or RescheduleCreate()
    return await run_in_threadpool(_act, state, ticket_id, actions.reschedule, who,
                                   state.clock(), body.technician_id, body.not_before_ms)


@router.post("/tickets/{ticket_id}/reassign", response_model=TicketPublic,
             summary="Give the booked window to another technician",
             responses={409: {"description": "not free, not able, or nothing booked"}})
async def reassign(ticket_id: TicketId, body: AssignmentUpdate, state: State,
                   who: Actor) -> TicketPublic:
    return await run_in_threadpool(_act, state, ticket_id, actions.reassign, who,
                                   body.technician_id, state.clock())


@router.post("/tickets/{ticket_id}/notes", response_model=TicketPublic, status_code=201,
             summary="Add a note to the ticket's history")
async def add_note(ticket_id: TicketId, body: NoteCreate, state: State,
                   who: Noter) -> TicketPublic:
    return await run_in_threadpool(_act, state, ticket_id, actions.add_note, who, body.text,
                                   state.clock())


@router.post("/tickets/{ticket_id}/close", response_model=TicketPublic,
             summary="Close with the outcome (feeds detect's labels and the KPIs)",
             responses={409: {"description": "already closed"}})
async def close(ticket_id: TicketId, body: OutcomeCreate, state: State,
                who: Closer) -> TicketPublic:
    return await run_in_threadpool(_act, state, ticket_id, actions.close, who, body.outcome,
                                   body.cause, body.visited_ms, body.customer_noticed,
                                   state.clock())


@router.get("/findings", response_model=Page[FindingPublic], tags=["findings"],
            summary="Findings, newest first")
def list_findings(
    s: DB, state: State, _: Reader,
    device_id: Annotated[str | None, Query(max_length=64)] = None,
    ticket_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    detector: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Cursor = None, limit: Limit = None,
) -> Response:
    items, nxt = queries.list_findings(s, device_id, ticket_id, detector, cursor,
                                       limit or state.settings.api.page_size)
    return as_json(Page[FindingPublic](items=items, next_cursor=nxt))
