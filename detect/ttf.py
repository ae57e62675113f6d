"""Time to failure: extrapolate a degrading health indicator to its failure level.

For each degrading fault the indicator is the share of health lost on the signal
that shows it best, against the device's own normal (a leak: share of normal
subcooling lost; a worn compressor: vibration above normal; ...). Its daily values
over the lookback are fitted with a straight line after a square-root transform
(wear accelerates, so the raw indicator curves upwards), and the line is
extrapolated to the failure level. The band is the 10-90 % range from the slope's
standard error. Returns None when there is no rising trend to extrapolate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from detect.frame import DAY_MS, daily_means
from detect.normal import CHANNELS
from detect.residuals import Residuals

#: fault -> (channel, kind, failure level). kind "loss": 1 - observed/expected;
#: "gain": observed/expected - 1; "delta": observed - expected (in the signal's unit).
INDICATORS: Final = {
    "refrigerant_leak": ("subcooling_per_hz", "loss", 0.8),
    "compressor_wear": ("vibration_per_hz", "gain", 2.2),
    "fan_degradation": ("fan_rpm", "loss", 0.45),
    "low_flow": ("flow_lpm", "loss", 0.55),
    "expansion_valve": ("superheat", "delta", 2.5),
}
Z90: Final = 1.2816


@dataclass(frozen=True)
class FailureWindow:
    """Predicted failure time with a 10-90 % band (Unix ms)."""

    expected_ms: int
    earliest_ms: int
    latest_ms: int
    indicator: str
    level: float
    failure_level: float


def indicator(res: Residuals, fault: str, now_ms: int, days: int) -> np.ndarray | None:
    """Daily indicator values (oldest first) for ``fault``, or None if it has none."""
    spec = INDICATORS.get(fault)
    if spec is None:
        return None
    channel, kind, _ = spec
    c = CHANNELS.index(channel)
    exp = daily_means(res.times_ms, res.expected[:, [c]], now_ms, days)[:, 0]
    obs = daily_means(res.times_ms, res.observed[:, [c]], now_ms, days)[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "loss":
            return np.asarray(1.0 - obs / np.where(np.abs(exp) > 1e-6, exp, np.nan))
        if kind == "gain":
            return np.asarray(obs / np.where(np.abs(exp) > 1e-6, exp, np.nan) - 1.0)
        return np.asarray(obs - exp)


def time_to_failure(res: Residuals, fault: str, now_ms: int,
                    days: int = 14) -> FailureWindow | None:
    """Extrapolate ``fault``'s indicator to its failure level (see the module docstring)."""
    series = indicator(res, fault, now_ms, days)
    if series is None:
        return None
    level_fail = INDICATORS[fault][2]
    t = np.arange(days, dtype=float) - (days - 1)  # days before now (0 = the last day)
    ok = np.isfinite(series)
    if ok.sum() < 4:
        return None
    u = np.sqrt(np.clip(series[ok], 0.0, None))
    x = t[ok]
    slope, icpt = np.polyfit(x, u, 1)
    if slope <= 1e-6:
        return None
    resid = u - (slope * x + icpt)
    se = np.sqrt(max(float((resid**2).sum()) / max(len(x) - 2, 1), 1e-12)
                 / float(((x - x.mean()) ** 2).sum()))
    target = np.sqrt(level_fail)
    now_u = max(float(icpt), float(u[-1]))
    if now_u >= target:
        return FailureWindow(now_ms, now_ms, now_ms, INDICATORS[fault][0], float(series[ok][-1]),
                             level_fail)

    def at(s: float) -> int:
        return int(now_ms + (target - now_u) / s * DAY_MS) if s > 1e-6 else int(
            now_ms + 365 * DAY_MS)

    return FailureWindow(at(slope), at(slope + Z90 * se), at(max(slope - Z90 * se, 0.0)),
                         INDICATORS[fault][0], round(float(series[ok][-1]), 4), level_fail)
