"""``forewarn services`` starts private instances and tells other commands where they are."""

from __future__ import annotations

import stat

from config import load_settings
from services import ServiceStack


def test_status_reports_both_services_running(service_stack: ServiceStack) -> None:
    states = {s.name: s for s in service_stack.status()}
    assert states["mosquitto"].running
    assert states["influxdb"].running
    assert states["influxdb"].url.startswith("http://127.0.0.1:")


def test_connection_file_points_other_commands_at_the_services(
    service_stack: ServiceStack,
) -> None:
    settings = load_settings(services={"dir": service_stack.workdir})
    assert settings.mqtt.url == service_stack.mosquitto.url
    assert settings.influx.url == service_stack.influxdb.url
    assert settings.influx.token.get_secret_value() == service_stack.influxdb.token


def test_connection_file_is_readable_only_by_its_owner(service_stack: ServiceStack) -> None:
    mode = stat.S_IMODE(service_stack.connection_file.stat().st_mode)
    assert mode == 0o600


def test_a_second_stack_object_finds_the_running_services(service_stack: ServiceStack) -> None:
    """Status works from a new process: state is on disk, not in memory."""
    again = ServiceStack(service_stack.workdir)
    assert again.mosquitto.port == service_stack.mosquitto.port
    assert all(s.running for s in again.status())


def test_influxdb_restart_keeps_data_and_setup(service_stack: ServiceStack) -> None:
    """Stopping and starting on the same directory keeps the onboarding (no second setup)."""
    service_stack.influxdb.stop()
    assert not service_stack.influxdb.healthy()
    service_stack.influxdb.start()
    assert service_stack.influxdb.healthy()
