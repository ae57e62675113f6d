"""Cohort correction: what every device in a region shows at once is weather, not a fault."""

from __future__ import annotations

import numpy as np

from detect.cohort import climate_of, cohort_residuals, subtract
from detect.normal import CHANNELS


def test_the_cohort_is_the_hourly_median_and_ignores_one_odd_device() -> None:
    times = np.arange(3) * 3_600_000
    common = np.ones((3, len(CHANNELS)))
    series = [(times, common)] * 5 + [(times, common * 50)]
    cohort = cohort_residuals(series)
    assert cohort.times_ms.tolist() == times.tolist()
    assert np.allclose(cohort.matrix(CHANNELS), 1.0)


def test_subtracting_the_cohort_leaves_what_sets_a_device_apart() -> None:
    times = np.arange(3) * 3_600_000
    cohort = cohort_residuals([(times, np.ones((3, len(CHANNELS))))] * 5)
    z = np.full((3, len(CHANNELS)), 4.0)
    assert np.allclose(subtract(times, z, cohort), 3.0)
    other_hours = times + 1_800_000
    assert np.allclose(subtract(other_hours, z, cohort), 4.0)


def test_too_few_devices_make_no_cohort() -> None:
    times = np.arange(3) * 3_600_000
    assert len(cohort_residuals([(times, np.ones((3, len(CHANNELS))))] * 2)) == 0


def test_the_region_comes_from_device_metadata() -> None:
    assert climate_of({"location": {"climate": "oslo"}}) == "oslo"
    assert climate_of(None) == ""
