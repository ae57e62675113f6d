"""End to end in headless Chromium: a planner logs in, opens the top ticket, sees its
chart, reschedules the visit and closes the ticket; the queue updates itself live.
Screenshots of the main screens go to ``.forewarn/screenshots``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery"
WAIT_MS = 10_000


@pytest.fixture
def page(chromium: Any, live_server: str) -> Iterator[Page]:
    context = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(WAIT_MS)
    p = context.new_page()
    yield p
    context.close()


def log_in(page: Page, user: str = "anna") -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Proactive tickets")).to_be_visible()


def test_a_planner_works_the_top_ticket_from_queue_to_close(page: Page,
                                                           screenshots: Path) -> None:
    page.goto("/login")
    page.screenshot(path=str(screenshots / "login.png"))
    log_in(page)
    rows = page.locator("#rows tr")
    expect(rows).to_have_count(5)
    expect(page.locator("#live")).to_contain_text("Live")
    page.screenshot(path=str(screenshots / "queue.png"), full_page=True)

    top = page.locator("a.ticket-link").first
    title = top.inner_text()
    top.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title.split(" ", 1)[0])
    chart = page.locator("figure.chart-box svg.chart").first
    expect(chart).to_be_visible()
    expect(chart.locator("path.chart-line")).to_have_count(2)  # expected and observed
    expect(chart.locator("rect.chart-window").first).to_be_visible()  # failure window
    slot = page.get_by_test_id("booked-slot")
    before = slot.inner_text()
    page.screenshot(path=str(screenshots / "ticket.png"), full_page=True)

    page.get_by_role("button", name="Reschedule to next free slot").click()
    expect(page.get_by_role("status")).to_contain_text("Rescheduled")
    expect(slot).not_to_have_text(before)
    expect(page.locator(".message").last).to_contain_text("")
    expect(page.locator("ol.history li").first).to_contain_text("rescheduled by anna")

    page.get_by_label("Outcome", exact=True).select_option("fault_confirmed")
    page.get_by_label("Cause (what was wrong)").fill("leaking flare nut, resealed")
    page.get_by_role("button", name="Close ticket").click()
    expect(page.get_by_role("status")).to_contain_text("Closed")
    expect(page.locator(".ticket-head")).to_contain_text("closed (fault confirmed)")
    expect(page.get_by_role("button", name="Close ticket")).to_have_count(0)
    expect(page.get_by_test_id("done-slot")).to_contain_text("Visited")
    page.screenshot(path=str(screenshots / "ticket-closed.png"), full_page=True)

    page.goto("/")
    expect(rows).to_have_count(4)


def test_device_and_fleet_pages_show_telemetry_and_health(page: Page, screenshots: Path) -> None:
    log_in(page)
    page.goto("/devices/sim-00000?range=24h")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(5)
    expect(charts.first.locator("path.chart-line").first).to_have_attribute(
        "d", re.compile(r"^M[\d.]+,[\d.]+L"))
    page.get_by_role("link", name="7d").click()
    expect(page).to_have_url(re.compile(r"range=7d"))
    page.screenshot(path=str(screenshots / "device.png"), full_page=True)
    page.goto("/fleet")
    expect(page.get_by_role("heading", name="Fleet health")).to_be_visible()
    expect(page.locator(".tile").first).to_contain_text("12")
    sites = page.locator("#site-table")
    expect(sites.get_by_role("columnheader", name="Open tickets")).to_be_visible()
    expect(sites.locator("tbody tr")).to_have_count(12)
    expect(page.locator("svg.map a.map-area").first).to_be_visible()
    page.screenshot(path=str(screenshots / "fleet.png"), full_page=True)
    page.get_by_label("Worst device").select_option("visit")
    page.get_by_role("button", name="Show sites").click()
    expect(page).to_have_url(re.compile(r"health=visit"))
    expect(sites.locator("tbody tr").first).to_contain_text("visit")
    sites.locator("tbody tr th a").first.click()
    expect(page.get_by_role("heading", name="Devices")).to_be_visible()
    expect(page.locator("#device-table tbody tr")).to_have_count(1)
    page.screenshot(path=str(screenshots / "devices.png"), full_page=True)


def test_the_fleet_page_fits_a_tablet_and_its_map_works_by_keyboard(
        chromium: Any, live_server: str, screenshots: Path) -> None:
    context = chromium.new_context(base_url=live_server, viewport={"width": 768, "height": 1024})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        log_in(page)
        page.goto("/fleet")
        expect(page.locator("#site-table")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        page.screenshot(path=str(screenshots / "fleet-tablet.png"), full_page=True)
        area = page.locator("svg.map a.map-area").first
        area.focus()
        expect(area).to_be_focused()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/fleet\?region=\w+"))
        expect(page.locator("#site-table tbody tr").first).to_be_visible()
    finally:
        context.close()


def test_the_queue_updates_itself_when_a_ticket_changes(page: Page, live_server: str,
                                                        seeded: Any) -> None:
    log_in(page)
    expect(page.locator("#live")).to_contain_text("Live")
    r = httpx.post(f"{live_server}/api/v1/tickets/2/reschedule",
                   headers={"Authorization": f"Bearer {seeded.keys['planner']}"})
    assert r.status_code == 200, r.text
    expect(page.locator("#live")).to_contain_text("Queue updated")


def test_the_queue_works_by_keyboard_on_a_tablet(chromium: Any, live_server: str,
                                                 screenshots: Path) -> None:
    context = chromium.new_context(base_url=live_server, viewport={"width": 768, "height": 1024})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        log_in(page)
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text("Skip to content")
        page.screenshot(path=str(screenshots / "queue-tablet.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 768  # nothing overflows sideways
        page.locator("a.ticket-link").first.focus()
        page.keyboard.press("Enter")
        expect(page.locator("svg.chart").first).to_be_visible()
        page.screenshot(path=str(screenshots / "ticket-tablet.png"), full_page=True)
    finally:
        context.close()


def test_the_api_documentation_renders_offline(page: Page, screenshots: Path) -> None:
    page.goto("/docs")
    expect(page.locator(".swagger-ui .title").first).to_contain_text("Forewarn")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/tickets").first
           ).to_be_visible()
    page.screenshot(path=str(screenshots / "docs.png"))
