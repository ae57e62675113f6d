"""Configuration shared by every stage of Forewarn.

Build one :class:`Settings` at start-up with :func:`load_settings` and pass it down;
no module reads configuration on its own.
"""

from config.errors import ConfigError, ConfigFileError, SettingError
from config.loading import CONNECTION_FILE, DEFAULT_CONFIG_FILE, load_settings
from config.settings import (
    APISettings,
    DetectSettings,
    DispatchSettings,
    InfluxSettings,
    IngestSettings,
    MQTTSettings,
    ServicesSettings,
    Settings,
    TelemetrySettings,
    TicketSettings,
    TLSSettings,
)

__all__ = [
    "CONNECTION_FILE",
    "DEFAULT_CONFIG_FILE",
    "APISettings",
    "ConfigError",
    "ConfigFileError",
    "DetectSettings",
    "DispatchSettings",
    "InfluxSettings",
    "IngestSettings",
    "MQTTSettings",
    "ServicesSettings",
    "SettingError",
    "Settings",
    "TLSSettings",
    "TelemetrySettings",
    "TicketSettings",
    "load_settings",
]
