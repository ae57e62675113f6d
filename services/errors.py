"""Errors of the local service provisioning.

    ServiceError
     ├── InstallError        a service binary is missing and could not be installed
     └── StartError          a service did not start or did not become healthy
"""

from __future__ import annotations


class ServiceError(Exception):
    """A private Mosquitto or InfluxDB instance cannot be provided; the message says why."""


class InstallError(ServiceError):
    """A binary is missing and installing it failed."""


class StartError(ServiceError):
    """A service did not start, or did not answer its health check in time."""
