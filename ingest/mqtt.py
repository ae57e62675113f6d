"""The MQTT edge: a paho-mqtt 2.x consumer that hands :class:`Message` values to the worker.

- MQTT 5, QoS 1, persistent session: fixed client id, ``clean_start=False`` and a
  session expiry, so the broker keeps queueing while ingest is down.
- Manual acknowledgements: a message is acknowledged only when the worker says its
  readings are durable (:meth:`MQTTConsumer.ack`). A message received on an earlier
  connection is never acknowledged on a later one (packet ids are reused across
  connections); the broker redelivers it and the rewrite is harmless.
- Shared subscription ``$share/<group>/<prefix>/#`` splits the fleet across workers;
  status and metadata are also subscribed unshared so every worker sees the retained
  latest state on first start.
- Automatic reconnect with exponential backoff (paho's loop).
- With ``mqtt.protocol = "3.1.1"`` (brokers without MQTT 5, like the demo's embedded
  one): a persistent session (``clean_session=False``), no shared subscription, so
  one worker takes the whole fleet.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from config import MQTTSettings
from ingest.logs import event

log = logging.getLogger("ingest.mqtt")


def apply_auth(client: paho.Client, settings: MQTTSettings) -> None:
    """Credentials and TLS of ``settings`` on a paho client: the one place every Forewarn
    MQTT connection (ingest, the simulator, the API's readiness check) is set up from."""
    if settings.username:
        password = settings.password.get_secret_value() if settings.password else None
        client.username_pw_set(settings.username, password)
    if settings.uses_tls:
        tls = settings.tls
        client.tls_set(ca_certs=str(tls.ca_file) if tls.ca_file else None,
                       certfile=str(tls.cert_file) if tls.cert_file else None,
                       keyfile=str(tls.key_file) if tls.key_file else None,
                       cert_reqs=ssl.CERT_REQUIRED)
        client.tls_insecure_set(tls.insecure)


@dataclass(frozen=True, slots=True)
class Message:
    """One received MQTT message, as the rest of ingest sees it (never a paho object)."""

    topic: str
    payload: bytes
    received_ms: int
    mid: int = 0
    qos: int = 0
    epoch: int = 0  # which connection it arrived on


def subscriptions(prefix: str, shared_group: str | None) -> list[str]:
    """Topic filters a worker subscribes to (pure)."""
    everything = f"{prefix}/#"
    if not shared_group:
        return [everything]
    return [f"$share/{shared_group}/{everything}", f"{prefix}/+/+/status", f"{prefix}/+/+/meta"]


class MQTTConsumer:
    """Receives device messages and passes them to ``handle`` (called on paho's thread)."""

    def __init__(self, settings: MQTTSettings, handle: Callable[[Message], None], *,
                 client_id: str, receive_maximum: int, session_expiry_s: float,
                 on_connected: Callable[[bool], None] | None = None) -> None:
        """``on_connected(True)`` once subscribed after each connect, ``(False)`` on a loss."""
        self.settings = settings
        self.client_id = client_id
        self._handle = handle
        self._on_connected = on_connected
        self._receive_maximum = receive_maximum
        self._session_expiry = int(min(session_expiry_s, 0xFFFFFFFF))
        self._epoch = 0
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        # MQTT 5 keeps the session through clean_start at connect; 3.1.1 through clean_session
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                             protocol=MQTTProtocolVersion.MQTTv5 if settings.mqtt5
                             else MQTTProtocolVersion.MQTTv311,
                             clean_session=None if settings.mqtt5 else False, manual_ack=True)
        apply_auth(client, settings)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_connect_fail = self._connect_failed
        client.on_subscribe = self._subscribed_cb
        client.on_message = self._message
        self._client = client

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho reconnects by itself after any loss."""
        keepalive = int(self.settings.keepalive)
        if self.settings.mqtt5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self._session_expiry
            props.ReceiveMaximum = self._receive_maximum
            self._client.connect_async(self.settings.host, self.settings.port,
                                       keepalive=keepalive, clean_start=False,
                                       properties=props)
        else:
            self._client.max_inflight_messages_set(min(self._receive_maximum, 65_535))
            self._client.connect_async(self.settings.host, self.settings.port,
                                       keepalive=keepalive)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    # -- acknowledgements ---------------------------------------------------------------

    def ack(self, messages: list[Message]) -> int:
        """Acknowledge ``messages`` that arrived on the current connection; return how many."""
        done = 0
        with self._lock:
            for m in messages:
                if m.qos and m.epoch == self._epoch:
                    self._client.ack(m.mid, m.qos)
                    done += 1
        return done

    # -- paho callbacks (paho's network thread) -----------------------------------------

    def _connected(self, client: paho.Client, userdata: object, flags: paho.ConnectFlags,
                   reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            event(log, logging.WARNING, "connect_refused", broker=self.settings.url,
                  reason=str(reason))
            return
        with self._lock:
            self._epoch += 1
        self.connected.set()
        event(log, logging.INFO, "connected", broker=self.settings.url, client_id=self.client_id,
              session_present=flags.session_present)
        qos, cfg = self.settings.qos, self.settings
        if cfg.mqtt5:
            client.subscribe([(topic, SubscribeOptions(qos=qos, retainHandling=1))
                              for topic in subscriptions(cfg.topic_prefix,
                                                         cfg.shared_group or None)])
        else:  # MQTT 3.1.1 has no shared subscriptions: this worker takes everything
            plain: list[tuple[str, int]] = [(t, qos) for t in subscriptions(cfg.topic_prefix, None)]
            client.subscribe(plain)

    def _connect_failed(self, client: paho.Client, userdata: object) -> None:
        event(log, logging.WARNING, "connect_failed", broker=self.settings.url,
              action="retrying with backoff")

    def _subscribed_cb(self, client: paho.Client, userdata: object, mid: int,
                       reasons: list[ReasonCode], properties: Properties | None) -> None:
        failed = [str(r) for r in reasons if r.is_failure]
        if failed:
            event(log, logging.ERROR, "subscribe_refused", reasons=",".join(failed))
        else:
            self.subscribed.set()
            if self._on_connected:
                self._on_connected(True)

    def _disconnected(self, client: paho.Client, userdata: object,
                      flags: paho.DisconnectFlags, reason: ReasonCode,
                      properties: Properties | None) -> None:
        with self._lock:
            self._epoch += 1  # acks for messages of the lost connection must not be sent
        self.connected.clear()
        self.subscribed.clear()
        event(log, logging.WARNING, "disconnected", broker=self.settings.url, reason=str(reason))
        if self._on_connected:
            self._on_connected(False)

    def _message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        # Nothing here may raise: an exception would end paho's network thread.
        try:
            topic = msg.topic
        except UnicodeDecodeError:  # brokers should refuse these; dead-letter it if not
            topic = "(topic is not UTF-8)"
        self._handle(Message(topic, bytes(msg.payload), time.time_ns() // 1_000_000,
                             msg.mid, msg.qos, self._epoch))
