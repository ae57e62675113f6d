"""Priority weighs customer impact and explains itself (pure)."""

from __future__ import annotations

from config import DispatchSettings
from dispatch.priority import DAY_MS, HOUR_MS, Impact, Level, hard_days, prioritise

CFG = DispatchSettings()
MONDAY = 1_768_802_400_000  # 2026-01-19 06:00 UTC


def score(**kw: object) -> float:
    base: dict[str, object] = {"now_ms": MONDAY, "confidence": 0.8}
    base.update(kw)
    return prioritise(Impact(**base), CFG.priority_weights, CFG.urgent_at,  # type: ignore[arg-type]
                      CFG.high_at).score


def test_every_factor_is_listed_with_value_weight_points_and_reason() -> None:
    p = prioritise(Impact(MONDAY, 0.8, MONDAY + DAY_MS, MONDAY + 2 * DAY_MS, MONDAY + 3 * DAY_MS,
                          -18.0, "sole", True), CFG.priority_weights, CFG.urgent_at, CFG.high_at)
    names = [f["name"] for f in p.to_dict()["factors"]]  # type: ignore[index]
    assert names == list(CFG.priority_weights)
    assert all(f.reason for f in p.factors)
    assert p.score == round(100 * sum(f.points for f in p.factors)
                            / sum(CFG.priority_weights.values()), 1)
    assert p.level is Level.P1


def test_a_failure_before_a_cold_snap_is_more_urgent() -> None:
    assert score(min_forecast_temp=-20.0) > score(min_forecast_temp=8.0)


def test_sooner_failure_is_more_urgent() -> None:
    soon = score(failure_expected_ms=MONDAY + 12 * HOUR_MS)
    later = score(failure_expected_ms=MONDAY + 6 * DAY_MS)
    assert soon > later


def test_sole_heat_source_and_vulnerable_household_raise_priority() -> None:
    assert score(heat_source_role="sole") > score(heat_source_role="hybrid")
    assert score(vulnerable=True) > score(vulnerable=False)


def test_a_failure_window_over_a_weekend_raises_priority() -> None:
    friday = MONDAY + 4 * DAY_MS
    weekend = score(now_ms=friday, failure_earliest_ms=friday + DAY_MS,
                    failure_latest_ms=friday + 2 * DAY_MS)
    weekdays = score(failure_earliest_ms=MONDAY + DAY_MS, failure_latest_ms=MONDAY + 2 * DAY_MS)
    assert weekend > weekdays


def test_public_holidays_come_from_the_sites_country() -> None:
    """6 January 2026 (a Tuesday) is Epiphany in Sweden but not a holiday in the UK."""
    jan5, jan7 = 1_767_600_000_000, 1_767_772_800_000
    assert any("2026-01-06" in d for d in hard_days(jan5, jan7, "SE", "Europe/Stockholm"))
    assert not any("2026-01-06" in d for d in hard_days(jan5, jan7, "GB", "Europe/London"))


def test_weights_are_configurable() -> None:
    cold_only = DispatchSettings(priority_weights={k: 0.0 for k in CFG.priority_weights}
                                 | {"cold_ahead": 1.0})
    p = prioritise(Impact(MONDAY, 0.9, min_forecast_temp=-20.0), cold_only.priority_weights,
                   cold_only.urgent_at, cold_only.high_at)
    assert p.score == 100.0
