"""Errors of the detect stage, one tree::

    DetectError                 anything detect raises on purpose
    ├── ModelError              a model cannot be fitted, loaded or saved
    │   └── NoModelError        a device (or the fleet) has no model yet: train first
    ├── ShardError              a ``--shard i/N`` that is not a valid shard
    └── SinkError               findings could not be handed on
"""

from __future__ import annotations


class DetectError(Exception):
    """Base of every error the detect stage raises on purpose."""


class ModelError(DetectError):
    """A model could not be fitted, loaded or saved."""


class NoModelError(ModelError):
    """No model exists yet for a device or the fleet."""


class ShardError(DetectError, ValueError):
    """A shard specification that is not ``i/N`` with ``0 <= i < N``."""


class SinkError(DetectError):
    """A finding sink could not take findings."""
