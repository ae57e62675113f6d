"""Customers and technicians are seeded from a TOML/JSON file or the simulated fleet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dispatch.directory import directory_from_fleet, load_directory, seed, technicians
from dispatch.errors import DirectoryError
from dispatch.store import tables as t

TOML = """
[[customers]]
id = "c1"
name = "Anna Berg"
email = "anna@example.se"
language = "sv"
  [[customers.sites]]
  id = "site-1"
  region = "stockholm"
  heat_source_role = "sole"
  vulnerable = true
  devices = [{ id = "hp-1", model = "AW-8" }]

[[technicians]]
id = "t1"
name = "Erik"
region = "stockholm"
skills = ["refrigeration technician (F-gas certified)"]
work_start_h = 7
"""


def test_a_toml_directory_is_loaded_and_seeded_twice_without_duplicates(
        sqlite_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = tmp_path / "directory.toml"
    path.write_text(TOML)
    directory = load_directory(path)
    assert seed(sqlite_sessions, directory) == (1, 1, 1)
    assert seed(sqlite_sessions, directory) == (1, 1, 1)
    with sqlite_sessions() as s:
        site = s.get(t.Site, "site-1")
        assert site is not None and site.vulnerable and site.customer_id == "c1"
        [tech] = technicians(s)
    assert tech.work_start_h == 7 and tech.can_do("refrigeration technician")


def test_json_works_too(tmp_path: Path) -> None:
    path = tmp_path / "directory.json"
    path.write_text(json.dumps({"technicians": [{"id": "t", "name": "T", "region": "r",
                                                 "skills": ["electrician"]}]}))
    assert load_directory(path).technicians[0].technician().can_do("electrician")


@pytest.mark.parametrize(("text", "message"), [
    ("[[technicians]]\nid = 't'\n", "name"),
    ("[[customers]]\nid = 'c'\nname = 'C'\nfavourite = 1\n", "favourite"),
    ("not toml at all [", "not valid TOML"),
])
def test_a_bad_directory_file_names_the_file_and_the_problem(tmp_path: Path, text: str,
                                                             message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(DirectoryError, match=message) as info:
        load_directory(path)
    assert "bad.toml" in str(info.value)


def test_a_missing_file_is_a_directory_error(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="cannot read"):
        load_directory(tmp_path / "missing.toml")


def test_the_demo_directory_has_a_customer_per_device_and_every_skill_in_every_region() -> None:
    d = directory_from_fleet(20, seed=2)
    assert len(d.customers) == 20
    assert d == directory_from_fleet(20, seed=2)  # deterministic
    regions = {s.region for c in d.customers for s in c.sites}
    for region in regions:
        techs = [x.technician() for x in d.technicians if x.region == region]
        for skill in ("refrigeration technician", "electrician", "heating installer",
                      "heat-pump technician"):
            assert any(x.can_do(skill) for x in techs), (region, skill)
