"""The fleet on a real MQTT broker: one paho connection per device, each with its Last Will.

One thread drives every connection through a selector (paho's external-loop
API), so a thousand devices need a thousand sockets but no thousand threads.
Publishing is QoS 1 with flow control: at most ``max_in_flight`` messages may be
unacknowledged by the broker; past that :meth:`FleetPublisher.publish` waits,
so the fleet goes exactly as fast as the broker takes it.

Nothing outside this module sees a paho object.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from config.settings import MQTTSettings
from ingest.contract import Channel
from ingest.mqtt import apply_auth
from simulators.errors import PublishError
from simulators.payloads import status_payload
from simulators.wire import Outgoing, Wire, WireStep

STALL_S = 30.0  # no acknowledgement for this long: the broker is gone


class FleetPublisher:
    """Connects every device of ``wire`` to the broker in ``settings`` and publishes for them."""

    def __init__(self, settings: MQTTSettings, wire: Wire, client_id_prefix: str = "forewarn-sim",
                 max_in_flight: int = 2000) -> None:
        self.settings = settings
        self.wire = wire
        self.max_in_flight = max_in_flight
        self.acknowledged = 0
        self._pending = [0] * len(wire.devices)  # unacknowledged, per device
        self._total = 0  # over all devices
        self._parked = 0  # of devices whose connection dropped: resent when they reconnect
        self._is_parked = [False] * len(wire.devices)
        self._sel = selectors.DefaultSelector()
        self._closing = False
        self._last_ts = 0
        self._connected = [False] * len(wire.devices)
        self._refused: dict[int, str] = {}
        self._last_misc = time.monotonic()
        self._last_ack = time.monotonic()
        self._clients = [self._client(i, f"{client_id_prefix}-{d.device_id}")
                         for i, d in enumerate(wire.devices)]

    def _client(self, index: int, client_id: str) -> mqtt.Client:
        s = self.settings
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, userdata=index,
                        protocol=mqtt.MQTTv5 if s.mqtt5 else mqtt.MQTTv311)
        apply_auth(c, s)
        c.max_inflight_messages_set(100)
        c.max_queued_messages_set(0)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        c.on_socket_open = self._on_socket_open
        c.on_socket_close = self._on_socket_close
        return c

    @property
    def in_flight(self) -> int:
        """Messages the broker has not acknowledged yet, except those of dropped devices."""
        return self._total - self._parked

    def _park(self, index: int, parked: bool) -> None:
        """A dropped device's unacknowledged messages wait for its reconnect, not for flush."""
        if self._is_parked[index] != parked:
            self._is_parked[index] = parked
            self._parked += self._pending[index] if parked else -self._pending[index]

    # paho callbacks -----------------------------------------------------------------------
    def _on_connect(self, client: Any, index: int, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._refused[index] = str(reason)
        else:
            self._connected[index] = True

    def _on_disconnect(self, client: Any, index: int, flags: Any, reason: Any, props: Any) -> None:
        self._connected[index] = False
        if not self._closing:
            self._park(index, True)

    def _on_publish(self, client: Any, index: int, mid: int, reason: Any, props: Any) -> None:
        self._pending[index] -= 1
        self._total -= 1
        if self._is_parked[index]:
            self._parked -= 1
        self.acknowledged += 1
        self._last_ack = time.monotonic()

    def _on_socket_open(self, client: Any, index: int, sock: Any) -> None:
        self._sel.register(sock, selectors.EVENT_READ, client)

    def _on_socket_close(self, client: Any, index: int, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._sel.unregister(sock)

    # connections --------------------------------------------------------------------------
    def _set_will(self, index: int, ts_ms: int) -> None:
        topic = self.wire.topic(index, Channel.STATUS)
        self._clients[index].will_set(topic, status_payload(False, ts_ms), qos=1, retain=True)

    def _open(self, index: int, ts_ms: int, first: bool) -> None:
        self._last_ts = ts_ms
        self._set_will(index, ts_ms)
        c, s = self._clients[index], self.settings
        try:
            if first:
                c.connect(s.host, s.port, keepalive=int(s.keepalive))
            else:
                c.reconnect()
        except (OSError, ssl.SSLError) as exc:
            raise PublishError(f"cannot connect to the MQTT broker at {s.url}: {exc}; "
                               "is it running (forewarn services up) and is [mqtt] url right?"
                               ) from exc

    def connect(self, ts_ms: int, timeout: float = 30.0) -> None:
        """Connect every device (Last Will: a retained ``offline`` status) and wait for all."""
        for i in range(len(self._clients)):
            self._open(i, ts_ms, first=True)
            if i % 50 == 49:
                self.pump(0)
        deadline = time.monotonic() + timeout
        while not all(self._connected) and time.monotonic() < deadline:
            if self._refused:
                index, reason = next(iter(self._refused.items()))
                raise PublishError(f"the broker at {self.settings.url} refused device "
                                   f"{self.wire.devices[index].device_id}: {reason}; check "
                                   "[mqtt] username, password and the broker's ACLs")
            self.pump(0.05)
        if not all(self._connected):
            missing = self._connected.count(False)
            raise PublishError(f"{missing} devices got no answer from {self.settings.url} "
                               f"within {timeout:.0f} s")

    def drop(self, index: int) -> None:
        """Lose device ``index``'s connection without a DISCONNECT: the broker sends its Will."""
        sock: Any = self._clients[index].socket()
        if sock is not None:
            self._on_socket_close(None, index, sock)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            self._clients[index].loop_read()
        self._connected[index] = False
        self._park(index, True)

    def reconnect(self, index: int, ts_ms: int) -> None:
        """Connect a dropped device again; paho resends what the broker had not acknowledged."""
        self._park(index, False)
        self._open(index, ts_ms, first=False)

    def is_connected(self, index: int) -> bool:
        return self._connected[index]

    # publishing ---------------------------------------------------------------------------
    def publish(self, message: Outgoing) -> None:
        """Publish with QoS 1, first waiting while too many messages are unacknowledged."""
        while self.in_flight >= self.max_in_flight:
            self.pump(0.05)
            if time.monotonic() - self._last_ack > STALL_S:
                raise PublishError(f"the broker at {self.settings.url} acknowledged nothing for "
                                   f"{STALL_S:.0f} s with {self.in_flight} messages in flight")
        if self.in_flight == 0:
            self._last_ack = time.monotonic()
        info = self._clients[message.device].publish(message.topic, message.payload, qos=1,
                                                    retain=message.retain)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            raise PublishError("paho's outgoing queue is full")
        self._pending[message.device] += 1
        self._total += 1
        if self._is_parked[message.device]:
            self._parked += 1

    def publish_all(self, messages: Iterable[Outgoing]) -> None:
        for message in messages:
            self.publish(message)

    def apply(self, step: WireStep, ts_ms: int) -> None:
        """Carry out one :class:`WireStep`: drops, reconnects, then messages in order."""
        self._last_ts = ts_ms
        for index in step.disconnect:
            self.drop(index)
        for index in step.connect:
            self.reconnect(index, ts_ms)
        self.publish_all(step.messages)
        self.pump(0)

    # the network loop ---------------------------------------------------------------------
    def pump(self, timeout: float) -> None:
        """Move bytes for every connection, waiting up to ``timeout`` s for the broker."""
        for c in self._clients:
            if c.want_write():
                c.loop_write()
        for key, _ in self._sel.select(timeout):
            key.data.loop_read()
        now = time.monotonic()
        if now - self._last_misc >= 1.0:
            self._last_misc = now
            for c in self._clients:
                c.loop_misc()

    def wait_until(self, deadline: float) -> None:
        """Keep the connections alive until ``time.monotonic()`` reaches ``deadline``."""
        while (left := deadline - time.monotonic()) > 0:
            self.pump(min(left, 0.2))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until the broker has acknowledged everything; False if it did not in time."""
        deadline = time.monotonic() + timeout
        while self.in_flight > 0 and time.monotonic() < deadline:
            self.pump(0.05)
        return self.in_flight == 0

    def close(self, goodbye: Sequence[Outgoing] = ()) -> None:
        """Publish ``goodbye`` (clean ``offline`` statuses), flush and disconnect cleanly.

        Devices whose connection dropped reconnect first, so paho resends what the
        broker never acknowledged.
        """
        for index, parked in enumerate(self._is_parked):
            if parked:
                self.reconnect(index, self._last_ts)
        for message in goodbye:
            if self._connected[message.device]:
                self.publish(message)
        self.flush(10.0)
        self._closing = True
        for i, c in enumerate(self._clients):
            if self._connected[i]:
                c.disconnect()
        for _ in range(20):
            self.pump(0.01)
        for c in self._clients:
            sock = c.socket()
            if sock is not None:
                self._on_socket_close(c, 0, sock)
                sock.close()
        self._sel.close()
