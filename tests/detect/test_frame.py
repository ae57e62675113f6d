"""Frames: store frames become arrays, downsampling matches the stores, days are counted back."""

from __future__ import annotations

import numpy as np

from detect.frame import DAY_MS, HOUR_MS, Frame, daily_means, downsample
from ingest.store.base import SignalFrame


def test_a_store_frame_becomes_arrays_with_nan_for_missing() -> None:
    """None cells become NaN; an unknown signal reads as all NaN."""
    f = Frame.from_signal_frame(SignalFrame("hp", [0, 60_000], {"x": [1.0, None]}))
    assert f.times_ms.tolist() == [0, 60_000]
    assert np.isnan(f["x"][1]) and f["x"][0] == 1.0
    assert np.isnan(f["nope"]).all()


def test_downsampling_averages_epoch_aligned_windows_and_drops_empty_ones() -> None:
    """Like aggregateWindow(fn: mean, createEmpty: false, timeSrc: _start)."""
    times = np.array([10, 20, 2 * HOUR_MS + 5])
    f = Frame("hp", times, {"x": np.array([1.0, 3.0, 7.0]), "y": np.array([np.nan, 2.0, np.nan])})
    h = downsample(f, HOUR_MS)
    assert h.times_ms.tolist() == [0, 2 * HOUR_MS]
    assert h["x"].tolist() == [2.0, 7.0]
    assert h["y"][0] == 2.0 and np.isnan(h["y"][1])


def test_running_only_columns_average_the_running_rows_of_each_window() -> None:
    """Like the stores' ``running_only``: compressor turning, no defrost."""
    f = Frame("hp", np.array([0, 10, 20, 2 * HOUR_MS]), {
        "compressor_hz": np.array([40.0, 0.0, 40.0, 0.0]),
        "defrost": np.array([0.0, 0.0, 1.0, 0.0]),
        "power_w": np.array([1000.0, 10.0, 300.0, 5.0]),
        "outdoor_temp": np.array([0.0, 2.0, 4.0, 1.0])})
    h = downsample(f, HOUR_MS, running_only={"power_w", "compressor_hz"})
    assert h.times_ms.tolist() == [0, 2 * HOUR_MS]
    assert h["power_w"][0] == 1000.0 and np.isnan(h["power_w"][1])
    assert h["compressor_hz"][0] == 40.0
    assert h["outdoor_temp"].tolist() == [2.0, 1.0]


def test_between_keeps_the_half_open_window() -> None:
    f = Frame("hp", np.array([0, 10, 20]), {"x": np.array([1.0, 2.0, 3.0])})
    assert f.between(10, 20)["x"].tolist() == [2.0]


def test_daily_means_count_back_from_now() -> None:
    """The last row is the last 24 h before now; days without data are NaN."""
    now = 10 * DAY_MS
    times = np.array([now - 1, now - 2, now - DAY_MS - 1])
    values = np.array([[1.0], [3.0], [5.0]])
    d = daily_means(times, values, now, 3)
    assert np.isnan(d[0, 0]) and d[1, 0] == 5.0 and d[2, 0] == 2.0
    few = daily_means(times, values, now, 3, min_count=2)
    assert np.isnan(few[1, 0]) and few[2, 0] == 2.0  # one value is too few for that day
