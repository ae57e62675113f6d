"""Devices behind a gateway that uploads their readings in batches (pure).

Each device still measures every ``interval_s``; every ``every`` readings it sends
them as one ``{"readings": [...]}`` message (the contract's batch), and error events
as they happen. That is how many installations talk to the cloud, and it lets a
pure-Python broker carry a month of a fleet in a couple of minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingest.contract import DEFAULT_PREFIX, Channel
from simulators.devices import DeviceInfo
from simulators.fleet import Frame
from simulators.payloads import batch_payload, event_payload, reading_dicts
from simulators.wire import Outgoing, Wire, WireStep


class GatewayWire(Wire):
    """A :class:`~simulators.wire.Wire` of well-behaved devices that send every ``every``
    readings as one batch."""

    def __init__(self, devices: Sequence[DeviceInfo], every: int,
                 prefix: str = DEFAULT_PREFIX) -> None:
        if every < 1:
            raise ValueError(f"every must be at least 1 reading, not {every}")
        super().__init__(devices, prefix=prefix)
        self.every = every
        self._pending: list[list[dict[str, Any]]] = [[] for _ in self.devices]

    def step(self, frame: Frame, interval_s: float) -> WireStep:
        out = WireStep()
        for event in frame.events:
            out.messages.append(Outgoing(event.device, self.topic(event.device, Channel.EVENT),
                                         event_payload(event, frame.ts_ms)))
        for i, reading in enumerate(reading_dicts(frame)):
            self._pending[i].append(reading)
        if len(self._pending[0]) >= self.every:
            out.messages.extend(self._upload())
        return out

    def bring_back(self, ts_ms: int) -> WireStep:
        """End of the run: what the gateways still hold goes out."""
        out = super().bring_back(ts_ms)
        out.messages.extend(self._upload())
        return out

    def _upload(self) -> list[Outgoing]:
        out = [Outgoing(i, self.topic(i, Channel.TELEMETRY), batch_payload(pending))
               for i, pending in enumerate(self._pending) if pending]
        self._pending = [[] for _ in self.devices]
        return out
