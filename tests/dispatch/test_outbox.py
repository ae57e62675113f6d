"""The outbox delivers each customer message and webhook exactly once: retried with
backoff, dead-lettered after the last attempt, and never repeated after a restart."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config import DispatchSettings
from dispatch.channels import (
    ConsoleSender,
    GatewaySender,
    SmtpSender,
    WebhookSender,
    verify_signature,
)
from dispatch.directory import seed
from dispatch.dispatcher import Dispatcher
from dispatch.outbox import Outbox, backoff_ms
from dispatch.store import connect, migrate, session_factory
from dispatch.store import tables as t
from dispatch.testing import HttpReceiver, SmtpServer
from services.process import free_port

from .conftest import NOW_MS, MakeFinding, directory


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_ms(n, 30, 200) for n in (1, 2, 3, 4, 5)] == [
        30_000, 60_000, 120_000, 200_000, 200_000]


def _entries(sessions: sessionmaker[Session], channel: str) -> list[t.OutboxEntry]:
    with sessions() as s:
        return list(s.scalars(select(t.OutboxEntry).where(t.OutboxEntry.channel == channel)
                              .order_by(t.OutboxEntry.id)))


def test_webhooks_are_retried_with_backoff_until_the_receiver_accepts_them(
        seeded: sessionmaker[Session], make_finding: MakeFinding, tmp_path: Path) -> None:
    with HttpReceiver(fail_first=3) as rx, httpx.Client() as client:
        cfg = DispatchSettings(webhook_urls=(rx.url,), webhook_secret="k" * 20,
                               labels_path=tmp_path / "l.jsonl", retry_base_s=30)
        Dispatcher(seeded, cfg).handle(make_finding(), NOW_MS)  # opened + booked
        outbox = Outbox(seeded, {"webhook": WebhookSender("k" * 20, client)}, 5, 30, 3600)
        first = outbox.deliver_due(NOW_MS)
        assert (first.sent, first.retried) == (0, 2)
        assert outbox.deliver_due(NOW_MS + 29_000).sent == 0  # still backing off
        second = outbox.deliver_due(NOW_MS + 30_000)
        assert (second.sent, second.retried) == (1, 1)  # attempt 3 fails, 4 succeeds
        assert outbox.deliver_due(NOW_MS + 60_000).sent == 0  # second backoff is 60 s
        assert outbox.deliver_due(NOW_MS + 90_000).sent == 1
        assert outbox.deliver_due(NOW_MS + 10**8).sent == 0
    events = [r.json()["event"] for r in rx.received]
    assert sorted(events) == ["ticket.booked", "ticket.opened"]
    assert len({r.headers["Idempotency-Key"] for r in rx.received}) == 2
    for r in rx.received:
        assert verify_signature("k" * 20, r.headers["X-Forewarn-Timestamp"], r.body,
                                r.headers["X-Forewarn-Signature"])
    assert [e.attempts for e in _entries(seeded, "webhook")] == [3, 2]


def test_a_webhook_that_keeps_failing_is_dead_lettered_and_the_ticket_says_so(
        seeded: sessionmaker[Session], make_finding: MakeFinding, tmp_path: Path) -> None:
    with HttpReceiver(fail_first=10**6) as rx, httpx.Client() as client:
        cfg = DispatchSettings(webhook_urls=(rx.url,), labels_path=tmp_path / "l.jsonl")
        h = Dispatcher(seeded, cfg).handle(make_finding(fails_in_h=None), NOW_MS)
        outbox = Outbox(seeded, {"webhook": WebhookSender("s", client)}, max_attempts=3,
                        retry_base_s=1, retry_max_s=1)
        reports = [outbox.deliver_due(NOW_MS + k * 1000) for k in range(6)]
    assert sum(r.dead for r in reports) == 2 and rx.attempts == 6  # 2 webhooks x 3 attempts
    assert {e.status for e in _entries(seeded, "webhook")} == {"dead"}
    with seeded() as s:
        failed = s.scalars(select(t.Event).where(t.Event.ticket_id == h.ticket_id,
                                                 t.Event.kind == "delivery_failed")).all()
    assert len(failed) == 2 and "503" in failed[0].text


def test_messages_and_webhooks_are_sent_once_across_a_restart(
        database_url: str, make_finding: MakeFinding, tmp_path: Path) -> None:
    with HttpReceiver(fail_first=2) as hook, httpx.Client() as client:
        cfg = DispatchSettings(channels=("email", "console"), smtp_port=free_port(),
                               webhook_urls=(hook.url,), labels_path=tmp_path / "l.jsonl")
        engine = connect(database_url)
        migrate(engine)
        seed(session_factory(engine), directory())
        finding = make_finding()
        Dispatcher(session_factory(engine), cfg).handle(finding, NOW_MS)
        console = io.StringIO()
        down = Outbox(session_factory(engine), {
            "email": SmtpSender("127.0.0.1", cfg.smtp_port, cfg.email_from, timeout=2),
            "console": ConsoleSender(console), "webhook": WebhookSender("s", client)},
            retry_base_s=60)
        report = down.deliver_due(NOW_MS)
        assert (report.sent, report.retried) == (1, 3)  # console sent; SMTP, 2 webhooks not
        engine.dispose()  # the process dies

        engine = connect(database_url)  # ... and starts again
        migrate(engine)
        after = Dispatcher(session_factory(engine), cfg)
        assert after.handle(finding, NOW_MS + 1000).duplicate  # findings file replayed
        with SmtpServer() as smtp:
            up = Outbox(session_factory(engine), {
                "email": SmtpSender("127.0.0.1", smtp.port, cfg.email_from),
                "console": ConsoleSender(console), "webhook": WebhookSender("s", client)},
                retry_base_s=60)
            assert up.deliver_due(NOW_MS + 30_000).sent == 0  # not due yet
            assert up.deliver_due(NOW_MS + 60_000).sent == 3
            assert up.deliver_due(NOW_MS + 10**9).sent == 0
        engine.dispose()
    assert len(smtp.messages) == 1 and console.getvalue().count("--- message to") == 1
    assert smtp.messages[0]["To"] == "kund0@example.se"
    assert "Hej Kund 0" in smtp.messages[0].get_content()
    keys = [r.headers["Idempotency-Key"] for r in hook.received]
    assert len(keys) == len(set(keys)) == 2 and hook.attempts == 4


def test_sms_goes_to_the_customers_phone_through_the_gateway_once(
        seeded: sessionmaker[Session], make_finding: MakeFinding, tmp_path: Path) -> None:
    with HttpReceiver(fail_first=1, dedupe=True) as gateway, httpx.Client() as client:
        cfg = DispatchSettings(channels=("sms",), sms_gateway_url=gateway.url,
                               labels_path=tmp_path / "l.jsonl")
        Dispatcher(seeded, cfg).handle(make_finding("hp-1"), NOW_MS)
        outbox = Outbox(seeded, {"sms": GatewaySender(gateway.url, client)}, retry_base_s=1)
        assert outbox.deliver_due(NOW_MS).retried == 1
        assert outbox.deliver_due(NOW_MS + 1000).sent == 1
    [sms] = gateway.received
    assert sms.json()["to"] == "+46700000001" and sms.json()["language"] == "en"
    assert "You don't need to do anything" in sms.json()["text"]
