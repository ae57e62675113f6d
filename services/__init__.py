"""Private instances of the real services Forewarn talks to, for development, tests and CI.

Mosquitto and PostgreSQL are installed from Debian's packages; InfluxDB 2.x is built from source
and cached (see ``build-influxd.sh``). Nothing here is used in production, where
the broker and database are configured, not started.
"""

from services.errors import InstallError, ServiceError, StartError
from services.influxdb import InfluxDB
from services.install import (
    ensure_influxd,
    ensure_mosquitto,
    find_binary,
    influxd_path,
)
from services.mosquitto import Mosquitto
from services.postgres import PostgreSQL, ensure_postgres
from services.process import free_port
from services.stack import ServiceStack, ServiceStatus

__all__ = [
    "InfluxDB",
    "InstallError",
    "Mosquitto",
    "PostgreSQL",
    "ServiceError",
    "ServiceStack",
    "ServiceStatus",
    "StartError",
    "ensure_influxd",
    "ensure_mosquitto",
    "ensure_postgres",
    "find_binary",
    "free_port",
    "influxd_path",
]
