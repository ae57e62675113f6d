"""The planner web app's pages and forms: queue, ticket, device, fleet, login.

Pages are rendered on the server from the same queries the REST API uses; forms post
with the session's CSRF token and redirect back (post/redirect/get). The queue follows
the live ticket stream and refreshes its rows in place.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from api import accounts, actions, queries, telemetry
from api.accounts import Principal
from api.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    authorise,
    can,
    check_csrf,
    new_session,
    session_principal,
)
from api.deps import State
from api.errors import ApiError, TooManyRequests, Unauthorized
from api.schemas import Health
from api.state import AppState
from api.web import charts
from dispatch.directory import technicians

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
SIGNAL_GROUPS: dict[str, tuple[str, ...]] = {
    "Temperatures": ("supply_temp", "return_temp", "indoor_temp", "outdoor_temp"),
    "Compressor": ("compressor_hz", "compressor_current"),
    "Refrigerant": ("subcooling", "superheat"),
    "Pressures": ("high_pressure", "low_pressure"),
    "Power": ("power_w", "heat_output_w", "backup_heater_w"),
}
BAND_FRACTION = 0.10


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path not in (
        "/metrics", "/readyz", "/healthz", "/openapi.json")


HEADINGS = {403: "Not allowed", 404: "Not found", 409: "Not possible now",
            429: "Slow down", 400: "Bad request", 503: "Unavailable"}


def error_page(request: Request, status: int, message: str,
               headers: dict[str, str] | None = None) -> Response:
    response = templates.TemplateResponse(request, "error.html", {
        "user": None, "csrf": "", "flash": None, "error": None, "status": status,
        "heading": HEADINGS.get(status, "Something went wrong"), "message": message},
        status_code=status, headers=headers)
    return response


def web_user(request: Request, state: State) -> Principal:
    principal = session_principal(state, request)
    if principal is None:
        raise Unauthorized("log in first")
    return principal


WebUser = Annotated[Principal, Depends(web_user)]


def _local(ms: int | None, tz: str, fmt: str = "%a %d %b %H:%M") -> str:
    if ms is None:
        return "—"
    return dt.datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).strftime(fmt)


def _relative(ms: int | None, now_ms: int) -> str:
    if ms is None:
        return "unknown"
    h = (ms - now_ms) / 3_600_000
    text = f"{abs(h):.0f} h" if abs(h) < 48 else f"{abs(h) / 24:.1f} days"
    return f"in {text}" if h >= 0 else f"{text} ago"


def _page(request: Request, state: AppState, name: str, who: Principal | None,
          **context: Any) -> HTMLResponse:
    tz = state.settings.dispatch.timezone
    now = state.clock()
    return templates.TemplateResponse(request, name, {
        "user": who, "csrf": who.csrf if who else "", "now_ms": now,
        "local": lambda ms, fmt="%a %d %b %H:%M": _local(ms, tz, fmt),
        "relative": lambda ms: _relative(ms, now), "tz": tz,
        "can": lambda perm: who is not None and can(who.role, perm),
        "flash": request.query_params.get("done"), "error": request.query_params.get("error"),
        **context})


# -- login --------------------------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, state: State, next: str | None = None) -> Response:
    return _login_page(request, state, next)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, state: State,
                username: Annotated[str, Form(max_length=100)],
                password: Annotated[str, Form(max_length=200)],
                csrf_token: Annotated[str, Form(max_length=100)],
                next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_page(request, state, next, "Your login form expired: please try again.",
                           400)
    now_s = time.time()  # wall clock: the failures are shared with other processes
    ip = request.client.host if request.client else "?"
    wait, principal = await run_in_threadpool(_try_login, state, ip, username, password, now_s)
    if wait > 0:
        raise TooManyRequests(f"too many login attempts: try again in {wait:.0f} s",
                              {"Retry-After": str(int(wait) + 1)})
    if principal is None:
        return _login_page(request, state, next, "Wrong user name or password.", 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, new_session(state, principal), httponly=True,
                        secure=state.settings.api.cookie_secure, samesite="lax",
                        max_age=int(state.settings.api.session_max_age))
    response.delete_cookie(LOGIN_COOKIE)
    return response


def _try_login(state: AppState, ip: str, username: str, password: str,
               now_s: float) -> tuple[float, Principal | None]:
    """(seconds to wait, None) while the address or the name is over the limit, else
    (0, the user or None); a failure counts against both, a success clears the name."""
    limiter = state.login_limiter
    keys = (f"ip:{ip}", f"u:{username}")
    wait = max(limiter.retry_after(k, now_s) for k in keys)
    if wait > 0:
        return wait, None
    principal = accounts.authenticate(state.readers, username, password)
    if principal is None:
        for k in keys:
            limiter.hit(k, now_s)
    else:
        limiter.reset(keys[1])
    return 0.0, principal


def _login_page(request: Request, state: AppState, next: str | None,
                message: str | None = None, status: int = 200) -> Response:
    """The login form with a fresh login CSRF token (in a cookie and in the form)."""
    token = secrets.token_urlsafe(24)
    response = _page(request, state, "login.html", None, login_csrf=token,
                     next=_safe_next(next), login_error=message)
    response.status_code = status
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=state.settings.api.cookie_secure, max_age=3600)
    return response


@router.post("/logout")
def logout(who: WebUser, csrf_token: Annotated[str, Form(max_length=100)]) -> Response:
    check_csrf(who, csrf_token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# -- queue --------------------------------------------------------------------------------

def _queue(state: AppState, priority: str | None, action: str | None, region: str | None,
           cursor: str | None, with_regions: bool) -> tuple[list[Any], str | None, list[str]]:
    f = queries.TicketFilter("open", priority or None, action or None, None, region or None)

    def read(s: Session) -> tuple[list[Any], str | None, list[str]]:
        items, nxt = queries.list_tickets(s, f, "priority", cursor, state.settings.api.page_size)
        return items, nxt, queries.regions(s) if with_regions else []

    return state.read(read)


@router.get("/", response_class=HTMLResponse)
async def queue_page(request: Request, state: State, who: WebUser,
                     priority: Annotated[str | None, Query(max_length=4)] = None,
                     action: Annotated[str | None, Query(max_length=16)] = None,
                     region: Annotated[str | None, Query(max_length=64)] = None,
                     cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    items, nxt, regions = await run_in_threadpool(_queue, state, priority, action, region, cursor,
                                                  not cursor)
    return _page(request, state, "queue.html", who, items=items, next_cursor=nxt,
                 regions=regions, f={"priority": priority or "", "action": action or "",
                                     "region": region or ""})


@router.get("/queue/rows", response_class=HTMLResponse)
async def queue_rows(request: Request, state: State, who: WebUser,
                     priority: Annotated[str | None, Query(max_length=4)] = None,
                     action: Annotated[str | None, Query(max_length=16)] = None,
                     region: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    items, _, _ = await run_in_threadpool(_queue, state, priority, action, region, None, False)
    return _page(request, state, "queue_rows.html", who, items=items)


# -- ticket -------------------------------------------------------------------------------

def evidence_charts(evidence: dict[str, Any] | None, window: dict[str, Any] | None,
                    tz: str, visit_ms: int | None = None) -> list[charts.Chart]:
    """One chart per abnormal signal: observed against the device's expected band, with
    the predicted failure window."""
    if not evidence:
        return []
    from ingest.contract import SIGNALS

    out = []
    times = evidence.get("times_ms") or []
    fw = charts.Window("predicted failure", window["earliest_ms"], window["latest_ms"],
                       window.get("expected_ms")) if window else None
    for name in evidence.get("signals") or []:
        observed = (evidence.get("observed") or {}).get(name) or []
        expected = (evidence.get("expected") or {}).get(name) or []
        band = None
        series = [charts.Series("observed", times, observed, charts.PALETTE[1])]
        if expected:
            tol = [None if v is None else max(abs(v) * BAND_FRACTION, 0.5) for v in expected]
            band = charts.Band(f"expected ±{BAND_FRACTION:.0%}", times,
                               [None if v is None or d is None else v - d
                                for v, d in zip(expected, tol, strict=False)],
                               [None if v is None or d is None else v + d
                                for v, d in zip(expected, tol, strict=False)])
            series.insert(0, charts.Series("expected", times, expected, charts.PALETTE[0],
                                           dashed=True))
        spec = SIGNALS.get(name)
        marks = [charts.Mark("booked visit", visit_ms)] if visit_ms is not None else []
        out.append(charts.Chart(title=spec.description if spec else name,
                                unit=spec.unit if spec else "", series=series, band=band,
                                window=fw, marks=marks, timezone=tz))
    return out


def _ticket(state: AppState, ticket_id: int) -> tuple[Any, list[Any]]:
    with state.readers() as s:
        ticket = queries.ticket_detail(s, ticket_id)
        techs = [x for x in technicians(s) if x.region == (ticket.region or x.region)]
    return ticket, techs


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(request: Request, ticket_id: int, state: State, who: WebUser) -> Response:
    ticket, techs = await run_in_threadpool(_ticket, state, ticket_id)
    tz = (ticket.site or {}).get("timezone") or state.settings.dispatch.timezone
    visit = ticket.booking.start_ms if ticket.booking else None
    rendered = [charts.render(c) for c in evidence_charts(ticket.evidence, ticket.failure_window,
                                                          tz, visit)]
    return _page(request, state, "ticket.html", who, t=ticket, charts=rendered,
                 technicians=techs)


def _back(ticket_id: int, done: str | None = None, error: str | None = None) -> Response:
    query = f"?done={quote(done)}" if done else f"?error={quote(error or '')}"
    return RedirectResponse(f"/tickets/{ticket_id}{query}", status_code=303)


async def _act(who: Principal, csrf: str, permission: str, ticket_id: int, done: str,
               fn: Any, *args: Any) -> Response:
    check_csrf(who, csrf)
    authorise(who, permission)
    try:
        await run_in_threadpool(fn, *args)
    except ApiError as exc:
        if exc.status in (404, 409):
            return _back(ticket_id, error=exc.message)
        raise
    return _back(ticket_id, done=done)


Csrf = Annotated[str, Form(max_length=100)]


@router.post("/tickets/{ticket_id}/acknowledge")
async def web_acknowledge(ticket_id: int, state: State, who: WebUser,
                          csrf_token: Csrf) -> Response:
    return await _act(who, csrf_token, "act", ticket_id, "Acknowledged.", actions.acknowledge,
                      state.dispatcher, ticket_id, who, state.clock())


@router.post("/tickets/{ticket_id}/reschedule")
async def web_reschedule(ticket_id: int, state: State, who: WebUser,
                         csrf_token: Csrf) -> Response:
    return await _act(who, csrf_token, "act", ticket_id,
                      "Rescheduled to the next free window; the customer is told.",
                      actions.reschedule, state.dispatcher, ticket_id, who, state.clock())


@router.post("/tickets/{ticket_id}/reassign")
async def web_reassign(ticket_id: int, state: State, who: WebUser, csrf_token: Csrf,
                       technician_id: Annotated[str, Form(min_length=1, max_length=64)]
                       ) -> Response:
    return await _act(who, csrf_token, "act", ticket_id, "Reassigned.", actions.reassign,
                      state.dispatcher, ticket_id, who, technician_id, state.clock())


@router.post("/tickets/{ticket_id}/notes")
async def web_note(ticket_id: int, state: State, who: WebUser, csrf_token: Csrf,
                   text: Annotated[str, Form(min_length=1, max_length=2000)]) -> Response:
    return await _act(who, csrf_token, "note", ticket_id, "Note added.", actions.add_note,
                      state.dispatcher, ticket_id, who, text, state.clock())


@router.post("/tickets/{ticket_id}/close")
async def web_close(ticket_id: int, state: State, who: WebUser, csrf_token: Csrf,
                    outcome: Annotated[str, Form(pattern="^(fault_confirmed|no_fault_found)$")],
                    cause: Annotated[str, Form(max_length=2000)] = "",
                    customer_noticed: Annotated[bool, Form()] = False) -> Response:
    if outcome == "fault_confirmed" and not cause.strip():
        return _back(ticket_id, error="Say what the fault was (cause) to close it as "
                     "fault confirmed.")
    return await _act(who, csrf_token, "close", ticket_id, f"Closed: {outcome}.", actions.close,
                      state.dispatcher, ticket_id, who, outcome, cause.strip() or None, None,
                      customer_noticed, state.clock())


# -- device and fleet -----------------------------------------------------------------------

def _device(state: AppState, device_id: str, range_: str) -> tuple[Any, list[Any], Any]:
    from api.routes.devices import device_detail

    device = device_detail(state, device_id)
    stop = state.clock()
    start = stop - telemetry.RANGES[range_]
    wanted = [s for group in SIGNAL_GROUPS.values() for s in group]
    data = telemetry.read(state.telemetry, device_id, start, stop, wanted, 400)
    tz = device.site.get("timezone") or state.settings.dispatch.timezone
    rendered = []
    for title, names in SIGNAL_GROUPS.items():
        series = [charts.Series(n, data.times_ms, data.signals.get(n, []), charts.PALETTE[i])
                  for i, n in enumerate(names) if n in data.signals]
        unit = ", ".join(sorted({data.units.get(n, "") for n in names if n in data.signals}))
        rendered.append((title, charts.render(charts.Chart(title, unit, series, timezone=tz,
                                                           width=460, height=250))))
    with state.readers() as s:
        findings, _ = queries.list_findings(s, device_id, None, None, None, 50)
    return device, rendered, findings


DEVICES_PER_PAGE = 50


def _devices(state: AppState, q: str | None, site: str | None, region: str | None,
             model: str | None, health: str | None, cursor: str | None) -> dict[str, Any]:
    with state.readers() as s:
        items, nxt = queries.list_devices(s, q, site, region, model, health, cursor,
                                          DEVICES_PER_PAGE)
        return {"devices": items, "next_cursor": nxt, "models": queries.models(s),
                "region_names": queries.regions(s)}


@router.get("/devices", response_class=HTMLResponse)
async def devices_page(
    request: Request, state: State, who: WebUser,
    q: Annotated[str | None, Query(max_length=64)] = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=64)] = None,
    health: Annotated[Health | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    data = await run_in_threadpool(_devices, state, q or None, site or None, region or None,
                                   model or None, health or None, cursor or None)
    return _page(request, state, "devices.html", who, q=q or "", site=site or "",
                 region=region or "", model=model or "", health=health or "", cursor=cursor,
                 health_states=queries.HEALTH_ORDER, **data)


@router.get("/devices/{device_id}", response_class=HTMLResponse)
async def device_page(request: Request, device_id: str, state: State, who: WebUser,
                      range: Annotated[str, Query(pattern="^(6h|24h|7d|30d)$")] = "24h"
                      ) -> Response:
    device, rendered, findings = await run_in_threadpool(_device, state, device_id, range)
    return _page(request, state, "device.html", who, d=device, charts=rendered,
                 findings=findings, range=range, ranges=list(telemetry.RANGES))


SITES_PER_PAGE = 25


def _areas(regions: list[Any], places: list[tuple[str, str, int]]) -> list[charts.Area]:
    """Each region on the map at the mean place of its devices' climates."""
    from simulators.climate import CLIMATES

    where: dict[str, list[tuple[float, float, int]]] = {}
    for region, climate, n in places:
        c = CLIMATES.get(climate.lower())
        if c is not None:
            where.setdefault(region, []).append((c.lat, c.lon, n))
    out = []
    for r in regions:
        spots = where.get(r.region)
        if not spots:
            continue
        total = sum(n for *_, n in spots)
        out.append(charts.Area(
            label=r.region.title(), href=f"/fleet?region={quote(r.region)}#sites",
            lat=sum(lat * n for lat, _, n in spots) / total,
            lon=sum(lon * n for _, lon, n in spots) / total, devices=r.devices,
            attention=r.devices - r.by_health.get("ok", 0), visits=r.by_health.get("visit", 0)))
    return out


def _fleet(state: AppState, region: str | None, health: str | None, q: str | None,
           cursor: str | None) -> dict[str, Any]:
    from dispatch import kpis

    with state.readers() as s:
        n, by_health, by_priority, regions = queries.fleet_health(s)
        sites, nxt = queries.list_sites(s, region, health, q, cursor, SITES_PER_PAGE)
        places = queries.region_climates(s)
        k = kpis.from_database(s, state.clock())
    return {"devices": n, "by_health": by_health, "by_priority": by_priority,
            "regions": regions, "k": k, "sites": sites, "next_cursor": nxt,
            "map": charts.health_map(_areas(regions, places)),
            "region_names": [r.region for r in regions if r.devices]}


@router.get("/fleet", response_class=HTMLResponse)
async def fleet_page(
    request: Request, state: State, who: WebUser,
    region: Annotated[str | None, Query(max_length=64)] = None,
    health: Annotated[Health | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    data = await run_in_threadpool(_fleet, state, region or None, health or None, q or None,
                                   cursor or None)
    return _page(request, state, "fleet.html", who, region=region or "", health=health or "",
                 q=q or "", cursor=cursor, health_states=queries.HEALTH_ORDER, **data)
