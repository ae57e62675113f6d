"""Every endpoint but health needs credentials; each role sees and does only what it may."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.testclient import TestClient

from api import create_app
from api.accounts import LoginFailure
from api.errors import ConfigError
from api.testing import NOW_MS
from config import Settings

PUBLIC = {"/healthz", "/readyz"}


def concrete(path: str) -> str:
    return (path.replace("{ticket_id}", "1").replace("{device_id}", "sim-00000")
            .replace("{technician_id}", "tech-stockholm-1").replace("{name}", "x"))


def test_every_endpoint_but_health_refuses_a_caller_without_credentials(
        app: FastAPI, client: Callable[..., TestClient]) -> None:
    c = client()
    assert c.get("/openapi.json").status_code == 200  # the schema is public, the data not
    paths: dict[str, Any] = app.openapi()["paths"]
    checked = 0
    for path, ops in paths.items():
        for method in ops:
            r = c.request(method.upper(), concrete(path))
            if path in PUBLIC:
                assert r.status_code in (200, 503), (method, path)
            else:
                assert r.status_code == 401, (method, path, r.status_code)
                assert "authentication required" in r.json()["detail"]
                checked += 1
    assert checked >= 15


def test_an_unknown_or_revoked_key_is_refused(client: Callable[..., TestClient]) -> None:
    c = client()
    r = c.get("/api/v1/tickets", headers={"Authorization": "Bearer fwk_not-a-real-key"})
    assert r.status_code == 401 and "unknown or revoked" in r.json()["detail"]
    admin = client("admin")
    created = admin.post("/api/v1/keys", json={"name": "crm", "role": "integration"}).json()
    assert c.get("/api/v1/tickets", headers={"X-API-Key": created["key"]}).status_code == 200
    assert admin.delete("/api/v1/keys/crm").status_code == 204
    assert c.get("/api/v1/tickets", headers={"X-API-Key": created["key"]}).status_code == 401


@pytest.mark.parametrize(("role", "method", "path", "body"), [
    ("technician", "POST", "/api/v1/tickets/1/reschedule", {}),
    ("technician", "POST", "/api/v1/tickets/1/reassign", {"technician_id": "tech-malmo-2"}),
    ("technician", "POST", "/api/v1/tickets/1/acknowledge", None),
    ("technician", "GET", "/api/v1/kpis", None),
    ("technician", "GET", "/api/v1/stream/tickets", None),
    ("integration", "POST", "/api/v1/tickets/1/close", {"outcome": "no_fault_found"}),
    ("integration", "POST", "/api/v1/tickets/1/reschedule", {}),
    ("integration", "GET", "/api/v1/kpis", None),
    ("planner", "GET", "/metrics", None),
    ("planner", "GET", "/api/v1/keys", None),
    ("planner", "POST", "/api/v1/keys", {"name": "x", "role": "admin"}),
    ("technician", "DELETE", "/api/v1/keys/planner-key", None),
])
def test_a_role_is_refused_what_it_may_not_do(client: Callable[..., TestClient], role: str,
                                              method: str, path: str, body: Any) -> None:
    r = client(role).request(method, path, json=body)
    assert r.status_code == 403
    assert f"role '{role}' may not" in r.json()["detail"]


@pytest.mark.parametrize(("role", "method", "path", "body"), [
    ("technician", "POST", "/api/v1/tickets/1/notes", {"text": "parts ordered"}),
    ("technician", "POST", "/api/v1/tickets/1/close",
     {"outcome": "fault_confirmed", "cause": "leaking flare nut"}),
    ("integration", "POST", "/api/v1/tickets/1/notes", {"text": "CRM case 4411"}),
    ("integration", "GET", "/metrics", None),
    ("planner", "GET", "/api/v1/kpis", None),
    ("admin", "GET", "/api/v1/keys", None),
])
def test_a_role_may_do_what_its_work_needs(client: Callable[..., TestClient], role: str,
                                           method: str, path: str, body: Any) -> None:
    r = client(role).request(method, path, json=body)
    assert r.status_code in (200, 201), r.text


def test_keys_are_stored_hashed_and_listed_without_the_key(
        app: FastAPI, client: Callable[..., TestClient]) -> None:
    admin = client("admin")
    created = admin.post("/api/v1/keys", json={"name": "bi-tool", "role": "integration"})
    assert created.status_code == 201
    key = created.json()["key"]
    listed = admin.get("/api/v1/keys").json()
    assert {"bi-tool", "planner-key"} <= {k["name"] for k in listed}
    assert key not in str(listed)
    engine = app.state.forewarn.engine
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT digest FROM api_keys").scalars().all()
    assert key not in stored and all(len(d) == 64 for d in stored)
    again = admin.post("/api/v1/keys", json={"name": "bi-tool", "role": "integration"})
    assert again.status_code == 409


def test_a_session_cookie_without_the_csrf_token_cannot_change_anything(
        client: Callable[..., TestClient], log_in: Callable[..., str]) -> None:
    c = client()
    csrf = log_in(c)
    assert c.get("/api/v1/tickets").status_code == 200  # reading needs no token
    r = c.post("/api/v1/tickets/1/notes", json={"text": "hi"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = c.post("/api/v1/tickets/1/notes", json={"text": "hi"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201


def test_the_session_cookie_is_secure_http_only_and_same_site(
        client: Callable[..., TestClient], log_in: Callable[..., str]) -> None:
    c = client()
    page = c.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = c.post("/login", data={"username": "anna", "password": "correct horse battery",
                               "csrf_token": token}, follow_redirects=False)
    cookie = next(v for k, v in r.headers.multi_items()
                  if k == "set-cookie" and v.startswith("forewarn_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "samesite=lax" in cookie.lower()


def test_logins_are_rate_limited(client: Callable[..., TestClient]) -> None:
    c = client()
    statuses = []
    for _ in range(5):
        page = c.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = c.post("/login", data={"username": "anna", "password": "wrong password!",
                                   "csrf_token": token})
        statuses.append(r.status_code)
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]


def _fail_login(c: TestClient, user: str) -> int:
    page = c.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return c.post("/login", data={"username": user, "password": "wrong password!",
                                  "csrf_token": token}).status_code


def test_the_login_limit_is_shared_by_every_process_on_the_database(
        client: Callable[..., TestClient], settings_api: Settings) -> None:
    other = create_app(settings_api, clock=lambda: NOW_MS)  # a second worker process
    try:
        with TestClient(other, base_url="https://testserver") as second:
            first = client()
            assert [_fail_login(first, "tom"), _fail_login(second, "tom"),
                    _fail_login(first, "tom")] == [401, 401, 401]
            assert _fail_login(second, "tom") == 429
            r = second.post("/login", data={"username": "tom", "password": "x",
                                             "csrf_token": "x"})
            assert r.status_code == 400  # a forged form is refused before counting
    finally:
        other.state.forewarn.close()


def test_a_login_succeeding_clears_the_name_but_not_the_address(
        client: Callable[..., TestClient], log_in: Callable[..., str]) -> None:
    c = client()
    assert [_fail_login(c, "anna"), _fail_login(c, "anna")] == [401, 401]
    log_in(c, "anna")  # anna may try again; the address keeps its two failures
    assert [_fail_login(c, "tom"), _fail_login(c, "anna")] == [401, 429]


def test_a_login_form_without_its_token_is_refused(client: Callable[..., TestClient]) -> None:
    r = client().post("/login", data={"username": "anna", "password": "correct horse battery",
                                      "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 400 and "expired" in r.text


def test_production_refuses_the_development_session_secret(
        settings_api: Settings, make_settings: Callable[..., Settings], folder: Any) -> None:
    with pytest.raises(ConfigError, match="session_secret"):
        create_app(make_settings(folder, environment="production"))


def test_failed_logins_leave_the_window_and_are_forgotten(app: FastAPI) -> None:
    limiter = app.state.forewarn.login_limiter  # 3 per 300 s in the tests
    for t in (1000.0, 1010.0, 1020.0):
        assert limiter.retry_after("u:eve", t) == 0
        limiter.hit("u:eve", t)
    assert limiter.retry_after("u:eve", 1030.0) == 270.0  # until the first is 300 s old
    assert limiter.retry_after("u:eve", 1300.0) == 0
    limiter.hit("u:eve", 2000.0)  # prunes what no window counts any more
    with app.state.forewarn.readers() as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 1
