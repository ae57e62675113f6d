"""Dispatch: findings become one prioritised, explained, booked ticket per real problem.

Functional core (pure, time passed in): :mod:`~dispatch.problems` (correlation),
:mod:`~dispatch.policy` (watch / remote check / visit), :mod:`~dispatch.priority`
(explainable factors), :mod:`~dispatch.booking` (slots before failure),
:mod:`~dispatch.messages` (Swedish and English customer messages), :mod:`~dispatch.kpis`.
Edges: :mod:`~dispatch.store` (SQLAlchemy + Alembic), :mod:`~dispatch.dispatcher` (and
:func:`replay` of recorded findings),
:mod:`~dispatch.outbox` and :mod:`~dispatch.channels` (SMTP, HTTP gateways, webhooks),
:mod:`~dispatch.feedback` (outcomes, labels for detect), :mod:`~dispatch.intake`.
"""

from dispatch.channels import Delivery, Sender, verify_signature
from dispatch.dispatcher import Dispatcher, Handled, replay
from dispatch.errors import (
    DeliveryError,
    DirectoryError,
    DispatchError,
    IntakeError,
    PermanentDeliveryError,
    StoreError,
)
from dispatch.feedback import close_ticket, read_labels, suppressed
from dispatch.forecast import FixedForecast, NoForecast, SimulatedForecast, TemperatureForecast
from dispatch.intake import DispatchSink, FindingsFollower
from dispatch.outbox import Outbox
from dispatch.service import DispatchService, open_service

__all__ = [
    "Delivery",
    "DeliveryError",
    "DirectoryError",
    "DispatchError",
    "DispatchService",
    "DispatchSink",
    "Dispatcher",
    "FindingsFollower",
    "FixedForecast",
    "Handled",
    "IntakeError",
    "NoForecast",
    "Outbox",
    "PermanentDeliveryError",
    "Sender",
    "SimulatedForecast",
    "StoreError",
    "TemperatureForecast",
    "close_ticket",
    "open_service",
    "read_labels",
    "replay",
    "suppressed",
    "verify_signature",
]
