"""The private Mosquitto broker carries MQTT 5 messages over a real socket."""

from __future__ import annotations

import queue
import shutil
import subprocess

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from services import ServiceStack, find_binary


def _client(name: str) -> mqtt.Client:
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)


def _subscribe(
    stack: ServiceStack, topic: str
) -> tuple[mqtt.Client, queue.Queue[mqtt.MQTTMessage]]:
    received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    subscribed: queue.Queue[bool] = queue.Queue()
    sub = _client(f"sub-{topic.replace('/', '-')}")
    sub.on_message = lambda _c, _u, msg: received.put(msg)
    sub.on_subscribe = lambda *_a: subscribed.put(True)
    sub.connect(stack.mosquitto.host, stack.mosquitto.port)
    sub.loop_start()
    sub.subscribe(topic, qos=1)
    subscribed.get(timeout=10)
    return sub, received


def test_paho_round_trips_a_message_through_mosquitto(service_stack: ServiceStack) -> None:
    """A QoS 1 MQTT 5 message with user properties arrives intact."""
    sub, received = _subscribe(service_stack, "forewarn/test/roundtrip")
    pub = _client("pub-roundtrip")
    pub.connect(service_stack.mosquitto.host, service_stack.mosquitto.port)
    pub.loop_start()
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = ("sent-by", "test")
    info = pub.publish("forewarn/test/roundtrip", b'{"t": 21.5}', qos=1, properties=props)
    info.wait_for_publish(timeout=10)
    msg = received.get(timeout=10)
    assert msg.payload == b'{"t": 21.5}'
    assert msg.qos == 1
    assert msg.properties is not None
    assert ("sent-by", "test") in msg.properties.UserProperty  # type: ignore[attr-defined]
    for client in (pub, sub):
        client.loop_stop()
        client.disconnect()


def test_mosquitto_pub_reaches_a_paho_subscriber(service_stack: ServiceStack) -> None:
    """Debian's mosquitto_pub is installed alongside the broker and talks to it."""
    tool = find_binary("mosquitto_pub")
    assert tool is not None, "mosquitto-clients should have been installed with the broker"
    sub, received = _subscribe(service_stack, "forewarn/test/cli")
    subprocess.run(
        [str(tool), "-h", service_stack.mosquitto.host, "-p", str(service_stack.mosquitto.port),
         "-q", "1", "-V", "mqttv5", "-t", "forewarn/test/cli", "-m", "hello"],
        check=True, timeout=10,
    )
    assert received.get(timeout=10).payload == b"hello"
    sub.loop_stop()
    sub.disconnect()


def test_mosquitto_is_a_private_instance_not_the_system_service(
    service_stack: ServiceStack,
) -> None:
    assert service_stack.mosquitto.port != 1883 or shutil.which("systemctl") is None
    assert service_stack.mosquitto.daemon.running()
    assert str(service_stack.workdir) in (service_stack.workdir / "mosquitto.conf").read_text()
