"""The demo: the whole Forewarn loop as separate components over MQTT, on embedded defaults."""

from demo.loop import DemoResult, TicketSummary, demo_plan
from demo.pipeline import Demo, DemoOptions, Status

__all__ = ["Demo", "DemoOptions", "DemoResult", "Status", "TicketSummary", "demo_plan"]
