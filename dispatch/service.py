"""Wiring from settings: the database (migrated at start), the dispatcher and the outbox
with the configured channels. The only place that reads :class:`config.Settings`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import DispatchSettings, Settings
from dispatch.channels import (
    ConsoleSender,
    GatewaySender,
    Sender,
    SmtpSender,
    WebhookSender,
)
from dispatch.context import DeviceMetaLookup
from dispatch.dispatcher import Dispatcher
from dispatch.forecast import TemperatureForecast
from dispatch.intake import DispatchSink
from dispatch.outbox import Outbox
from dispatch.store import connect, migrate, session_factory


def senders(cfg: DispatchSettings, client: httpx.Client) -> dict[str, Sender]:
    """A sender for every configured channel, and the webhook sender."""
    out: dict[str, Sender] = {}
    token = cfg.gateway_token.get_secret_value() if cfg.gateway_token else None
    if "email" in cfg.channels:
        out["email"] = SmtpSender(cfg.smtp_host, cfg.smtp_port, cfg.email_from,
                                  cfg.smtp_username, cfg.smtp_password.get_secret_value()
                                  if cfg.smtp_password else None, cfg.smtp_starttls,
                                  cfg.http_timeout)
    if "sms" in cfg.channels and cfg.sms_gateway_url:
        out["sms"] = GatewaySender(cfg.sms_gateway_url, client, token)
    if "chat" in cfg.channels and cfg.chat_gateway_url:
        out["chat"] = GatewaySender(cfg.chat_gateway_url, client, token)
    if "console" in cfg.channels:
        out["console"] = ConsoleSender()
    out["webhook"] = WebhookSender(cfg.webhook_secret.get_secret_value(), client)
    return out


@dataclass
class DispatchService:
    engine: Engine
    sessions: sessionmaker[Session]
    dispatcher: Dispatcher
    outbox: Outbox
    client: httpx.Client

    def sink(self, clock: Callable[[], int] | None = None) -> DispatchSink:
        """A detect FindingSink that dispatches in this process (``forewarn detect``)."""
        return DispatchSink(self.dispatcher, clock or (lambda: int(time.time() * 1000)),
                            self.outbox)

    def close(self) -> None:
        self.client.close()
        self.engine.dispose()


def open_service(settings: Settings, forecast: TemperatureForecast | None = None,
                 device_meta: DeviceMetaLookup | None = None,
                 extra_senders: dict[str, Sender] | None = None) -> DispatchService:
    """Connect, migrate, and build the dispatcher and outbox."""
    cfg = settings.dispatch
    engine = connect(settings.tickets.url)
    migrate(engine)
    sessions = session_factory(engine)
    client = httpx.Client(timeout=cfg.http_timeout)
    dispatcher = Dispatcher(sessions, cfg, forecast, device_meta)
    outbox = Outbox(sessions, {**senders(cfg, client), **(extra_senders or {})},
                    cfg.max_attempts, cfg.retry_base_s, cfg.retry_max_s)
    return DispatchService(engine, sessions, dispatcher, outbox, client)
