"""Forewarn's settings: one object, built once at start-up and passed down.

Values come, highest priority first, from: keyword arguments, environment
variables (``FOREWARN_<SECTION>__<FIELD>``, e.g. ``FOREWARN_INFLUX__URL``), the
TOML file (``--config PATH`` or ``forewarn.toml`` in the working directory),
the connection file written by ``forewarn services up``, and the defaults below,
which suit a local machine.

Secrets (passwords, tokens) are ``SecretStr``: they print as ``**********``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

PositiveSeconds = Annotated[float, Field(gt=0, description="seconds, greater than 0")]
Port = Annotated[int, Field(ge=0, le=65535)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TLSSettings(_Section):
    """TLS for the MQTT connection (used when the broker URL is ``mqtts://``)."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = Field(False, description="skip hostname verification (testing only)")

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> TLSSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file must be given together (client certificate)")
        return self


class MQTTSettings(_Section):
    """The MQTT broker devices publish to (Mosquitto, EMQX, HiveMQ, ...)."""

    url: str = Field("mqtt://127.0.0.1:1883", description="mqtt://host:port or mqtts://host:port")
    username: str | None = None
    password: SecretStr | None = None
    tls: TLSSettings = TLSSettings()
    topic_prefix: str = "forewarn/v1"
    client_id: str = "forewarn-ingest"
    shared_group: str = "forewarn-ingest"
    qos: Literal[0, 1, 2] = 1
    keepalive: PositiveSeconds = 30.0
    protocol: Literal["5", "3.1.1"] = Field(
        "5", description="MQTT version; 3.1.1 for brokers without MQTT 5 (then no shared "
        "subscription: one ingest worker)")

    @field_validator("url")
    @classmethod
    def _valid_broker_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError("must start with mqtt:// or mqtts:// (e.g. mqtt://127.0.0.1:1883)")
        if not parts.hostname:
            raise ValueError("must name a host (e.g. mqtt://127.0.0.1:1883)")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError as exc:
            raise ValueError(f"has a bad port: {exc}") from None
        return value

    @field_validator("topic_prefix")
    @classmethod
    def _plain_prefix(cls, value: str) -> str:
        edges = value.startswith("/") or value.endswith("/")
        if not value or any(c in value for c in "+#") or edges:
            raise ValueError("must be a plain topic like forewarn/v1 (no wildcards, no edge '/')")
        return value

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def mqtt5(self) -> bool:
        return self.protocol == "5"

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (8883 if self.uses_tls else 1883)

    @property
    def uses_tls(self) -> bool:
        return urlsplit(self.url).scheme in ("mqtts", "ssl")


class InfluxSettings(_Section):
    """InfluxDB 2.x, talked to only through influxdb-client."""

    url: str = "http://127.0.0.1:8086"
    org: str = Field("forewarn", min_length=1)
    bucket: str = Field("telemetry", min_length=1)
    token: SecretStr = SecretStr("")
    timeout: PositiveSeconds = 10.0

    @field_validator("url")
    @classmethod
    def _valid_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL (e.g. http://127.0.0.1:8086)")
        return value.rstrip("/")


class TelemetrySettings(_Section):
    """Which telemetry store the pipeline uses."""

    store: Literal["influxdb", "embedded"] = "influxdb"
    embedded_path: Path = Path("forewarn-telemetry.sqlite")


class TicketSettings(_Section):
    """The ticket store (SQLAlchemy URL): SQLite by default, PostgreSQL for several processes."""

    url: str = "sqlite:///forewarn-tickets.sqlite"

    @field_validator("url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0]
        if not value.count("://") or scheme.split("+")[0] not in ("sqlite", "postgresql"):
            raise ValueError("must be a sqlite:///path or postgresql://user@host/db URL")
        return value


class DetectSettings(_Section):
    """How often detectors run."""

    quick_interval: PositiveSeconds = Field(300.0, description="rules and silence checks")
    score_interval: PositiveSeconds = Field(3600.0, description="model scoring")
    retrain_interval: PositiveSeconds = Field(86400.0, description="model retraining")
    silence_after: PositiveSeconds = Field(1800.0, description="a device is silent after this")
    quick_lookback: PositiveSeconds = Field(1800.0, description="raw readings quick checks read")
    score_lookback: PositiveSeconds = Field(14 * 86_400.0, description="history scoring reads")
    train_window: PositiveSeconds = Field(60 * 86_400.0, description="history a retrain fits on")
    models_dir: Path = Field(Path(".forewarn/models"), description="versioned device models")
    findings_path: Path = Field(Path(".forewarn/findings.jsonl"),
                                description="findings for dispatch (JSON lines)")
    misfire_grace: PositiveSeconds = Field(600.0, description="a late run still runs within this")


DEFAULT_PRIORITY_WEIGHTS: dict[str, float] = {
    "time_to_failure": 30.0, "confidence": 15.0, "cold_ahead": 20.0,
    "weekend_or_holiday": 10.0, "sole_heat_source": 15.0, "vulnerable_household": 10.0,
}
_CHANNELS = ("email", "sms", "chat", "console")


class DispatchSettings(_Section):
    """Tickets, booking, customer messages and webhooks (``forewarn dispatch``)."""

    visit_min_confidence: float = Field(0.6, ge=0, le=1, description="below: remote check")
    visit_if_failure_within_h: float = Field(
        168.0, ge=0, description="a failure predicted this soon gets a visit above watch level")
    watch_below_confidence: float = Field(0.3, ge=0, le=1, description="below: only watch")
    suppress_days: float = Field(30.0, ge=0, description="quiet after a no-fault-found visit")
    suppress_override_confidence: float = Field(0.9, ge=0, le=1)
    clear_after_h: float = Field(72.0, gt=0, description="no new finding: closed as cleared")
    priority_weights: dict[str, float] = Field(default_factory=lambda: dict(
        DEFAULT_PRIORITY_WEIGHTS))
    urgent_at: float = Field(60.0, ge=0, le=100, description="priority points for P1")
    high_at: float = Field(35.0, ge=0, le=100, description="priority points for P2")
    safety_margin_h: float = Field(24.0, ge=0, description="book this long before failure")
    min_notice_h: float = Field(2.0, ge=0, description="earliest booking after now")
    slot_minutes: int = Field(120, ge=15, le=720, description="one visit's promised window")
    horizon_days: float = Field(10.0, gt=0, description="default deadline without a forecast")
    country: str = Field("SE", pattern=r"^[A-Z]{2}$", description="holidays when a site has none")
    timezone: str = "Europe/Stockholm"
    language: Literal["sv", "en"] = "sv"
    channels: tuple[str, ...] = ("console",)
    email_from: str = "Forewarn service <service@forewarn.example>"
    smtp_host: str = "127.0.0.1"
    smtp_port: Port = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    sms_gateway_url: str | None = None
    chat_gateway_url: str | None = None
    gateway_token: SecretStr | None = None
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: SecretStr = SecretStr("development-only-webhook-secret")
    max_attempts: int = Field(6, ge=1, le=50, description="then dead-lettered")
    retry_base_s: PositiveSeconds = 30.0
    retry_max_s: PositiveSeconds = 3600.0
    http_timeout: PositiveSeconds = 10.0
    labels_path: Path = Field(Path(".forewarn/labels.jsonl"),
                              description="outcome labels and suppressions for detect")

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in _CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel(s) {unknown}: choose from {list(_CHANNELS)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Stockholm)") from None
        return value

    @field_validator("sms_gateway_url", "chat_gateway_url")
    @classmethod
    def _http_gateway(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("webhook_urls")
    @classmethod
    def _http_targets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise ValueError(f"webhook target {url!r} must be an http:// or https:// URL")
        return value

    @field_validator("priority_weights")
    @classmethod
    def _known_weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(DEFAULT_PRIORITY_WEIGHTS)
        if unknown or any(w < 0 for w in value.values()):
            raise ValueError(f"weights must be >= 0 and named from {list(DEFAULT_PRIORITY_WEIGHTS)}"
                             f" (unknown: {sorted(unknown)})")
        return {**DEFAULT_PRIORITY_WEIGHTS, **value}

    @model_validator(mode="after")
    def _consistent(self) -> DispatchSettings:
        if self.high_at > self.urgent_at:
            raise ValueError("high_at must not exceed urgent_at")
        if self.watch_below_confidence > self.visit_min_confidence:
            raise ValueError("watch_below_confidence must not exceed visit_min_confidence")
        if "sms" in self.channels and not self.sms_gateway_url:
            raise ValueError("channel 'sms' needs sms_gateway_url")
        if "chat" in self.channels and not self.chat_gateway_url:
            raise ValueError("channel 'chat' needs chat_gateway_url")
        return self


class IngestSettings(_Section):
    """The MQTT → telemetry-store worker."""

    batch_size: int = Field(5000, ge=1, le=1_000_000)
    flush_interval: PositiveSeconds = 1.0
    spool_dir: Path = Path(".forewarn/spool")
    metrics_port: Port = Field(9108, description="0 disables; worker i of N listens on port + i")
    dead_letter_path: Path = Path(".forewarn/dead-letters.sqlite")
    workers: int = Field(1, ge=1, le=64, description="processes on the shared subscription")
    max_inflight: int = Field(
        10_000, ge=1, le=65_535, description="MQTT 5 receive maximum: unacknowledged messages"
    )
    session_expiry: PositiveSeconds = Field(
        7 * 86_400.0, description="how long the broker keeps the session while ingest is down"
    )
    gzip_level: int = Field(1, ge=0, le=9, description="gzip level for InfluxDB writes; 0 = off")
    write_concurrency: int = Field(
        2, ge=1, le=16, description="batches written at once (parsing overlaps writing)"
    )
    max_payload_bytes: int = Field(1_048_576, ge=1_024, le=256 * 1_048_576)
    max_batch_readings: int = Field(10_000, ge=1, le=1_000_000)
    max_future_skew: PositiveSeconds = Field(600.0, description="device clock ahead of ours")
    max_age: PositiveSeconds = Field(400 * 86_400.0, description="older readings are refused")


class APISettings(_Section):
    """The REST API and planner web app."""

    host: str = "127.0.0.1"
    port: Port = 8000
    session_secret: SecretStr = Field(SecretStr("development-only-session-secret"),
                                      description="signs web sessions; the API refuses to "
                                      "start in production without 32+ random chars")
    cookie_secure: bool = Field(True, description="session cookie only over HTTPS (localhost ok)")
    session_max_age: PositiveSeconds = Field(12 * 3600.0, description="web login lasts this long")
    login_attempts: int = Field(5, ge=1, le=1000, description="failed logins per window, then 429")
    login_window: PositiveSeconds = Field(300.0, description="the login rate-limit window")
    page_size: int = Field(50, ge=1, le=500, description="default page of a list")
    stream_poll: PositiveSeconds = Field(1.0, description="how often the live stream looks")
    ready_timeout: PositiveSeconds = Field(2.0, description="each /readyz check's time limit")


class ServicesSettings(_Section):
    """Private Mosquitto and InfluxDB instances started by ``forewarn services up``."""

    dir: Path = Path(".forewarn/services")


class Settings(BaseSettings):
    """All of Forewarn's configuration. Build it with :func:`config.load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="FOREWARN_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    environment: Literal["development", "test", "production"] = "development"
    mqtt: MQTTSettings = MQTTSettings()
    influx: InfluxSettings = InfluxSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    tickets: TicketSettings = TicketSettings()
    detect: DetectSettings = DetectSettings()
    dispatch: DispatchSettings = DispatchSettings()
    ingest: IngestSettings = IngestSettings()
    api: APISettings = APISettings()
    services: ServicesSettings = ServicesSettings()

    @model_validator(mode="after")
    def _shared_subscription_needs_mqtt5(self) -> Settings:
        if self.mqtt.protocol == "3.1.1" and self.ingest.workers > 1:
            raise ValueError("ingest.workers > 1 needs mqtt.protocol = \"5\" (the workers "
                             "share the fleet through an MQTT 5 shared subscription)")
        return self

    @model_validator(mode="after")
    def _no_unsafe_production_defaults(self) -> Settings:
        if self.environment == "production":
            if self.telemetry.store == "influxdb" and not self.influx.token.get_secret_value():
                raise ValueError("influx.token must be set in production")
            if self.mqtt.username and self.mqtt.password is None:
                raise ValueError("mqtt.password must be set when mqtt.username is (production)")
            secret = self.dispatch.webhook_secret.get_secret_value()
            weak = secret.startswith("development") or len(secret) < 16
            if self.dispatch.webhook_urls and weak:
                raise ValueError("dispatch.webhook_secret must be set (16+ chars) in production")
        return self
