"""The web app's pages and forms over HTTP: login, CSRF on every form, roles, errors."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

Login = Callable[..., str]


def test_pages_need_a_login_and_send_you_back_after_it(client: Callable[..., TestClient]
                                                       ) -> None:
    c = client()
    r = c.get("/tickets/1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/tickets/1"
    page = c.get("/login?next=/tickets/1")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = c.post("/login", data={"username": "anna", "password": "correct horse battery",
                               "csrf_token": token, "next": "/tickets/1"},
               follow_redirects=False)
    assert r.headers["location"] == "/tickets/1"


def test_login_never_redirects_off_site(client: Callable[..., TestClient]) -> None:
    c = client()
    page = c.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = c.post("/login", data={"username": "anna", "password": "correct horse battery",
                               "csrf_token": token, "next": "//evil.example/"},
               follow_redirects=False)
    assert r.headers["location"] == "/"


def test_every_page_renders_for_a_planner(client: Callable[..., TestClient],
                                          log_in: Login) -> None:
    c = client()
    log_in(c)
    for path, text in [("/", "Proactive tickets"), ("/?priority=P2&action=visit", "P2"),
                       ("/queue/rows", "<tr>"), ("/tickets/1", "What we noticed"),
                       ("/tickets/5", "No visit planned"),
                       ("/devices/sim-00000", "Temperatures"),
                       ("/devices/sim-00000?range=30d", 'aria-current="true">30d'),
                       ("/fleet", "failures prevented"), ("/fleet", "Sites, worst first"),
                       ("/fleet?health=visit&region=&q=", 'class="tag bad">visit'),
                       ("/devices", "sim-00000"), ("/devices?health=visit", "visit"),
                       ("/devices?site=nowhere", "No devices match")]:
        r = c.get(path)
        assert r.status_code == 200, path
        assert text in r.text, path
    assert "<svg" in c.get("/tickets/1").text


def test_a_form_without_the_csrf_token_is_refused(client: Callable[..., TestClient],
                                                  log_in: Login) -> None:
    c = client()
    log_in(c)
    r = c.post("/tickets/1/reschedule", data={"csrf_token": "forged"})
    assert r.status_code == 403 and "CSRF" in r.text and "<html" in r.text


def test_forms_act_and_come_back_with_what_happened(client: Callable[..., TestClient],
                                                    log_in: Login) -> None:
    c = client()
    csrf = log_in(c)
    r = c.post("/tickets/1/notes", data={"csrf_token": csrf, "text": "called the customer"})
    assert "Note added." in r.text and "anna: called the customer" in r.text
    r = c.post("/tickets/1/acknowledge", data={"csrf_token": csrf})
    assert "acknowledged by anna" in r.text
    r = c.post("/tickets/1/close", data={"csrf_token": csrf, "outcome": "fault_confirmed"})
    assert "Say what the fault was" in r.text
    r = c.post("/tickets/1/close", data={"csrf_token": csrf, "outcome": "no_fault_found"})
    assert "Closed: no_fault_found." in r.text
    r = c.post("/tickets/1/reschedule", data={"csrf_token": csrf})
    assert "is closed" in r.text  # shown as an error on the page, not a crash


def test_a_technician_sees_the_ticket_but_not_the_planner_buttons(
        client: Callable[..., TestClient], log_in: Login) -> None:
    c = client()
    csrf = log_in(c, "tom")
    page = c.get("/tickets/1").text
    assert "Close ticket" in page and "Reschedule" not in page
    r = c.post("/tickets/1/reschedule", data={"csrf_token": csrf})
    assert r.status_code == 403 and "may not act" in r.text


def test_unknown_things_get_a_friendly_404(client: Callable[..., TestClient],
                                           log_in: Login) -> None:
    c = client()
    log_in(c)
    r = c.get("/tickets/424242")
    assert r.status_code == 404 and "Not found" in r.text and "Traceback" not in r.text
    assert c.get("/devices/ghost").status_code == 404


def test_logging_out_ends_the_session(client: Callable[..., TestClient], log_in: Login) -> None:
    c = client()
    csrf = log_in(c)
    r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.headers["location"] == "/login"
    assert c.get("/", follow_redirects=False).status_code == 303


def test_the_fleet_page_maps_regions_and_pages_through_sites(
        client: Callable[..., TestClient], log_in: Login) -> None:
    c = client()
    log_in(c)
    page = c.get("/fleet").text
    assert 'class="chart map"' in page and page.count('class="map-area"') >= 1
    assert "devices," in page and "need attention (" in page  # each circle says its figures
    rows = page.split('id="site-table"')[1].split("</tbody>")[0].count('<th scope="row">')
    assert rows == 12  # every simulated device has its own site: all on one page
    healthy = c.get("/fleet", params={"health": "ok"}).text
    assert 'class="tag bad"' not in healthy.split('id="site-table"')[1]
    bad = c.get("/fleet", params={"health": "broken"})
    assert bad.status_code == 422
