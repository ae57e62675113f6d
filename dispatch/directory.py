"""Customers, their sites and devices, and technicians: who we serve and who can go.

No other stage knows customers or technicians, so dispatch keeps them in its own
tables, seeded from a TOML or JSON file (``forewarn dispatch seed FILE``) or, for
the demo, generated from the simulated fleet. File shape::

    [[customers]]
    id = "c1"; name = "Anna Berg"; email = "anna@example.se"; phone = "+4670..."
    language = "sv"
      [[customers.sites]]
      id = "site-1"; region = "stockholm"; climate = "stockholm"
      heat_source_role = "sole"; vulnerable = true
      devices = [{ id = "hp-1", model = "AW-8" }]

    [[technicians]]
    id = "t1"; name = "Erik"; region = "stockholm"
    skills = ["refrigeration technician (F-gas certified)", "electrician"]
"""

from __future__ import annotations

import json
import tomllib
import zlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from dispatch.booking import Technician
from dispatch.errors import DirectoryError
from dispatch.store import tables as t

#: climate -> (region, country, time zone) for simulated sites
CLIMATE_PLACES: dict[str, tuple[str, str, str]] = {
    "stockholm": ("stockholm", "SE", "Europe/Stockholm"),
    "malmo": ("malmo", "SE", "Europe/Stockholm"),
    "lulea": ("lulea", "SE", "Europe/Stockholm"),
    "oslo": ("oslo", "NO", "Europe/Oslo"),
}
SKILL_SETS: tuple[tuple[str, ...], ...] = (
    ("refrigeration technician (F-gas certified)", "heat-pump technician"),
    ("electrician", "heat-pump technician"),
    ("heating installer", "heat-pump technician"),
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceSpec(_Model):
    id: str = Field(min_length=1, max_length=64)
    model: str | None = None


class SiteSpec(_Model):
    id: str = Field(min_length=1, max_length=64)
    region: str = Field(min_length=1)
    address: str = ""
    country: str = Field("SE", pattern=r"^[A-Z]{2}$")
    subdivision: str | None = None
    timezone: str = "Europe/Stockholm"
    climate: str | None = None
    heat_source_role: str | None = Field(None, pattern=r"^(sole|primary|hybrid)$")
    vulnerable: bool = False
    devices: list[DeviceSpec] = []


class CustomerSpec(_Model):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    email: str | None = None
    phone: str | None = None
    chat_id: str | None = None
    language: str = "sv"
    sites: list[SiteSpec] = []


class TechnicianSpec(_Model):
    id: str = Field(min_length=1, max_length=64)
    name: str
    skills: list[str] = Field(min_length=1)
    region: str
    work_start_h: int = Field(8, ge=0, le=23)
    work_end_h: int = Field(16, ge=1, le=24)
    workdays: list[int] = [0, 1, 2, 3, 4]
    timezone: str = "Europe/Stockholm"
    country: str = "SE"

    def technician(self) -> Technician:
        return Technician(self.id, self.name, tuple(self.skills), self.region, self.work_start_h,
                          self.work_end_h, tuple(self.workdays), self.timezone, self.country)


class Directory(_Model):
    customers: list[CustomerSpec] = []
    technicians: list[TechnicianSpec] = []


def load_directory(path: Path) -> Directory:
    """Read a TOML or JSON directory file; errors name the file and the bad entry."""
    try:
        raw = path.read_bytes()
        data: Any = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
        return Directory.model_validate(data)
    except OSError as exc:
        raise DirectoryError(f"cannot read directory file {path}: {exc}") from exc
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DirectoryError(f"{path} is not valid {path.suffix[1:].upper()}: {exc}") from exc
    except ValidationError as exc:
        raise DirectoryError(f"{path}: {exc}") from exc


def directory_from_fleet(n_devices: int, seed: int, technicians_per_region: int = 3,
                         id_prefix: str = "sim") -> Directory:
    """A customer per simulated site and a few technicians per region (the demo)."""
    from simulators.devices import build_fleet

    devices, _, _ = build_fleet(n_devices, seed, None, id_prefix)
    customers = []
    regions: set[str] = set()
    for d in devices:
        region, country, tz = CLIMATE_PLACES.get(d.climate, (d.climate, "SE", "Europe/Stockholm"))
        regions.add(region)
        household = d.meta.get("household") or {}
        lang = "en" if country == "NO" else "sv"
        site = SiteSpec(id=d.site, region=region, country=country, timezone=tz, climate=d.climate,
                        heat_source_role=d.meta.get("heat_source_role"),
                        vulnerable=bool(household.get("vulnerable", False)),
                        devices=[DeviceSpec(id=d.device_id, model=d.model)])
        customers.append(CustomerSpec(id=f"cust-{d.site}", name=f"Customer {d.site}",
                                      email=f"{d.site}@customers.example", language=lang,
                                      phone=f"+4670{zlib.crc32(d.site.encode()) % 10**7:07d}",
                                      sites=[site]))
    techs = []
    for region in sorted(regions):
        _, country, tz = CLIMATE_PLACES.get(region, (region, "SE", "Europe/Stockholm"))
        for k in range(technicians_per_region):
            techs.append(TechnicianSpec(id=f"tech-{region}-{k + 1}",
                                        name=f"Technician {region.title()} {k + 1}",
                                        skills=list(SKILL_SETS[k % len(SKILL_SETS)]),
                                        region=region, timezone=tz, country=country))
    return Directory(customers=customers, technicians=techs)


def seed(sessions: sessionmaker[Session], directory: Directory) -> tuple[int, int, int]:
    """Insert or update everything in ``directory``; returns (customers, devices, technicians)."""
    n_dev = 0
    with sessions.begin() as s:
        for c in directory.customers:
            s.merge(t.Customer(id=c.id, name=c.name, email=c.email, phone=c.phone,
                               chat_id=c.chat_id, language=c.language))
            for site in c.sites:
                s.merge(t.Site(id=site.id, customer_id=c.id, address=site.address,
                               region=site.region, country=site.country,
                               subdivision=site.subdivision, timezone=site.timezone,
                               climate=site.climate, heat_source_role=site.heat_source_role,
                               vulnerable=site.vulnerable))
                for d in site.devices:
                    s.merge(t.Device(id=d.id, site_id=site.id, model=d.model, facts={}))
                    n_dev += 1
        for tech in directory.technicians:
            s.merge(t.TechnicianRow(id=tech.id, name=tech.name, skills=list(tech.skills),
                                    region=tech.region, work_start_h=tech.work_start_h,
                                    work_end_h=tech.work_end_h, workdays=list(tech.workdays),
                                    timezone=tech.timezone, country=tech.country))
    return len(directory.customers), n_dev, len(directory.technicians)


def technicians(session: Session) -> list[Technician]:
    rows = session.query(t.TechnicianRow).order_by(t.TechnicianRow.id).all()
    return [Technician(r.id, r.name, tuple(r.skills), r.region, r.work_start_h, r.work_end_h,
                       tuple(r.workdays), r.timezone, r.country) for r in rows]
