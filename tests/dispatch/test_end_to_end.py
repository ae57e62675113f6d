"""End to end: a simulated heat pump develops a refrigerant leak; its findings open one
ticket, a technician is booked before the failure (and before the customer would have
noticed), the customer gets an e-mail over real SMTP and the field-service system a
signed webhook over real HTTP; the repair closes the ticket and counts as prevented."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import select

from config import load_settings
from detect.detector import Evidence
from detect.diagnosis import Diagnosis
from detect.findings import Finding
from detect.sink import JsonLinesSink
from detect.ttf import FailureWindow
from dispatch import FindingsFollower, close_ticket, kpis, open_service, read_labels, views
from dispatch.channels import verify_signature
from dispatch.directory import directory_from_fleet, seed
from dispatch.forecast import SimulatedForecast
from dispatch.store import tables as t
from dispatch.testing import HttpReceiver, SmtpServer
from simulators.devices import SIGNAL_NAMES
from simulators.fleet import Fleet
from simulators.plan import parse_plan

START_S = 1_768_176_000.0  # Monday 2026-01-12 00:00 UTC
HOUR_S, DAY_S = 3600.0, 86_400.0
SECRET = "e2e-webhook-secret-0123456789"


def simulate_leak() -> tuple[Fleet, np.ndarray, np.ndarray]:
    """Two heat pumps for nine days; sim-00000 leaks refrigerant from day 0.5 on."""
    ids = ["sim-00000", "sim-00001"]
    plan = parse_plan([{"device": ids[0], "fault": "refrigerant_leak", "onset_day": 0.5,
                        "progression_days": 6}], ids, START_S, 0)
    fleet = Fleet(2, seed=7, start_s=START_S, interval_s=HOUR_S, plan=plan)
    frames = [fleet.step() for _ in range(9 * 24)]
    times = np.array([f.t_s for f in frames])
    subcooling = np.array([f.values[0, SIGNAL_NAMES.index("subcooling")] for f in frames])
    return fleet, times, subcooling


def leak_finding(times: np.ndarray, subcooling: np.ndarray, at_s: float,
                 failure_s: float) -> Finding:
    """What the residual detector reports at ``at_s``: subcooling far below the device's
    own normal over the last day, and a failure window around the coming failure."""
    normal = float(np.nanmean(subcooling[:12]))
    recent = (times > at_s - DAY_S) & (times <= at_s)
    observed = subcooling[recent]
    evidence = Evidence.from_arrays(("subcooling",), (times[recent] * 1000).astype(np.int64),
                                    {"subcooling": observed},
                                    {"subcooling": np.full(observed.shape, normal)})
    ms = int(failure_s * 1000)
    window = FailureWindow(ms, ms - int(1.5 * DAY_S * 1000), ms + int(1.5 * DAY_S * 1000),
                           "subcooling", round(1 - float(np.nanmean(observed)) / normal, 3), 0.8)
    return Finding("sim-00000", int(at_s * 1000), "residual_cusum", 9.5, 5.0, ("subcooling",),
                   Diagnosis.of("refrigerant_leak", 0.86), evidence, window)


def test_a_leaking_heat_pump_is_repaired_before_the_customer_notices(
        postgres_url: str, tmp_path: Path) -> None:
    fleet, times, subcooling = simulate_leak()
    failure_s, notice_s = float(fleet.failure_s[0]), float(fleet.notice_s[0])
    assert np.isfinite(failure_s) and np.isfinite(notice_s) and notice_s < failure_s
    assert np.nanmean(subcooling[-24:]) < 0.5 * np.nanmean(subcooling[:12])

    with SmtpServer() as smtp, HttpReceiver(fail_first=2) as webhook:
        settings = load_settings(tickets={"url": postgres_url}, environment="test", dispatch={
            "channels": ["email"], "smtp_port": smtp.port, "webhook_urls": [webhook.url],
            "webhook_secret": SECRET, "labels_path": str(tmp_path / "labels.jsonl"),
            "retry_base_s": 30})
        service = open_service(settings, SimulatedForecast(fleet.weather))
        seed(service.sessions, directory_from_fleet(2, seed=7))
        findings_file = tmp_path / "findings.jsonl"
        detect_side = JsonLinesSink(findings_file)
        follower = FindingsFollower(service.dispatcher, findings_file)

        # detect reports the leak three times, six hours apart, from Thursday on
        for k in range(3):
            at_s = START_S + 3 * DAY_S + k * 6 * HOUR_S
            detect_side.put([leak_finding(times, subcooling, at_s, failure_s)])
            follower.poll(int(at_s * 1000) + 60_000)
            for retry in range(4):  # the webhook receiver fails twice first
                service.outbox.deliver_due(int(at_s * 1000) + 60_000 + retry * 60_000)

        with service.sessions() as s:
            [ticket] = s.scalars(select(t.Ticket)).all()
            [booking] = s.scalars(select(t.Booking)).all()
            view = views.ticket(s, ticket.id)
        assert view is not None and ticket.finding_count == 3 and ticket.action == "visit"
        assert booking.end_ms < notice_s * 1000 < failure_s * 1000
        assert booking.technician_id.startswith("tech-malmo")
        factors = {f["name"]: f for f in view["priority"]["factors"]}
        assert factors["weekend_or_holiday"]["value"] == 1.0  # it would fail on a Sunday
        assert "°C" in factors["cold_ahead"]["reason"]
        assert view["evidence"]["expected"]["subcooling"]
        assert view["customer"]["email"] == "malmo-00000@customers.example"

        [mail] = smtp.messages
        assert mail["To"] == "malmo-00000@customers.example"
        body = mail.get_content()
        assert "köldmedieläckage" in body and "Du behöver inte göra något" in body
        assert "Technician Malmo" in body
        events = [r.json()["event"] for r in webhook.received]
        assert events == ["ticket.opened", "ticket.booked"]
        for r in webhook.received:
            assert verify_signature(SECRET, r.headers["X-Forewarn-Timestamp"], r.body,
                                    r.headers["X-Forewarn-Signature"])
        assert webhook.received[1].json()["booking"]["start_ms"] == booking.start_ms

        visited = booking.start_ms + 3_600_000
        close_ticket(service.dispatcher, ticket.id, "fault_confirmed", visited,
                     cause="leaking Schrader valve", visited_ms=visited)
        service.outbox.deliver_due(visited)
        with service.sessions() as s:
            result = kpis.from_database(s, visited)
        service.close()
    assert result.failures_prevented == 1 and result.promises_kept == 1
    assert result.repair_margin_h is not None and result.repair_margin_h > 24
    assert [lab["label"] for lab in read_labels(tmp_path / "labels.jsonl")] == ["fault"]
    assert [r.json()["event"] for r in webhook.received][-1] == "ticket.closed"
