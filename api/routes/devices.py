"""Devices: search the fleet, one device with its status, its telemetry and findings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import queries, telemetry
from api.deps import DB, Reader, State
from api.responses import as_json
from api.schemas import DevicePublic, DeviceSummary, FindingPublic, Health, Page, TelemetryPublic
from api.state import AppState
from dispatch.store import tables as t

router = APIRouter(prefix="/api/v1", tags=["devices"])
DeviceId = Annotated[str, Path(min_length=1, max_length=64, description="the device's id")]
Limit = Annotated[int | None, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=500)]


@router.get("/devices", response_model=Page[DeviceSummary],
            summary="Devices, by id; search and filter by site, region, model, health")
def list_devices(
    s: DB, state: State, _: Reader,
    q: Annotated[str | None, Query(max_length=64, description="part of a device or site id")
                 ] = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=64)] = None,
    health: Annotated[Health | None, Query(description="the worst open ticket's action")
                      ] = None,
    cursor: Cursor = None, limit: Limit = None,
) -> Response:
    items, nxt = queries.list_devices(s, q, site, region, model, health, cursor,
                                      limit or state.settings.api.page_size)
    return as_json(Page[DeviceSummary](items=items, next_cursor=nxt))


def device_detail(state: AppState, device_id: str) -> DevicePublic:
    with state.readers() as s:
        d, site, customer = queries.device_row(s, device_id)
        f = queries.TicketFilter(status=None, device_id=device_id)
        tickets, _ = queries.list_tickets(s, f, "-opened", None, 50)
    open_ = [(x.action, x.priority) for x in tickets if x.status == t.OPEN]
    summary = queries.device_summary(d, site.region, open_)
    status = meta = None
    try:
        st = state.telemetry.latest_status(device_id)
        mt = state.telemetry.latest_meta(device_id)
    except Exception:  # the device page still shows the directory and the tickets
        st = mt = None
    if st is not None:
        status = {"ts_ms": st.ts_ms, "state": st.state}
    if mt is not None:
        meta = {"ts_ms": mt.ts_ms, **dict(mt.doc)}
    return DevicePublic(
        **summary.model_dump(),
        site={"id": site.id, "region": site.region, "address": site.address,
              "country": site.country, "timezone": site.timezone, "climate": site.climate,
              "heat_source_role": site.heat_source_role, "vulnerable": site.vulnerable},
        customer={"id": customer.id, "name": customer.name, "language": customer.language}
        if customer else None,
        facts=d.facts, status=status, meta=meta, tickets=tickets)


@router.get("/devices/{device_id}", response_model=DevicePublic,
            summary="One device: site, customer, latest status and metadata, its tickets")
async def get_device(device_id: DeviceId, state: State, _: Reader) -> DevicePublic:
    return await run_in_threadpool(device_detail, state, device_id)


@router.get("/devices/{device_id}/telemetry", response_model=TelemetryPublic,
            summary="Telemetry over a range, averaged into at most `points` windows",
            responses={503: {"description": "the telemetry store does not answer"}})
async def get_telemetry(
    device_id: DeviceId, state: State, _: Reader,
    start_ms: Annotated[int | None, Query(ge=0, le=2**53, description="default: stop - 24 h")
                        ] = None,
    stop_ms: Annotated[int | None, Query(ge=1, le=2**53, description="default: now")] = None,
    signals: Annotated[list[str] | None, Query(max_length=30,
                                               description="signal names; default all")
                       ] = None,
    points: Annotated[int, Query(ge=10, le=5000, description="at most this many points")
                      ] = 500,
) -> Response:
    def run() -> TelemetryPublic:
        with state.readers() as s:
            queries.device_row(s, device_id)
        stop = stop_ms if stop_ms is not None else state.clock()
        start = start_ms if start_ms is not None else stop - 86_400_000
        return telemetry.read(state.telemetry, device_id, start, stop, signals, points)

    return as_json(await run_in_threadpool(run))


@router.get("/devices/{device_id}/findings", response_model=Page[FindingPublic],
            summary="The device's findings, newest first")
def device_findings(device_id: DeviceId, s: DB, state: State, _: Reader,
                    cursor: Cursor = None, limit: Limit = None) -> Response:
    queries.device_row(s, device_id)
    items, nxt = queries.list_findings(s, device_id, None, None, cursor,
                                       limit or state.settings.api.page_size)
    return as_json(Page[FindingPublic](items=items, next_cursor=nxt))
