"""The simulator's errors, one tree::

    SimulatorError
    ├── FaultPlanError      a fault plan file or entry that cannot be used
    └── PublishError        the broker refused or dropped the fleet, or stopped acknowledging
"""

from __future__ import annotations


class SimulatorError(Exception):
    """Base of every error the simulator raises on purpose."""


class FaultPlanError(SimulatorError, ValueError):
    """A fault plan that cannot be used; the message names the entry and the problem."""


class PublishError(SimulatorError):
    """Publishing to the MQTT broker failed; the message says which broker and what to check."""
