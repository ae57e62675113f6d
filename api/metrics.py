"""Prometheus metrics of one app (its own registry, no module-level globals).

``forewarn_api_requests_total`` and ``forewarn_api_request_seconds`` by method, route
template and status; ``forewarn_open_tickets`` by priority, read at scrape time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("forewarn_api_requests", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("forewarn_api_request_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))

    def track_open_tickets(self, count: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_OpenTickets(count))


class _OpenTickets(Collector):
    def __init__(self, count: Callable[[], dict[str, int]]) -> None:
        self.count = count

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily("forewarn_open_tickets", "Open tickets by priority",
                                  labels=["priority"])
        try:
            for level, n in sorted(self.count().items()):
                gauge.add_metric([level], n)
        except Exception:  # the ticket store is down: /readyz says so, scraping goes on
            return []
        return [gauge]


class MetricsMiddleware:
    """Counts and times every request by its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route: Any = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], name, str(status[0])).inc()
            self.metrics.latency.labels(scope["method"], name).observe(
                time.perf_counter() - start)
