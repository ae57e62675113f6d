"""Delivery channels behind one interface: e-mail (SMTP), SMS and chat (HTTP gateway),
console, and signed webhooks.

A :class:`Sender` gets one :class:`Delivery` (a plain value, never a database row)
and either returns or raises :class:`~dispatch.errors.DeliveryError` (try again
later) or :class:`~dispatch.errors.PermanentDeliveryError` (the receiver refused for
good). Every delivery carries its idempotency key to the receiver (the
``Idempotency-Key`` header, or the e-mail's ``Message-ID``), so a retry after a
crash between sending and recording is recognised as the same message.

Webhook bodies are signed: ``X-Forewarn-Signature: sha256=<hex>`` is the HMAC-SHA256,
keyed with the shared secret, of ``<X-Forewarn-Timestamp>.<body>``. Receivers check
it with :func:`verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol, TextIO

import httpx

from dispatch.errors import DeliveryError, PermanentDeliveryError


@dataclass(frozen=True)
class Delivery:
    key: str
    channel: str
    destination: str
    payload: dict[str, Any]
    now_ms: int = 0


class Sender(Protocol):
    def send(self, delivery: Delivery) -> None:
        """Deliver, or raise DeliveryError / PermanentDeliveryError."""
        ...


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class SmtpSender:
    """E-mail over SMTP (optionally STARTTLS and login)."""

    def __init__(self, host: str, port: int, sender: str, username: str | None = None,
                 password: str | None = None, starttls: bool = False,
                 timeout: float = 10.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls = username, password, starttls
        self.timeout = timeout

    def send(self, delivery: Delivery) -> None:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = delivery.destination
        msg["Subject"] = delivery.payload["subject"]
        msg["Message-ID"] = f"<{key_digest(delivery.key)}@forewarn>"
        msg["Date"] = formatdate(delivery.now_ms / 1000 if delivery.now_ms else None)
        msg["Content-Language"] = delivery.payload.get("language", "sv")
        msg["X-Forewarn-Idempotency-Key"] = delivery.key
        msg.set_content(delivery.payload["body"])
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(
                f"SMTP server {self.host}:{self.port} refused {delivery.destination}: {exc}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> None:
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"POST {url}: {exc}") from exc
    code = response.status_code
    if code < 300:
        return
    text = response.text[:200]
    if 400 <= code < 500 and code not in (408, 409, 425, 429):
        raise PermanentDeliveryError(f"POST {url} refused with HTTP {code}: {text}")
    raise DeliveryError(f"POST {url} answered HTTP {code}: {text}")


class GatewaySender:
    """SMS or chat through an HTTP gateway: POST ``{"to", "text", "idempotency_key"}``."""

    def __init__(self, url: str, client: httpx.Client, token: str | None = None) -> None:
        self.url, self.client, self.token = url, client, token

    def send(self, delivery: Delivery) -> None:
        p = delivery.payload
        body = json.dumps({"to": delivery.destination, "text": f"{p['subject']}\n\n{p['body']}",
                           "language": p.get("language"), "idempotency_key": delivery.key},
                          ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": delivery.key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        _post(self.client, self.url, body, headers)


class ConsoleSender:
    """Prints messages (the demo)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, delivery: Delivery) -> None:
        out = self.stream or sys.stdout
        p = delivery.payload
        out.write(f"--- message to {delivery.destination} [{p.get('language')}] ---\n"
                  f"{p['subject']}\n\n{p['body']}\n")
        out.flush()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """True when ``header`` is the signature of ``body`` sent at ``timestamp``."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


class WebhookSender:
    """POSTs the event as JSON to the entry's URL, HMAC-signed, with its idempotency key."""

    def __init__(self, secret: str, client: httpx.Client) -> None:
        self.secret, self.client = secret, client

    def send(self, delivery: Delivery) -> None:
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True,
                          ensure_ascii=False).encode()
        ts = str(delivery.now_ms // 1000)
        headers = {"Content-Type": "application/json", "Idempotency-Key": delivery.key,
                   "X-Forewarn-Event": str(delivery.payload.get("event", "")),
                   "X-Forewarn-Timestamp": ts,
                   "X-Forewarn-Signature": signature(self.secret, ts, body)}
        _post(self.client, delivery.destination, body, headers)
