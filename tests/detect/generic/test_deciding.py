"""Deciding is separate from scoring: a threshold from the training scores, then episodes."""

from __future__ import annotations

import numpy as np
import pytest

from detect.generic import TrainingThreshold, drop_short, episodes, fill_gaps, runs


def flags(text: str) -> np.ndarray:
    return np.array([c == "#" for c in text])


def text(values: np.ndarray) -> str:
    return "".join("#" if v else "." for v in values)


def test_threshold_is_a_factor_of_the_training_maximum_by_default() -> None:
    assert TrainingThreshold(factor=2.0).learn(np.array([0.1, 0.4, 0.3])) == pytest.approx(0.8)


def test_threshold_can_use_a_quantile_instead_of_the_maximum() -> None:
    scores = np.arange(101, dtype=float)
    assert TrainingThreshold(factor=1.0, quantile=0.9).learn(scores) == pytest.approx(90.0)


def test_threshold_is_never_zero_so_score_ratios_stay_finite() -> None:
    assert TrainingThreshold().learn(np.zeros(10)) > 0


@pytest.mark.parametrize(("factor", "quantile"), [(0.0, 1.0), (-1.0, 0.5), (1.0, 0.0), (1.0, 1.5)])
def test_threshold_refuses_meaningless_parameters(factor: float, quantile: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        TrainingThreshold(factor, quantile)


def test_runs_are_half_open_row_ranges() -> None:
    assert runs(flags("##..#")) == [(0, 2), (4, 5)]
    assert runs(flags("....")) == []


def test_short_gaps_inside_an_alarm_are_bridged_but_long_ones_are_not() -> None:
    assert text(fill_gaps(flags("#..#.....#"), 3)) == "####.....#"


def test_gaps_at_the_edges_are_never_filled() -> None:
    assert text(fill_gaps(flags("..##.."), 5)) == "..##.."


def test_short_blips_are_dropped() -> None:
    assert text(drop_short(flags("#.###.##"), 3)) == "..###..."


def test_episodes_bridge_first_then_drop_what_is_still_short() -> None:
    assert text(episodes(flags("##.##....#"), min_gap=2, min_run=4)) == "#####....."
