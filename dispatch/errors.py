"""Errors raised by dispatch, one tree::

    DispatchError
    ├── StoreError            the ticket database cannot be reached, migrated or written
    ├── DirectoryError        a customers/technicians file is missing or malformed
    ├── IntakeError           a findings file cannot be read
    └── DeliveryError         one delivery attempt failed (retried by the outbox)
        └── PermanentDeliveryError   the receiver refused for good (dead-lettered at once)
"""

from __future__ import annotations


class DispatchError(Exception):
    """Base class of every error dispatch raises."""


class StoreError(DispatchError):
    """The ticket database cannot be reached, migrated or written."""


class DirectoryError(DispatchError):
    """A customers/technicians file is missing or malformed."""


class IntakeError(DispatchError):
    """A findings file cannot be read."""


class DeliveryError(DispatchError):
    """One attempt to deliver a message or webhook failed; it is retried."""


class PermanentDeliveryError(DeliveryError):
    """The receiver refused the delivery for good (e.g. HTTP 400): it is dead-lettered."""
