"""Real local receivers for testing deliveries: an HTTP receiver (webhooks, SMS and chat
gateways) and an SMTP server. Both listen on 127.0.0.1 and record what arrives.

>>> with HttpReceiver(fail_first=1) as rx:
...     import httpx
...     [httpx.post(rx.url, json={"a": 1}).status_code for _ in range(2)]
[503, 200]
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.process import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A threaded HTTP server that answers ``fail_status`` to the first ``fail_first`` POSTs
    and 200 after; ``dedupe`` drops repeats of an ``Idempotency-Key`` (as gateways do)."""

    fail_first: int = 0
    fail_status: int = 503
    dedupe: bool = False
    received: list[Received] = field(default_factory=list)
    attempts: int = 0

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.attempts += 1
                    failing = receiver.attempts <= receiver.fail_first
                    key = self.headers.get("Idempotency-Key")
                    seen = receiver.dedupe and any(
                        r.headers.get("Idempotency-Key") == key for r in receiver.received)
                    if not failing and not seen:
                        receiver.received.append(Received(self.path, dict(self.headers), body))
                self.send_response(receiver.fail_status if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._lock = threading.Lock()
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> HttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a free loopback port; ``messages`` as received."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        server = self
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any,
                                  envelope: Any) -> str:
                server.messages.append(email.message_from_bytes(
                    envelope.content, _class=EmailMessage, policy=email.policy.default))
                server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                return "250 OK"

        self.port = free_port()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
