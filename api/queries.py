"""Read-side queries over the ticket database for the API and the web app.

Lists are filtered and sorted in SQL and paged by cursor; related rows (bookings,
open tickets per device) are fetched for the whole page in one query, never per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from api import pagination
from api.errors import NotFound
from api.schemas import (
    BookingPublic,
    DeviceSummary,
    EventPublic,
    FindingPublic,
    Health,
    MessagePublic,
    ReasonPublic,
    RegionHealth,
    SiteHealth,
    TicketPublic,
    TicketSummary,
)
from dispatch.booking import Technician
from dispatch.directory import technicians
from dispatch.store import tables as t

_Select = TypeVar("_Select", bound=Select[*tuple[Any, ...]])
TicketSort = Literal["priority", "-opened", "opened", "-updated", "failure"]
HEALTH_ORDER: Final = ("ok", "watch", "remote_check", "visit")
_TICKET_KEYS: Final[dict[str, pagination.Key]] = {
    "priority": ((t.Ticket.escalated, True), (t.Ticket.priority_score, True),
                 (t.Ticket.opened_ms, False), (t.Ticket.id, False)),
    "-opened": ((t.Ticket.opened_ms, True), (t.Ticket.id, True)),
    "opened": ((t.Ticket.opened_ms, False), (t.Ticket.id, False)),
    "-updated": ((t.Ticket.updated_ms, True), (t.Ticket.id, True)),
    "failure": ((t.Ticket.last_finding_ms, True), (t.Ticket.id, True)),
}


@dataclass(frozen=True)
class TicketFilter:
    status: str | None = "open"
    priority: str | None = None
    action: str | None = None
    device_id: str | None = None
    region: str | None = None
    escalated: bool | None = None
    at_risk: bool | None = None


def _booking(b: t.Booking, names: dict[str, str]) -> BookingPublic:
    return BookingPublic(id=b.id, technician_id=b.technician_id,
                         technician_name=names.get(b.technician_id), start_ms=b.start_ms,
                         end_ms=b.end_ms, status=b.status, at_risk=b.at_risk)


def technician_names(s: Session) -> dict[str, str]:
    return {tid: name for tid, name in s.execute(select(t.TechnicianRow.id,
                                                         t.TechnicianRow.name))}


def technician(s: Session, technician_id: str) -> Technician:
    found = [x for x in technicians(s) if x.id == technician_id]
    if not found:
        raise NotFound(f"no technician {technician_id!r}")
    return found[0]


def reasons(priority: dict[str, Any], top: int | None = None) -> list[ReasonPublic]:
    factors = sorted(priority.get("factors", []), key=lambda f: -f.get("points", 0))
    out = [ReasonPublic(name=f["name"], points=f["points"], reason=f["reason"])
           for f in factors if f.get("points", 0) > 0]
    return out[:top] if top else out


class _SummaryRow(Protocol):
    """A ticket, or a row of its summary columns (``context`` only needed without region)."""

    id: int
    device_id: str
    problem: str
    status: str
    action: str
    priority_score: float
    priority_level: str
    priority: dict[str, Any]
    diagnosis: dict[str, Any]
    failure_window: dict[str, Any] | None
    finding_count: int
    opened_ms: int
    updated_ms: int
    escalated: bool


def _summary(x: _SummaryRow, booking: t.Booking | None, names: dict[str, str],
             region: str | None = None) -> dict[str, Any]:
    fw = x.failure_window or {}
    d = x.diagnosis
    fault = f"{d.get('fault', '?')} ({d['sensor']} sensor)" if d.get("sensor") else str(
        d.get("fault", "?"))
    return {"id": x.id, "device_id": x.device_id, "problem": x.problem, "fault": fault,
            "status": x.status,
            "action": x.action, "priority": x.priority_level, "score": x.priority_score,
            "escalated": x.escalated, "reasons": reasons(x.priority, 4),
            "failure_earliest_ms": fw.get("earliest_ms"),
            "failure_expected_ms": fw.get("expected_ms"),
            "booking": _booking(booking, names) if booking else None,
            "region": region if region is not None else (
                cast(t.Ticket, x).context.get("site") or {}).get("region"),
            "findings": x.finding_count,
            "opened_ms": x.opened_ms, "updated_ms": x.updated_ms}


def _active_bookings(s: Session, ids: Sequence[int]) -> tuple[dict[int, t.Booking],
                                                                  dict[str, str]]:
    """The tickets' active bookings and their technicians' names, in one query."""
    if not ids:
        return {}, {}
    rows = s.execute(select(t.Booking, t.TechnicianRow.name)
                     .outerjoin(t.TechnicianRow, t.TechnicianRow.id == t.Booking.technician_id)
                     .where(t.Booking.ticket_id.in_(ids), t.Booking.status == "active"))
    bookings, names = {}, {}
    for b, name in rows:
        bookings[b.ticket_id] = b
        if name is not None:
            names[b.technician_id] = name
    return bookings, names


def summaries(s: Session, rows: Sequence[tuple[_SummaryRow, str | None]]
              ) -> list[TicketSummary]:
    """``rows`` (a ticket and its region, None for the one in its context) as summaries,
    with their active bookings and technicians' names in one query."""
    bookings, names = _active_bookings(s, [x.id for x, _ in rows])
    return [TicketSummary(**_summary(x, bookings.get(x.id), names, region))
            for x, region in rows]


#: what a queue row needs of a ticket (not the evidence, context or action reason)
_SUMMARY_COLUMNS: Final = (
    t.Ticket.id, t.Ticket.device_id, t.Ticket.problem, t.Ticket.status, t.Ticket.action,
    t.Ticket.priority_score, t.Ticket.priority_level, t.Ticket.priority, t.Ticket.diagnosis,
    t.Ticket.failure_window, t.Ticket.finding_count, t.Ticket.opened_ms, t.Ticket.updated_ms,
    t.Ticket.last_finding_ms, t.Ticket.escalated)


def _with_site(q: _Select) -> _Select:
    """``q`` (over tickets) joined to each ticket's device and site: outer, so a ticket
    whose device is not in the directory stays, with no region."""
    return (q.outerjoin(t.Device, t.Device.id == t.Ticket.device_id)
            .outerjoin(t.Site, t.Site.id == t.Device.site_id))


def _ticket_where(f: TicketFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.status:
        where.append(t.Ticket.status == f.status)
    if f.priority:
        where.append(t.Ticket.priority_level == f.priority)
    if f.action:
        where.append(t.Ticket.action == f.action)
    if f.device_id:
        where.append(t.Ticket.device_id == f.device_id)
    if f.escalated is not None:
        where.append(t.Ticket.escalated.is_(f.escalated))
    if f.region:
        where.append(exists().where(t.Device.id == t.Ticket.device_id,
                                    t.Site.id == t.Device.site_id, t.Site.region == f.region)
                     .correlate(t.Ticket))
    if f.at_risk is not None:
        risky = exists().where(t.Booking.ticket_id == t.Ticket.id, t.Booking.status == "active",
                               t.Booking.at_risk.is_not(None)).correlate(t.Ticket)
        where.append(risky if f.at_risk else ~risky)
    return where


def list_tickets(s: Session, f: TicketFilter, sort: str, cursor: str | None,
                 limit: int) -> tuple[list[TicketSummary], str | None]:
    """One page of tickets in ``sort`` order: one query for the rows, in index order
    (``ix_tickets_queue`` for the priority sort: no sort, no scan past the page), with
    only the columns a summary needs and the region from the directory; one more for
    their active bookings and technicians."""
    key = _TICKET_KEYS[sort]
    q = _with_site(select(*_SUMMARY_COLUMNS, t.Site.region)).where(*_ticket_where(f))
    found, nxt = pagination.page(s, q, key, cursor, limit)
    return summaries(s, [(x, x.region or "") for x in found]), nxt


def ticket_row(s: Session, ticket_id: int) -> t.Ticket:
    x = s.get(t.Ticket, ticket_id)
    if x is None:
        raise NotFound(f"no ticket {ticket_id}")
    return x


def ticket_detail(s: Session, ticket_id: int) -> TicketPublic:
    x = ticket_row(s, ticket_id)
    names = technician_names(s)
    events = list(s.scalars(select(t.Event).where(t.Event.ticket_id == ticket_id)
                            .order_by(t.Event.id)))
    findings = s.scalars(select(t.FindingRow).where(t.FindingRow.ticket_id == ticket_id)
                         .order_by(t.FindingRow.ts_ms))
    bookings = list(s.scalars(select(t.Booking).where(t.Booking.ticket_id == ticket_id)
                              .order_by(t.Booking.id)))
    messages = s.scalars(select(t.OutboxEntry).where(t.OutboxEntry.ticket_id == ticket_id,
                                                     t.OutboxEntry.channel != "webhook")
                         .order_by(t.OutboxEntry.id))
    active = next((b for b in bookings if b.status == "active"), None)
    acked = next((e.data.get("by") for e in reversed(events) if e.kind == "acknowledged"), None)
    return TicketPublic(
        **_summary(x, active, names), action_reason=x.action_reason, priority_detail=x.priority,
        diagnosis=x.diagnosis, skill=x.skill, parts=x.parts, failure_window=x.failure_window,
        evidence=x.evidence, customer=x.context.get("customer"), site=x.context.get("site"),
        device=x.context.get("device"), escalation_reason=x.escalation_reason,
        closed_ms=x.closed_ms, outcome=x.outcome, outcome_cause=x.outcome_cause,
        acknowledged_by=acked,
        finding_list=[finding_public(f) for f in findings],
        bookings=[_booking(b, names) for b in bookings],
        messages=[MessagePublic(channel=m.channel, destination=m.destination,
                                subject=m.payload.get("subject"), body=m.payload.get("body"),
                                kind=m.payload.get("kind"), status=m.status,
                                created_ms=m.created_ms, sent_ms=m.sent_ms) for m in messages],
        history=[EventPublic(ts_ms=e.ts_ms, kind=e.kind, text=e.text) for e in events])


def finding_public(f: t.FindingRow) -> FindingPublic:
    return FindingPublic(id=f.id, ticket_id=f.ticket_id, device_id=f.device_id, ts_ms=f.ts_ms,
                         detector=f.detector, score=f.score, note=f.note)


def list_findings(s: Session, device_id: str | None, ticket_id: int | None,
                  detector: str | None, cursor: str | None,
                  limit: int) -> tuple[list[FindingPublic], str | None]:
    key: pagination.Key = ((t.FindingRow.ts_ms, True), (t.FindingRow.id, True))
    q = select(t.FindingRow)
    if device_id:
        q = q.where(t.FindingRow.device_id == device_id)
    if ticket_id is not None:
        q = q.where(t.FindingRow.ticket_id == ticket_id)
    if detector:
        q = q.where(t.FindingRow.detector == detector)
    if cursor:
        q = q.where(pagination.after(key, pagination.decode(cursor, 2)))
    rows = list(s.scalars(q.order_by(*pagination.order_by(key)).limit(limit + 1)))
    nxt = pagination.encode([rows[limit - 1].ts_ms, rows[limit - 1].id]) \
        if len(rows) > limit else None
    return [finding_public(f) for f in rows[:limit]], nxt


# -- devices -----------------------------------------------------------------------------

_ACTION_HEALTH: Final = {"watch": "watch", "remote_check": "remote_check", "visit": "visit"}


def _open_by_device(s: Session, ids: Sequence[str] | None) -> dict[str, list[tuple[str, str]]]:
    q = select(t.Ticket.device_id, t.Ticket.action, t.Ticket.priority_level).where(
        t.Ticket.status == t.OPEN)
    if ids is not None:
        q = q.where(t.Ticket.device_id.in_(ids))
    out: dict[str, list[tuple[str, str]]] = {}
    for device, action, level in s.execute(q):
        out.setdefault(device, []).append((action, level))
    return out


def health_of(open_tickets: Sequence[tuple[str, str]]) -> Health:
    """The worst action among the device's open tickets ("ok" without any)."""
    states = [_ACTION_HEALTH.get(a, "watch") for a, _ in open_tickets]
    return cast(Health, max(states, key=HEALTH_ORDER.index, default="ok"))


def _has_open(action: str | None = None) -> ColumnElement[bool]:
    cond = [t.Ticket.device_id == t.Device.id, t.Ticket.status == t.OPEN]
    if action:
        cond.append(t.Ticket.action == action)
    return exists().where(*cond)


def _health_where(health: str) -> ColumnElement[bool]:
    if health == "ok":
        return ~_has_open()
    worse = HEALTH_ORDER[HEALTH_ORDER.index(health) + 1:]
    return and_(_has_open(health), *[~_has_open(w) for w in worse])


def _contains(q: str) -> str:
    """A LIKE pattern for ids containing ``q`` (its own wildcards dropped)."""
    return f"%{q.replace('%', '').replace('_', '')}%"


def list_devices(s: Session, q: str | None, site: str | None, region: str | None,
                 model: str | None, health: str | None, cursor: str | None,
                 limit: int) -> tuple[list[DeviceSummary], str | None]:
    stmt = select(t.Device, t.Site.region).join(t.Site, t.Site.id == t.Device.site_id)
    if q:
        like = _contains(q)
        stmt = stmt.where(or_(t.Device.id.ilike(like), t.Device.site_id.ilike(like)))
    if site:
        stmt = stmt.where(t.Device.site_id == site)
    if region:
        stmt = stmt.where(t.Site.region == region)
    if model:
        stmt = stmt.where(t.Device.model == model)
    if health:
        stmt = stmt.where(_health_where(health))
    if cursor:
        stmt = stmt.where(t.Device.id > pagination.decode(cursor, 1)[0])
    rows = s.execute(stmt.order_by(t.Device.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    open_map = _open_by_device(s, [d.id for d, _ in rows])
    items = [device_summary(d, region_, open_map.get(d.id, [])) for d, region_ in rows]
    return items, pagination.encode([rows[-1][0].id]) if more else None


def device_summary(d: t.Device, region: str | None,
                   open_tickets: Sequence[tuple[str, str]]) -> DeviceSummary:
    levels = sorted(level for _, level in open_tickets)
    return DeviceSummary(id=d.id, site_id=d.site_id, region=region, model=d.model,
                         health=health_of(open_tickets),
                         open_tickets=len(open_tickets), worst_priority=levels[0] if levels
                         else None)


def device_row(s: Session, device_id: str) -> tuple[t.Device, t.Site, t.Customer | None]:
    d = s.get(t.Device, device_id)
    if d is None:
        raise NotFound(f"no device {device_id!r} in the directory (forewarn dispatch seed)")
    site = s.get(t.Site, d.site_id)
    assert site is not None
    return d, site, s.get(t.Customer, site.customer_id)


def regions(s: Session) -> list[str]:
    """The regions of the directory's devices, sorted (for filters)."""
    return list(s.scalars(select(t.Site.region).join(t.Device, t.Device.site_id == t.Site.id)
                          .distinct().order_by(t.Site.region)))


def models(s: Session) -> list[str]:
    """The directory's device models, sorted (for filters)."""
    return [m for m in s.scalars(select(t.Device.model).distinct().order_by(t.Device.model))
            if m]


def _p1s() -> Any:
    """``count(...)`` of the P1 tickets in a group."""
    return func.sum(case((t.Ticket.priority_level == "P1", 1), else_=0))


def _device_state() -> Any:
    """Per device with open tickets: its health as a rank (its index in
    :data:`HEALTH_ORDER`, 1 watch .. 3 visit: the worst open ticket's action, as in
    :func:`health_of`), its open tickets and P1s; devices without are absent (ok)."""
    rank = case({a: HEALTH_ORDER.index(h) for a, h in _ACTION_HEALTH.items()},
                value=t.Ticket.action, else_=HEALTH_ORDER.index("watch"))
    return (select(t.Ticket.device_id.label("device_id"), func.max(rank).label("rank"),
                   func.count().label("open"), _p1s().label("p1"))
            .where(t.Ticket.status == t.OPEN).group_by(t.Ticket.device_id)
            .subquery("device_state"))


def _health_counts(rank: Any) -> list[Any]:
    """``count(...)`` of devices in each health state, in :data:`HEALTH_ORDER`."""
    r = func.coalesce(rank, 0)
    return [func.sum(case((r == k, 1), else_=0)).label(h) for k, h in enumerate(HEALTH_ORDER)]


def _counted_health(row: Any) -> dict[str, int]:
    """A row's :func:`_health_counts` columns as ``{health: devices}``."""
    return {h: int(getattr(row, h) or 0) for h in HEALTH_ORDER}


def fleet_health(s: Session) -> tuple[int, dict[str, int], dict[str, int], list[RegionHealth]]:
    """Devices by health and open tickets by priority, in total and by region: counted
    by the database (a few aggregate queries however large the fleet)."""
    st = _device_state()
    per_region = s.execute(
        select(t.Site.region, func.count(t.Device.id).label("devices"),
               *_health_counts(st.c.rank))
        .select_from(t.Device).join(t.Site, t.Site.id == t.Device.site_id)
        .outerjoin(st, st.c.device_id == t.Device.id).group_by(t.Site.region)).all()
    region = func.coalesce(t.Site.region, "unknown")
    tickets_in = {r: (int(n), int(p1 or 0)) for r, n, p1 in s.execute(
        _with_site(select(region, func.count(), _p1s()).select_from(t.Ticket))
        .where(t.Ticket.status == t.OPEN).group_by(region))}
    booked_in = {r: int(n) for r, n in s.execute(
        _with_site(select(region, func.count()).select_from(t.Booking)
                   .join(t.Ticket, t.Ticket.id == t.Booking.ticket_id))
        .where(t.Booking.status == "active").group_by(region))}
    devices_in = {row.region: int(row.devices) for row in per_region}
    health_in = {row.region: _counted_health(row) for row in per_region}
    by_health = {h: sum(n[h] for n in health_in.values()) for h in HEALTH_ORDER}
    regions = [RegionHealth(region=r, devices=devices_in.get(r, 0),
                            by_health=health_in.get(r, dict.fromkeys(HEALTH_ORDER, 0)),
                            open_tickets=tickets_in.get(r, (0, 0))[0],
                            p1=tickets_in.get(r, (0, 0))[1], visits_booked=booked_in.get(r, 0))
               for r in sorted(set(devices_in) | set(tickets_in))]
    return sum(devices_in.values()), by_health, open_counts(s), regions


def list_sites(s: Session, region: str | None, health: str | None, q: str | None,
               cursor: str | None, limit: int) -> tuple[list[SiteHealth], str | None]:
    """Sites with their devices by health and open tickets, worst first (worst device,
    then most open tickets, then P1s, then site id), counted by the database and paged
    by cursor. ``health`` keeps the sites whose worst device is in that state."""
    st = _device_state()
    worst = func.coalesce(func.max(st.c.rank), 0)
    open_ = func.coalesce(func.sum(st.c.open), 0)
    p1 = func.coalesce(func.sum(st.c.p1), 0)
    agg = (select(t.Site.id.label("site_id"), t.Site.region.label("region"),
                  t.Site.climate.label("climate"), func.count(t.Device.id).label("devices"),
                  worst.label("worst"), open_.label("open_tickets"), p1.label("p1"),
                  *_health_counts(st.c.rank))
           .select_from(t.Site).join(t.Device, t.Device.site_id == t.Site.id)
           .outerjoin(st, st.c.device_id == t.Device.id).group_by(t.Site.id))
    if region:
        agg = agg.where(t.Site.region == region)
    if q:
        agg = agg.where(t.Site.id.ilike(_contains(q)))
    if health:
        agg = agg.having(worst == HEALTH_ORDER.index(health))
    sub = agg.subquery("site_health")
    key: pagination.Key = ((sub.c.worst, True), (sub.c.open_tickets, True), (sub.c.p1, True),
                           (sub.c.site_id, False))
    rows, nxt = pagination.page(s, select(sub), key, cursor, limit)
    return [SiteHealth(site_id=r.site_id, region=r.region, climate=r.climate,
                       devices=int(r.devices), health=HEALTH_ORDER[int(r.worst)],
                       by_health=_counted_health(r),
                       open_tickets=int(r.open_tickets), p1=int(r.p1)) for r in rows], nxt


def region_climates(s: Session) -> list[tuple[str, str, int]]:
    """(region, climate, devices) over the directory's sites: where a region's devices
    are, for the map (climates carry coordinates; sites do not)."""
    return [(str(r), str(c), int(n)) for r, c, n in s.execute(
        select(t.Site.region, t.Site.climate, func.count(t.Device.id))
        .select_from(t.Device).join(t.Site, t.Site.id == t.Device.site_id)
        .where(t.Site.climate.is_not(None)).group_by(t.Site.region, t.Site.climate))]


def open_counts(s: Session) -> dict[str, int]:
    rows = s.execute(select(t.Ticket.priority_level, func.count()).where(
        t.Ticket.status == t.OPEN).group_by(t.Ticket.priority_level))
    return {"P1": 0, "P2": 0, "P3": 0, **{level: int(n) for level, n in rows}}
