"""Full context for a ticket: customer, site and device facts, from the directory tables or,
for a device nobody has registered, from the metadata the device publishes itself."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dispatch.store import tables as t
from ingest.errors import IngestError
from ingest.store.base import TelemetryStore

DeviceMetaLookup = Callable[[str], Mapping[str, Any] | None]
log = logging.getLogger(__name__)


def store_meta_lookup(store: TelemetryStore) -> DeviceMetaLookup:
    """Device metadata from the telemetry store; a store that is down gives nothing (the
    ticket is still opened, from the directory alone)."""

    def lookup(device_id: str) -> Mapping[str, Any] | None:
        try:
            meta = store.latest_meta(device_id)
        except IngestError as exc:
            log.warning("no metadata for %s from the telemetry store: %s", device_id, exc)
            return None
        return meta.doc if meta else None

    return lookup


@dataclass(frozen=True)
class SiteFacts:
    """What priority and booking need to know about where the device is."""

    region: str | None
    country: str
    subdivision: str | None
    timezone: str
    climate: str | None
    heat_source_role: str | None
    vulnerable: bool


def gather(session: Session, device_id: str, meta: DeviceMetaLookup | None,
           default_country: str, default_timezone: str) -> dict[str, Any]:
    """The snapshot written on a ticket: ``{"customer": ..., "site": ..., "device": ...}``."""
    device = session.get(t.Device, device_id)
    doc = dict(meta(device_id) or {}) if meta else {}
    out: dict[str, Any] = {"customer": None, "site": None,
                           "device": {"id": device_id, "model": doc.get("model"),
                                      "firmware": doc.get("firmware"),
                                      "installed": doc.get("installed"),
                                      "capacity_kw": doc.get("capacity_kw")}}
    if device is not None:
        out["device"]["model"] = out["device"]["model"] or device.model
        out["device"].update({k: v for k, v in device.facts.items() if v is not None})
        site = session.get(t.Site, device.site_id)
        if site is not None:
            out["site"] = {"id": site.id, "address": site.address, "region": site.region,
                           "country": site.country, "subdivision": site.subdivision,
                           "timezone": site.timezone, "climate": site.climate,
                           "heat_source_role": site.heat_source_role,
                           "vulnerable": site.vulnerable}
            c = session.get(t.Customer, site.customer_id)
            if c is not None:
                out["customer"] = {"id": c.id, "name": c.name, "email": c.email,
                                   "phone": c.phone, "chat_id": c.chat_id,
                                   "language": c.language}
    if out["site"] is None and doc:
        location = doc.get("location") or {}
        household = doc.get("household") or {}
        out["site"] = {"id": None, "address": "", "region": location.get("climate"),
                       "country": default_country, "subdivision": None,
                       "timezone": default_timezone, "climate": location.get("climate"),
                       "heat_source_role": doc.get("heat_source_role"),
                       "vulnerable": bool(household.get("vulnerable", False))}
    return out


def site_facts(context: Mapping[str, Any], default_country: str,
               default_timezone: str) -> SiteFacts:
    site = context.get("site") or {}
    return SiteFacts(site.get("region"), site.get("country") or default_country,
                     site.get("subdivision"), site.get("timezone") or default_timezone,
                     site.get("climate"), site.get("heat_source_role"),
                     bool(site.get("vulnerable", False)))
