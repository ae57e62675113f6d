"""Two dispatchers sharing one PostgreSQL database never double-open a ticket and never
double-book a technician, however their work interleaves."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
from sqlalchemy import select

from config import DispatchSettings
from dispatch.channels import WebhookSender
from dispatch.directory import seed
from dispatch.dispatcher import Dispatcher, Handled
from dispatch.forecast import FixedForecast
from dispatch.outbox import Outbox, enqueue
from dispatch.store import connect, migrate, session_factory
from dispatch.store import tables as t
from dispatch.testing import HttpReceiver

from .conftest import HOUR_MS, NOW_MS, directory, finding


def test_two_dispatchers_racing_on_the_same_findings(postgres_url: str) -> None:
    engines = [connect(postgres_url) for _ in range(2)]
    for e in engines:
        migrate(e)  # both start at once in production too; the second is a no-op
    seed(session_factory(engines[0]), directory(n_sites=12, technicians=2))
    cfg = DispatchSettings(channels=("console",), webhook_urls=("http://127.0.0.1:9/h",))
    dispatchers = [Dispatcher(session_factory(e), cfg, FixedForecast(-5.0)) for e in engines]
    # 12 devices x 3 findings each (two detectors agree, one repeat later): both get all
    findings = [finding(f"hp-{i}", ts_ms=NOW_MS + k * HOUR_MS, detector=d, fails_in_h=120)
                for i in range(12) for k, d in ((0, "residual"), (0, "pca"), (1, "residual"))]
    barrier = threading.Barrier(2)
    results: list[list[Handled]] = [[], []]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            order = findings if n == 0 else findings[::-1]
            results[n] = [dispatchers[n].handle(f, NOW_MS) for f in order]
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not errors, errors

    with dispatchers[0].sessions() as s:
        tickets = s.scalars(select(t.Ticket)).all()
        bookings = s.scalars(select(t.Booking).where(t.Booking.status != "cancelled")).all()
        taken = s.scalars(select(t.FindingRow)).all()
        messages = s.scalars(select(t.OutboxEntry.key).where(
            t.OutboxEntry.channel == "console")).all()
    assert sorted(x.device_id for x in tickets) == sorted(f"hp-{i}" for i in range(12))
    assert all(x.finding_count == 3 for x in tickets)
    assert len(taken) == len(findings)
    per_ticket = Counter(b.ticket_id for b in bookings)
    assert len(bookings) == 12 and set(per_ticket.values()) == {1}
    windows = Counter((b.technician_id, b.start_ms) for b in bookings)
    assert max(windows.values()) == 1, "a technician was double-booked"
    assert len(messages) == len(set(messages)) == 12
    assert sum(h.created for r in results for h in r) == 12
    for e in engines:
        e.dispose()


def test_two_processes_migrating_a_fresh_database_at_once(postgres_url: str) -> None:
    engines = [connect(postgres_url) for _ in range(3)]
    revisions: list[str | None] = []
    threads = [threading.Thread(target=lambda e=e: revisions.append(migrate(e)))
               for e in engines]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert len(revisions) == 3 and len(set(revisions)) == 1 and revisions[0] is not None
    for e in engines:
        e.dispose()


def test_two_outbox_workers_never_send_the_same_webhook_twice(postgres_url: str) -> None:
    engine = connect(postgres_url)
    migrate(engine)
    sessions = session_factory(engine)
    with HttpReceiver() as rx, httpx.Client() as client:
        with sessions.begin() as s:
            for i in range(40):
                enqueue(s, f"wh:{i}", "webhook", rx.url, {"event": "e", "n": i}, NOW_MS)
        workers = [Outbox(session_factory(connect(postgres_url)),
                          {"webhook": WebhookSender("s", client)}) for _ in range(2)]
        barrier = threading.Barrier(2)
        sent = [0, 0]

        def work(n: int) -> None:
            barrier.wait()
            sent[n] = workers[n].deliver_due(NOW_MS).sent

        threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
    keys = [r.headers["Idempotency-Key"] for r in rx.received]
    assert sorted(keys) == sorted(f"wh:{i}" for i in range(40))  # each exactly once
    assert sum(sent) == 40 and min(sent) > 0  # and both workers did part of it
    for w in workers:
        w.sessions.kw["bind"].dispose()
    engine.dispose()
