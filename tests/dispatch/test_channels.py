"""Channels deliver to real local servers: SMTP (aiosmtpd), HTTP gateways and webhooks."""

from __future__ import annotations

import io

import httpx
import pytest

from dispatch.channels import (
    ConsoleSender,
    Delivery,
    GatewaySender,
    SmtpSender,
    WebhookSender,
    verify_signature,
)
from dispatch.errors import DeliveryError, PermanentDeliveryError
from dispatch.testing import HttpReceiver, SmtpServer

MSG = {"subject": "En tekniker är bokad", "body": "Hej Anna!\n\nDu behöver inte göra något.",
       "language": "sv"}


def test_email_goes_over_smtp_with_its_idempotency_key_as_message_id() -> None:
    with SmtpServer() as smtp:
        SmtpSender("127.0.0.1", smtp.port, "Forewarn <s@forewarn.example>").send(
            Delivery("msg:1:booked:email", "email", "anna@example.se", MSG, 1_768_802_400_000))
    [m] = smtp.messages
    assert m["To"] == "anna@example.se" and m["Subject"] == MSG["subject"]
    assert m["X-Forewarn-Idempotency-Key"] == "msg:1:booked:email"
    assert m["Message-ID"].endswith("@forewarn>")
    assert "Du behöver inte göra något" in m.get_content()


def test_an_unreachable_smtp_server_is_a_retryable_failure() -> None:
    from services.process import free_port

    sender = SmtpSender("127.0.0.1", free_port(), "s@x", timeout=2)
    with pytest.raises(DeliveryError, match=r"SMTP 127\.0\.0\.1"):
        sender.send(Delivery("k", "email", "a@b", MSG))


def test_sms_goes_through_the_http_gateway_with_token_and_idempotency_key() -> None:
    with HttpReceiver() as rx, httpx.Client() as client:
        GatewaySender(rx.url, client, "tok").send(Delivery("msg:1:sms", "sms", "+4670", MSG))
    [r] = rx.received
    assert r.headers["Authorization"] == "Bearer tok"
    assert r.headers["Idempotency-Key"] == "msg:1:sms"
    assert r.json()["to"] == "+4670" and "Du behöver" in r.json()["text"]


def test_a_gateway_refusing_the_request_is_a_permanent_failure() -> None:
    with (HttpReceiver(fail_first=1, fail_status=400) as rx, httpx.Client() as client,
          pytest.raises(PermanentDeliveryError, match="HTTP 400")):
        GatewaySender(rx.url, client).send(Delivery("k", "sms", "+46", MSG))


def test_a_gateway_that_is_down_is_a_retryable_failure() -> None:
    with (HttpReceiver(fail_first=1) as rx, httpx.Client() as client,
          pytest.raises(DeliveryError, match="503") as info):
        GatewaySender(rx.url, client).send(Delivery("k", "sms", "+46", MSG))
    assert not isinstance(info.value, PermanentDeliveryError)


def test_webhooks_are_signed_so_the_receiver_can_verify_them() -> None:
    payload = {"event": "ticket.booked", "ticket": {"id": 1}}
    with HttpReceiver() as rx, httpx.Client() as client:
        WebhookSender("s3cret", client).send(Delivery("wh:1:0", "webhook", rx.url, payload, 5000))
    [r] = rx.received
    h = r.headers
    assert h["X-Forewarn-Event"] == "ticket.booked" and h["Idempotency-Key"] == "wh:1:0"
    assert verify_signature("s3cret", h["X-Forewarn-Timestamp"], r.body,
                            h["X-Forewarn-Signature"])
    assert not verify_signature("wrong", h["X-Forewarn-Timestamp"], r.body,
                                h["X-Forewarn-Signature"])
    assert not verify_signature("s3cret", h["X-Forewarn-Timestamp"], r.body + b" ",
                                h["X-Forewarn-Signature"])


def test_the_console_channel_prints_the_message() -> None:
    out = io.StringIO()
    ConsoleSender(out).send(Delivery("k", "console", "c1", MSG))
    assert "c1" in out.getvalue() and MSG["subject"] in out.getvalue()
