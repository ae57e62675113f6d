"""The device contract: topics, payloads and signals every heat pump (and the simulator) speaks.

Documented for device makers in ``docs/telemetry.md``; this module is the single
source of truth in code. Pure data and pure functions: no I/O.

Topics (``<prefix>`` is ``forewarn/v1`` by default)::

    <prefix>/<site>/<device_id>/telemetry   one reading or a batch (JSON), QoS 1
    <prefix>/<site>/<device_id>/status      {"state": "online"|"offline", "ts": ...}, retained,
                                            "offline" is the device's MQTT Last Will
    <prefix>/<site>/<device_id>/event       error codes and alarms (JSON), QoS 1
    <prefix>/<site>/<device_id>/meta        model, firmware, install date, ... (JSON), retained

Timestamps (``ts``) are integer Unix epoch milliseconds, UTC, set by the device.

Payloads (JSON objects; the device id and site come from the topic)::

    telemetry, one reading:
      {"ts": 1768456800000, "seq": 42, "mode": "heating",
       "signals": {"outdoor_temp": -3.2, "supply_temp": 41.5, ...}}
    telemetry, a batch (a backlog after being offline):
      {"readings": [<reading>, <reading>, ...]}
    status:  {"state": "online" | "offline", "ts": 1768456800000}
    event:   {"ts": 1768456800000, "code": "E101", "severity": "fault",
              "message": "high pressure cut-out", "active": true}
    meta:    {"model": "AW-8", "firmware": "3.2.1", "installed": "2021-05-01",
              "capacity_kw": 8.0, "heat_source_role": "sole",
              "location": {"climate": "stockholm", "lat": 59.33, "lon": 18.07},
              "household": {"vulnerable": false}}

``seq`` is a per-device counter that increases by one per reading; with ``ts`` it
identifies a reading, so a redelivered reading overwrites itself harmlessly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

DEFAULT_PREFIX: Final = "forewarn/v1"
ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Channel(StrEnum):
    """The last level of a device topic."""

    TELEMETRY = "telemetry"
    STATUS = "status"
    EVENT = "event"
    META = "meta"


class Mode(StrEnum):
    """What the heat pump is doing when the reading is taken."""

    OFF = "off"
    STANDBY = "standby"
    HEATING = "heating"
    HOT_WATER = "hot_water"
    DEFROST = "defrost"
    FAULT = "fault"


class HeatSourceRole(StrEnum):
    """How much the home depends on this heat pump (customer impact)."""

    SOLE = "sole"  # the only heat source: a failure means a cold house
    PRIMARY = "primary"  # main source, some backup (e.g. a fireplace)
    HYBRID = "hybrid"  # works alongside a boiler that takes over


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ALARM = "alarm"
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """One named numeric signal: its unit and the physically possible range."""

    name: str
    unit: str
    description: str
    minimum: float
    maximum: float


def _spec(name: str, unit: str, description: str, lo: float, hi: float) -> SignalSpec:
    return SignalSpec(name, unit, description, lo, hi)


#: Signals every heat pump should send. Unknown extra signals are stored too.
SIGNALS: Final[dict[str, SignalSpec]] = {
    s.name: s
    for s in (
        _spec("outdoor_temp", "°C", "outdoor air temperature at the unit", -60, 60),
        _spec("indoor_temp", "°C", "indoor temperature (reference room)", -30, 60),
        _spec("supply_temp", "°C", "water temperature leaving the heat pump (flow)", -30, 100),
        _spec("return_temp", "°C", "water temperature returning from the house", -30, 100),
        _spec("hot_water_temp", "°C", "domestic hot-water tank temperature", -30, 100),
        _spec("compressor_hz", "Hz", "compressor speed (0 when stopped)", 0, 200),
        _spec("compressor_current", "A", "compressor current draw", 0, 100),
        _spec("compressor_vibration", "mm/s", "compressor vibration velocity (RMS)", 0, 100),
        _spec("power_w", "W", "electrical power drawn by the whole unit", 0, 50_000),
        _spec("heat_output_w", "W", "heat delivered to the water", 0, 100_000),
        _spec("backup_heater_w", "W", "electric backup heater power", 0, 30_000),
        _spec("high_pressure", "bar", "refrigerant high (condensing) pressure", 0, 80),
        _spec("low_pressure", "bar", "refrigerant low (evaporating) pressure", 0, 50),
        _spec("discharge_temp", "°C", "compressor discharge gas temperature", -40, 200),
        _spec("suction_temp", "°C", "compressor suction gas temperature", -70, 80),
        _spec("superheat", "K", "suction superheat", -30, 80),
        _spec("subcooling", "K", "condenser subcooling", -30, 80),
        _spec("fan_rpm", "rpm", "outdoor fan speed", 0, 5_000),
        _spec("flow_lpm", "l/min", "heating water flow rate", 0, 500),
        _spec("defrost", "0/1", "1 while a defrost cycle runs", 0, 1),
    )
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits that protect the system; a message outside them is dead-lettered with a reason."""

    max_payload_bytes: int = 1_048_576  # 1 MiB
    max_batch_readings: int = 10_000  # backlog of ~1 week at one reading a minute
    max_signals_per_reading: int = 200
    max_future_skew_s: float = 600.0  # device clock may run up to 10 min ahead
    max_age_s: float = 400 * 86_400.0  # older readings are refused


DEFAULT_LIMITS: Final = Limits()


class TopicError(ValueError):
    """A topic that is not a Forewarn device topic."""


@dataclass(frozen=True, slots=True)
class DeviceTopic:
    """``<prefix>/<site>/<device_id>/<channel>``, checked on creation."""

    site: str
    device_id: str
    channel: Channel
    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        for label, value in (("site", self.site), ("device id", self.device_id)):
            if not ID_PATTERN.match(value):
                raise TopicError(
                    f"{label} {value!r} must be 1-64 letters, digits, '_', '.' or '-' "
                    "and start with a letter or digit"
                )

    def __str__(self) -> str:
        return f"{self.prefix}/{self.site}/{self.device_id}/{self.channel.value}"

    @classmethod
    def parse(cls, topic: str, prefix: str = DEFAULT_PREFIX) -> DeviceTopic:
        if not topic.startswith(prefix + "/"):
            raise TopicError(f"topic {topic!r} does not start with {prefix}/")
        parts = topic[len(prefix) + 1 :].split("/")
        if len(parts) != 3:
            raise TopicError(f"topic {topic!r} is not {prefix}/<site>/<device_id>/<channel>")
        site, device_id, channel = parts
        try:
            kind = Channel(channel)
        except ValueError:
            allowed = ", ".join(c.value for c in Channel)
            raise TopicError(f"topic {topic!r} ends in {channel!r}, not one of {allowed}") from None
        return cls(site, device_id, kind, prefix)


def subscription(prefix: str = DEFAULT_PREFIX, shared_group: str | None = None) -> str:
    """The wildcard subscription for all device topics, optionally MQTT 5 shared."""
    topic = f"{prefix}/+/+/+"
    return f"$share/{shared_group}/{topic}" if shared_group else topic
