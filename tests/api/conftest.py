"""Fixtures for the API: a seeded ticket database and telemetry store (built once per
session, copied for each test), API keys of every role, web users, and the app."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2; httpx is what we ship
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from api import create_app
from api.accounts import create_key, create_user
from api.testing import NOW_MS, backfill, seed_fleet
from config import Settings, load_settings
from dispatch.store import connect, migrate, session_factory
from ingest.store.embedded import EmbeddedStore

ROLES = ("planner", "technician", "integration", "admin")
PASSWORD = "correct horse battery"
N_DEVICES = 12


@dataclass(frozen=True)
class Seed:
    folder: Path
    keys: dict[str, str]
    ticket_ids: list[int]
    device_ids: list[str]


def api_settings(folder: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "tickets": {"url": f"sqlite:///{folder / 'tickets.sqlite'}"},
        "telemetry": {"store": "embedded", "embedded_path": str(folder / "telemetry.sqlite")},
        "dispatch": {"labels_path": str(folder / "labels.jsonl"), "channels": ["console"]},
        "api": {"login_attempts": 3, "stream_poll": 0.05},
        **overrides,
    }
    return load_settings(**values)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """Twelve simulated heat pumps, five tickets (four visits booked), two days of
    telemetry, a key per role and the web users anna (planner) and tom (technician)."""
    folder = tmp_path_factory.mktemp("api-seed")
    settings = api_settings(folder)
    engine = connect(settings.tickets.url)
    migrate(engine)
    from api.accounts import ensure_tables

    ensure_tables(engine)
    sessions = session_factory(engine)
    fleet = seed_fleet(sessions, settings.dispatch, N_DEVICES, NOW_MS)
    keys = {role: create_key(sessions, f"{role}-key", role, NOW_MS) for role in ROLES}
    create_user(sessions, "anna", "planner", PASSWORD, NOW_MS)
    create_user(sessions, "tom", "technician", PASSWORD, NOW_MS)
    engine.dispose()
    store = EmbeddedStore(settings.telemetry.embedded_path)
    backfill(store, N_DEVICES, NOW_MS, days=2.0, interval_s=900.0)
    store.close()
    return Seed(folder, keys, fleet.ticket_ids, fleet.device_ids)


@pytest.fixture
def folder(seeded: Seed, tmp_path: Path) -> Path:
    target = tmp_path / "api"
    shutil.copytree(seeded.folder, target)
    return target


@pytest.fixture
def settings_api(folder: Path) -> Settings:
    return api_settings(folder)


@pytest.fixture
def app(settings_api: Settings) -> Iterator[FastAPI]:
    application = create_app(settings_api, clock=lambda: NOW_MS)
    yield application
    application.state.forewarn.close()


Client = Callable[..., TestClient]


@pytest.fixture
def client(app: FastAPI, seeded: Seed) -> Client:
    """``client(role)``: a client sending that role's API key; ``client()`` sends none."""

    def make(role: str | None = None) -> TestClient:
        headers = {"Authorization": f"Bearer {seeded.keys[role]}"} if role else {}
        return TestClient(app, base_url="https://testserver", headers=headers)

    return make


@pytest.fixture
def planner(client: Client) -> TestClient:
    return client("planner")


def login(c: TestClient, user: str = "anna", password: str = PASSWORD) -> str:
    """Log ``c`` in through the web form; returns the session's CSRF token."""
    page = c.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = c.post("/login", data={"username": user, "password": password, "csrf_token": token,
                               "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    queue = c.get("/")
    return queue.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


@pytest.fixture
def log_in() -> Callable[..., str]:
    """``log_in(client, user="anna")``: web login; returns the session's CSRF token."""
    return login


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """``make_settings(folder, **overrides)``: the API's test settings for a folder."""
    return api_settings
