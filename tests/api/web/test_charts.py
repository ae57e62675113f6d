"""Server-side SVG charts: pure data in, accessible markup out."""

from __future__ import annotations

import re

from api.web.charts import Band, Chart, Mark, Series, Window, render

HOUR = 3_600_000
T0 = 1_768_802_400_000


def test_a_chart_draws_lines_band_and_window_with_a_text_title() -> None:
    times = [T0 + k * HOUR for k in range(5)]
    svg = str(render(Chart("Subcooling", "K", [Series("observed", times, [5, 4, None, 3, 2])],
                           Band("expected", times, [4.5] * 5, [5.5] * 5),
                           Window("predicted failure", T0 + 8 * HOUR, T0 + 12 * HOUR,
                                  T0 + 10 * HOUR))))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title" in svg and "Subcooling: observed" in svg
    path = re.search(r'class="chart-line" d="([^"]+)"', svg)
    assert path and path.group(1).count("M") == 2  # the gap breaks the line
    assert svg.count('class="chart-band"') == 2 and "predicted failure" in svg


def test_a_chart_without_data_says_so() -> None:
    svg = str(render(Chart("Power", "W", [Series("power_w", [], [])])))
    assert "No data in this range" in svg


def test_labels_are_escaped() -> None:
    svg = str(render(Chart("<script>", "", [Series("<b>", [T0, T0 + HOUR], [1.0, 2.0])])))
    assert "<script>" not in svg and "&lt;b&gt;" in svg


def test_a_flat_series_still_gets_a_scale() -> None:
    svg = str(render(Chart("Flat", "", [Series("x", [T0, T0 + HOUR], [3.0, 3.0])])))
    assert "nan" not in svg.lower() and 'class="chart-axis"' in svg


def test_a_mark_shows_the_booked_visit_inside_the_time_axis() -> None:
    times = [T0, T0 + HOUR]
    svg = str(render(Chart("Subcooling", "K", [Series("observed", times, [5.0, 4.0])],
                           marks=[Mark("booked visit", T0 + 30 * HOUR)])))
    assert 'class="chart-mark"' in svg and "booked visit" in svg
    x = float(re.search(r'class="chart-mark" x1="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert x <= 720
