"""The demo: the whole Forewarn loop on embedded defaults, needing no services."""

from demo.loop import DemoResult, TicketSummary, run_demo

__all__ = ["DemoResult", "TicketSummary", "run_demo"]
