"""Technicians and their calendars, fleet health, KPIs, and API keys (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from api import accounts, queries
from api.deps import DB, Admin, KpiReader, Reader, State
from api.errors import BadRequest, Conflict, NotFound
from api.responses import as_json
from api.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    BookingPublic,
    CalendarPublic,
    FleetHealth,
    Health,
    KPIPublic,
    Page,
    SiteHealth,
    SlotPublic,
    TechnicianPublic,
)
from dispatch import kpis
from dispatch.booking import working_windows
from dispatch.directory import technicians
from dispatch.store import tables as t

router = APIRouter(prefix="/api/v1")
TechId = Annotated[str, Path(min_length=1, max_length=64)]
DAY_MS = 86_400_000


@router.get("/technicians", response_model=list[TechnicianPublic], tags=["technicians"],
            summary="Technicians with skills, region and working hours")
def list_technicians(s: DB, _: Reader,
                     region: Annotated[str | None, Query(max_length=64)] = None
                     ) -> list[TechnicianPublic]:
    return [TechnicianPublic(id=x.id, name=x.name, skills=list(x.skills), region=x.region,
                             work_start_h=x.work_start_h, work_end_h=x.work_end_h,
                             workdays=list(x.workdays), timezone=x.timezone)
            for x in technicians(s) if region is None or x.region == region]


@router.get("/technicians/{technician_id}/calendar", response_model=CalendarPublic,
            tags=["technicians"], summary="Bookings and free windows over a range")
def calendar(technician_id: TechId, s: DB, state: State, _: Reader,
             start_ms: Annotated[int | None, Query(ge=0, le=2**53)] = None,
             stop_ms: Annotated[int | None, Query(ge=1, le=2**53)] = None) -> CalendarPublic:
    tech = queries.technician(s, technician_id)
    start = start_ms if start_ms is not None else state.clock()
    stop = stop_ms if stop_ms is not None else start + 7 * DAY_MS
    if stop <= start or stop - start > 62 * DAY_MS:
        raise BadRequest("stop_ms: must be after start_ms and at most 62 days later")
    rows = list(s.scalars(select(t.Booking).where(
        t.Booking.technician_id == technician_id, t.Booking.status != "cancelled",
        t.Booking.end_ms > start, t.Booking.start_ms < stop).order_by(t.Booking.start_ms)))
    taken = {b.start_ms for b in rows}
    free = [SlotPublic(start_ms=w.start_ms, end_ms=w.end_ms)
            for w in working_windows(tech, start, stop, state.settings.dispatch.slot_minutes)
            if w.start_ms not in taken]
    return CalendarPublic(technician_id=technician_id, start_ms=start, stop_ms=stop,
                          bookings=[BookingPublic(id=b.id, technician_id=b.technician_id,
                                                  technician_name=tech.name,
                                                  start_ms=b.start_ms, end_ms=b.end_ms,
                                                  status=b.status, at_risk=b.at_risk)
                                    for b in rows], free=free)


@router.get("/kpis", response_model=KPIPublic, tags=["fleet"],
            summary="Outcome KPIs: failures prevented, lead time, false dispatches, promises")
def get_kpis(s: DB, state: State, _: KpiReader) -> KPIPublic:
    k = kpis.from_database(s, state.clock())
    return KPIPublic(**k.to_dict(), open_tickets=sum(queries.open_counts(s).values()))


@router.get("/fleet/health", response_model=FleetHealth, tags=["fleet"],
            summary="Devices by health, open tickets by priority, and both by region")
def get_fleet_health(s: DB, _: Reader) -> FleetHealth:
    n, by_health, by_priority, regions = queries.fleet_health(s)
    return FleetHealth(devices=n, by_health=by_health, by_priority=by_priority, regions=regions)


@router.get("/fleet/sites", response_model=Page[SiteHealth], tags=["fleet"],
            summary="Sites worst first: devices by health and open tickets per site")
def list_sites(
    s: DB, state: State, _: Reader,
    region: Annotated[str | None, Query(max_length=64)] = None,
    health: Annotated[Health | None, Query(
        description="only sites whose worst device is in this state")] = None,
    q: Annotated[str | None, Query(max_length=64, description="part of the site id")] = None,
    cursor: Annotated[str | None, Query(max_length=500,
                                        description="next_cursor of a page")] = None,
    limit: Annotated[int | None, Query(ge=1, le=500, description="page size")] = None,
) -> Response:
    items, nxt = queries.list_sites(s, region, health, q, cursor,
                                    limit or state.settings.api.page_size)
    return as_json(Page[SiteHealth](items=items, next_cursor=nxt))


def _key_public(k: accounts.ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(name=k.name, role=k.role, hint=k.hint, created_ms=k.created_ms,
                        revoked_ms=k.revoked_ms)


@router.get("/keys", response_model=list[ApiKeyPublic], tags=["admin"],
            summary="API keys (never the keys themselves)")
def list_keys(state: State, _: Admin) -> list[ApiKeyPublic]:
    return [_key_public(k) for k in accounts.list_keys(state.readers)]


@router.post("/keys", response_model=ApiKeyCreated, status_code=201, tags=["admin"],
             summary="Create an API key (shown once)")
async def create_key(body: ApiKeyCreate, state: State, _: Admin) -> ApiKeyCreated:
    now = state.clock()
    try:
        key = await run_in_threadpool(accounts.create_key, state.sessions, body.name,
                                      body.role, now)
    except accounts.AccountError as exc:
        raise Conflict(str(exc)) from None
    return ApiKeyCreated(name=body.name, role=body.role, hint=key[:8], created_ms=now,
                         revoked_ms=None, key=key)


@router.delete("/keys/{name}", status_code=204, tags=["admin"], summary="Revoke an API key")
def revoke_key(name: Annotated[str, Path(min_length=1, max_length=80)], state: State,
               _: Admin) -> None:
    try:
        accounts.revoke_key(state.sessions, name, state.clock())
    except accounts.AccountError as exc:
        raise NotFound(str(exc)) from None
