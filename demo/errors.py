"""What can stop the demo, each with a message that says what to do."""

from __future__ import annotations


class DemoError(Exception):
    """The demo cannot start or go on (a component failed); the message says why."""
