"""Settings come from defaults, a TOML file and FOREWARN_ variables, and fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigFileError, SettingError, load_settings


def test_defaults_suit_a_local_machine() -> None:
    """Without any file or variable, Forewarn points at local services."""
    settings = load_settings()
    assert settings.mqtt.url == "mqtt://127.0.0.1:1883"
    assert settings.mqtt.port == 1883
    assert settings.influx.url == "http://127.0.0.1:8086"
    assert settings.tickets.url.startswith("sqlite:///")


def test_forewarn_toml_in_working_directory_is_read() -> None:
    Path("forewarn.toml").write_text('[mqtt]\nurl = "mqtts://broker.example:8883"\n')
    settings = load_settings()
    assert settings.mqtt.host == "broker.example"
    assert settings.mqtt.uses_tls


def test_explicit_config_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text('[influx]\norg = "acme"\nbucket = "hp"\n')
    settings = load_settings(path)
    assert (settings.influx.org, settings.influx.bucket) == ("acme", "hp")


def test_environment_overrides_the_file_with_nested_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "f.toml"
    path.write_text('[ingest]\nbatch_size = 10\nflush_interval = 2.5\n')
    monkeypatch.setenv("FOREWARN_INGEST__BATCH_SIZE", "77")
    settings = load_settings(path)
    assert settings.ingest.batch_size == 77
    assert settings.ingest.flush_interval == 2.5


def test_keyword_overrides_win_over_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOREWARN_API__PORT", "9000")
    assert load_settings(api={"port": 9100}).api.port == 9100


def test_connection_file_of_running_services_is_used(tmp_path: Path) -> None:
    """'forewarn services up' writes connection.toml; other commands find it."""
    services = tmp_path / "svc"
    services.mkdir()
    (services / "connection.toml").write_text('[mqtt]\nurl = "mqtt://127.0.0.1:41883"\n')
    Path("forewarn.toml").write_text(f'[services]\ndir = "{services}"\n')
    assert load_settings().mqtt.port == 41883


def test_config_file_wins_over_connection_file(tmp_path: Path) -> None:
    services = tmp_path / "svc"
    services.mkdir()
    (services / "connection.toml").write_text('[mqtt]\nurl = "mqtt://127.0.0.1:41883"\n')
    Path("forewarn.toml").write_text(
        f'[services]\ndir = "{services}"\n[mqtt]\nurl = "mqtt://10.0.0.5:1883"\n'
    )
    assert load_settings().mqtt.host == "10.0.0.5"


def test_bad_value_names_the_setting_the_variable_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FOREWARN_MQTT__URL", "http://broker")
    with pytest.raises(SettingError) as caught:
        load_settings()
    message = str(caught.value)
    assert "mqtt.url" in message
    assert "FOREWARN_MQTT__URL" in message
    assert "mqtt://" in message
    assert "\n" not in message


def test_every_bad_setting_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOREWARN_INGEST__BATCH_SIZE", "lots")
    monkeypatch.setenv("FOREWARN_DETECT__QUICK_INTERVAL", "-5")
    with pytest.raises(SettingError) as caught:
        load_settings()
    assert len(caught.value.problems) == 2


def test_unknown_setting_is_refused_with_a_spelling_hint(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_text('[influx]\ntokn = "abc"\n')
    with pytest.raises(SettingError, match=r"unknown setting 'influx\.tokn'"):
        load_settings(path)


def test_invalid_toml_is_reported_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[mqtt\nurl = 1")
    with pytest.raises(ConfigFileError, match=r"broken\.toml is not valid TOML"):
        load_settings(path)


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOREWARN_INFLUX__TOKEN", "s3cr3t-token")
    monkeypatch.setenv("FOREWARN_MQTT__PASSWORD", "hunter2")
    settings = load_settings()
    assert settings.influx.token.get_secret_value() == "s3cr3t-token"
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "s3cr3t-token" not in shown
    assert "hunter2" not in shown


def test_errors_never_echo_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad value next to a token is reported without the token."""
    monkeypatch.setenv("FOREWARN_INFLUX", '{"token": "s3cr3t-token", "url": "ftp://db"}')
    with pytest.raises(SettingError) as caught:
        load_settings()
    assert "influx.url" in str(caught.value)
    assert "s3cr3t-token" not in str(caught.value)


def test_production_refuses_an_empty_influx_token() -> None:
    with pytest.raises(SettingError, match=r"influx\.token must be set in production"):
        load_settings(environment="production")


def test_tls_client_certificate_needs_both_files() -> None:
    with pytest.raises(SettingError, match="cert_file and key_file"):
        load_settings(mqtt={"tls": {"cert_file": "/tmp/c.pem"}})


def test_ticket_store_must_be_sqlite_or_postgresql() -> None:
    with pytest.raises(SettingError, match="sqlite:///path or postgresql://"):
        load_settings(tickets={"url": "mysql://db/tickets"})
