"""What the fleet sends over MQTT, step by step, with optional real-world untidiness.

Pure: it turns frames into messages (topic, payload, retain) and tells the
adapter which devices drop their connection or come back. With
:class:`Realism` switched on, devices

* go offline now and then (an unclean drop: the broker publishes their Last Will),
  keep their readings, and send the backlog as batches when they reconnect;
* send a few readings twice, and a few out of order;
* send a small share of malformed messages (bad JSON, missing fields, wrong
  types, impossible values) on top of their good readings, which ingest must
  dead-letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ingest.contract import DEFAULT_PREFIX, Channel, DeviceTopic
from simulators.devices import DeviceInfo
from simulators.fleet import Frame
from simulators.payloads import (
    batch_payload,
    encode,
    event_payload,
    meta_payload,
    reading_dicts,
    status_payload,
)

BACKLOG_BATCH = 1000  # readings per batch message (the contract allows 10,000)


@dataclass(frozen=True, slots=True)
class Realism:
    """How untidy the devices are. All zero (the default): perfectly behaved devices."""

    offline_per_day: float = 0.0  # chance per device and day of dropping off the network
    offline_hours: tuple[float, float] = (0.5, 8.0)
    duplicate_share: float = 0.0
    out_of_order_share: float = 0.0
    malformed_share: float = 0.0

    def __post_init__(self) -> None:
        if self.offline_per_day < 0:
            raise ValueError(f"offline_per_day {self.offline_per_day} must not be negative")
        for name in ("duplicate_share", "out_of_order_share", "malformed_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} {value} must be between 0 and 1")

    @classmethod
    def typical(cls) -> Realism:
        """A fleet as seen in the field: a few drops a month, rare glitches."""
        return cls(offline_per_day=0.02, duplicate_share=0.002, out_of_order_share=0.002,
                   malformed_share=0.001)


@dataclass(frozen=True, slots=True)
class Outgoing:
    device: int
    topic: str
    payload: bytes
    retain: bool = False


@dataclass(slots=True)
class WireStep:
    """What to do, in order: drop ``disconnect``, reconnect ``connect``, publish ``messages``."""

    disconnect: list[int] = field(default_factory=list)
    connect: list[int] = field(default_factory=list)
    messages: list[Outgoing] = field(default_factory=list)


class Wire:
    def __init__(self, devices: Sequence[DeviceInfo], realism: Realism = Realism(),
                 seed: int = 0, prefix: str = DEFAULT_PREFIX) -> None:
        self.devices = list(devices)
        self.realism = realism
        self._rng = np.random.default_rng([seed, 0x3172E])
        self._topics = [{c: str(DeviceTopic(d.site, d.device_id, c, prefix)) for c in Channel}
                        for d in self.devices]
        n = len(self.devices)
        self.offline_until = np.full(n, -np.inf)
        self._backlog: list[list[dict[str, Any]]] = [[] for _ in range(n)]
        self._held: dict[int, bytes] = {}

    def topic(self, device: int, channel: Channel) -> str:
        return self._topics[device][channel]

    def hello(self, ts_ms: int) -> list[Outgoing]:
        """Retained metadata and an ``online`` status for every device (after connecting)."""
        out = []
        for i, d in enumerate(self.devices):
            out.append(Outgoing(i, self.topic(i, Channel.META), meta_payload(d), retain=True))
            out.append(Outgoing(i, self.topic(i, Channel.STATUS), status_payload(True, ts_ms),
                                retain=True))
        return out

    def goodbye(self, ts_ms: int) -> list[Outgoing]:
        """A clean ``offline`` status from every device still online (before disconnecting)."""
        return [Outgoing(i, self.topic(i, Channel.STATUS), status_payload(False, ts_ms), True)
                for i in range(len(self.devices)) if self.offline_until[i] < 0]

    def bring_back(self, ts_ms: int) -> WireStep:
        """End of the run: every offline device reconnects and sends its backlog; held
        out-of-order readings go out. Nothing a device measured stays unsent."""
        out = WireStep()
        for i in np.flatnonzero(self.offline_until >= 0).tolist():
            self.offline_until[i] = -np.inf
            out.connect.append(i)
            out.messages.extend(self._return(i, ts_ms))
        for i, payload in sorted(self._held.items()):
            out.messages.append(Outgoing(i, self.topic(i, Channel.TELEMETRY), payload))
        self._held.clear()
        return out

    def _return(self, i: int, ts_ms: int) -> list[Outgoing]:
        """An ``online`` status, then the backlog in batches."""
        out = [Outgoing(i, self.topic(i, Channel.STATUS), status_payload(True, ts_ms), True)]
        backlog, self._backlog[i] = self._backlog[i], []
        for k in range(0, len(backlog), BACKLOG_BATCH):
            out.append(Outgoing(i, self.topic(i, Channel.TELEMETRY),
                                batch_payload(backlog[k:k + BACKLOG_BATCH])))
        return out

    def step(self, frame: Frame, interval_s: float) -> WireStep:
        r, rng, t = self.realism, self._rng, frame.t_s
        n = len(self.devices)
        draws = rng.random((5, n))
        out = WireStep()
        back = np.flatnonzero((self.offline_until >= 0) & (self.offline_until <= t))
        for i in back.tolist():
            self.offline_until[i] = -np.inf
            out.connect.append(i)
            out.messages.extend(self._return(i, frame.ts_ms))
        leaving = (self.offline_until < 0) & (draws[0] < r.offline_per_day * interval_s / 86_400)
        leaving[back] = False  # just back: stays for at least one reading
        for i in np.flatnonzero(leaving).tolist():
            lo, hi = r.offline_hours
            self.offline_until[i] = t + (lo + (hi - lo) * draws[1, i]) * 3600.0
            out.disconnect.append(i)
        offline = self.offline_until >= 0
        for event in frame.events:
            out.messages.append(Outgoing(event.device, self.topic(event.device, Channel.EVENT),
                                         event_payload(event, frame.ts_ms)))
        for i, reading in enumerate(reading_dicts(frame)):
            if offline[i]:
                self._backlog[i].append(reading)
                continue
            topic = self.topic(i, Channel.TELEMETRY)
            payload = encode(reading)
            if draws[2, i] < r.out_of_order_share and i not in self._held:
                self._held[i] = payload
                continue
            out.messages.append(Outgoing(i, topic, payload))
            if i in self._held:
                out.messages.append(Outgoing(i, topic, self._held.pop(i)))
            if draws[3, i] < r.duplicate_share:
                out.messages.append(Outgoing(i, topic, payload))
            if draws[4, i] < r.malformed_share:
                out.messages.append(Outgoing(i, topic, _malformed(reading, rng)))
        return out


def _malformed(reading: dict[str, Any], rng: np.random.Generator) -> bytes:
    """A broken variant of ``reading``: the kinds of garbage real gateways send."""
    kind = int(rng.integers(5))
    if kind == 0:
        whole = encode(reading)
        return whole[: max(5, len(whole) // 2)]  # truncated JSON
    if kind == 1:
        return b"\xff\xfenot json at all"
    bad = dict(reading)
    if kind == 2:
        bad.pop("ts")
    elif kind == 3:
        bad["signals"] = {**reading["signals"], "supply_temp": "hot"}
    else:
        bad["signals"] = {**reading["signals"], "supply_temp": 999.0}
    return encode(bad)
