"""The dispatch settings refuse inconsistent or unsafe values with a clear message."""

from __future__ import annotations

import pytest

from config import DispatchSettings, SettingError, load_settings


def test_defaults_send_to_the_console_and_weigh_every_factor() -> None:
    cfg = load_settings().dispatch
    assert cfg.channels == ("console",) and cfg.language == "sv"
    assert set(cfg.priority_weights) == {"time_to_failure", "confidence", "cold_ahead",
                                         "weekend_or_holiday", "sole_heat_source",
                                         "vulnerable_household"}


def test_partial_weights_keep_the_other_defaults() -> None:
    cfg = DispatchSettings(priority_weights={"cold_ahead": 50.0})
    assert cfg.priority_weights["cold_ahead"] == 50.0
    assert cfg.priority_weights["confidence"] == 15.0


@pytest.mark.parametrize(("values", "message"), [
    ({"channels": ["pigeon"]}, "pigeon"),
    ({"channels": ["sms"]}, "sms_gateway_url"),
    ({"webhook_urls": ["ftp://x"]}, "webhook target"),
    ({"priority_weights": {"luck": 1.0}}, "luck"),
    ({"high_at": 90, "urgent_at": 50}, "high_at"),
    ({"watch_below_confidence": 0.9}, "watch_below_confidence"),
    ({"timezone": "Mars/Olympus"}, "time zone"),
    ({"country": "Sweden"}, "country"),
])
def test_bad_values_are_refused_naming_the_setting(values: dict[str, object],
                                                   message: str) -> None:
    with pytest.raises(SettingError, match=message):
        load_settings(dispatch=values)


def test_secrets_are_masked() -> None:
    cfg = load_settings(dispatch={"smtp_password": "hunter2", "webhook_secret": "x" * 20})
    assert "hunter2" not in repr(cfg.dispatch) and "x" * 20 not in str(cfg.dispatch)


def test_production_refuses_the_development_webhook_secret() -> None:
    with pytest.raises(SettingError, match="webhook_secret"):
        load_settings(environment="production", telemetry={"store": "embedded"},
                      dispatch={"webhook_urls": ["https://crm.example/hook"]})
    ok = load_settings(environment="production", telemetry={"store": "embedded"},
                       dispatch={"webhook_urls": ["https://crm.example/hook"],
                                 "webhook_secret": "a-long-random-secret-value"})
    assert ok.dispatch.webhook_urls == ("https://crm.example/hook",)


def test_channels_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOREWARN_DISPATCH__CHANNELS", '["email", "console"]')
    monkeypatch.setenv("FOREWARN_DISPATCH__SMTP_PORT", "2525")
    cfg = load_settings().dispatch
    assert cfg.channels == ("email", "console") and cfg.smtp_port == 2525
