"""Cohort correction: what the weather did to every heat pump nearby is not a fault.

A cold, humid snap moves some residuals of *every* device in a region the same
way (frosting evaporators, extreme lifts the models saw little of). The cohort
residual is the per-hour median residual of the devices in the same climate
region; detectors subtract it, so only what sets a device apart from its
neighbours remains. The median ignores the few devices that really are faulty.

>>> import numpy as np
>>> c = cohort_residuals([(np.array([0, 3_600_000]), np.array([[1.0], [2.0]]))] * 5,
...                      channels=("x",))
>>> c["x"].tolist()
[1.0, 2.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np

from detect.after_defrost import CHANNEL, after_defrost_z
from detect.frame import Frame
from detect.normal import CHANNELS, NormalModel

MIN_DEVICES: Final = 5
#: A cohort's channels: the model's residuals, and the post-defrost residual
#: (:mod:`detect.after_defrost`).
COHORT_CHANNELS: Final = (*CHANNELS, CHANNEL)


def device_residuals(model: NormalModel, hourly: Frame) -> np.ndarray:
    """What a device adds to its cohort: its residuals per hour of ``hourly`` under
    ``model``, in :data:`COHORT_CHANNELS` order."""
    return np.column_stack([model.residuals(hourly), after_defrost_z(hourly, model.defrost)])


def cohort_residuals(series: Sequence[tuple[np.ndarray, np.ndarray]],
                     channels: Sequence[str] = CHANNELS, device_id: str = "cohort",
                     min_devices: int = MIN_DEVICES) -> Frame:
    """Per-hour median of residuals ``z`` (rows x channels) over devices, as a frame.

    Hours seen by fewer than ``min_devices`` devices are left out.
    """
    series = [(t, z) for t, z in series if len(t)]
    if len(series) < min_devices:
        return Frame.empty(device_id)
    hours = np.unique(np.concatenate([t for t, _ in series]))
    stack = np.full((len(series), len(hours), len(channels)), np.nan, dtype=np.float32)
    for k, (t, z) in enumerate(series):
        stack[k, np.searchsorted(hours, t)] = z
    counts = (~np.isnan(stack)).sum(axis=0)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an hour no device saw is NaN
        med = np.nanmedian(stack, axis=0)
    med = np.where(counts >= min_devices, med, np.nan)
    keep = ~np.isnan(med).all(axis=1)
    return Frame(device_id, hours[keep],
                 {c: med[keep, i].astype(float) for i, c in enumerate(channels)})


def climate_of(meta: Mapping[str, Any] | None) -> str:
    """The region a device's metadata names (``location.climate``), or ``""``."""
    location = (meta or {}).get("location") or {}
    return str(location.get("climate", "")) if isinstance(location, dict) else ""


def subtract(times_ms: np.ndarray, z: np.ndarray, cohort: Frame | None) -> np.ndarray:
    """``z`` minus the cohort residual of the same hours (unchanged where there is none)."""
    if cohort is None or len(cohort) == 0 or len(times_ms) == 0:
        return z
    return z - np.nan_to_num(cohort.at(times_ms, CHANNELS))
