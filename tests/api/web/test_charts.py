"""Server-side SVG charts: pure data in, accessible markup out."""

from __future__ import annotations

import re

from api.web.charts import (
    ATTENTION_BINS,
    Area,
    Band,
    Chart,
    Mark,
    Series,
    Window,
    health_map,
    render,
)

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


def test_a_health_map_links_each_area_sized_and_coloured_with_its_figures_as_text() -> None:
    areas = [Area("Stockholm", "/fleet?region=stockholm", 59.33, 18.07, 3400, 340, 200),
             Area("Oslo", "/fleet?region=oslo", 59.91, 10.75, 2500, 50, 10),
             Area("Lulea", "/fleet?region=lulea", 65.58, 22.15, 100, 30, 20)]
    svg = str(health_map(areas))
    assert svg.startswith("<svg") and "<title" in svg and "<desc" in svg
    links = re.findall(r'<a class="map-area" href="([^"]+)" aria-label="([^"]+)"', svg)
    assert [h for h, _ in links] == ["/fleet?region=stockholm", "/fleet?region=oslo",
                                     "/fleet?region=lulea"]  # biggest first, small on top
    assert links[0][1] == "Stockholm: 3,400 devices, 340 need attention (10%), 200 a visit"
    fills = re.findall(r'<circle cx="[\d.]+" cy="[\d.]+" r="([\d.]+)" fill="(#\w+)"', svg)
    (r_sto, c_sto), (r_osl, c_osl), (r_lul, c_lul) = fills[:3]
    assert float(r_sto) > float(r_osl) > float(r_lul)
    colours = [c for _, c, _ in ATTENTION_BINS]
    assert (c_osl, c_sto, c_lul) == tuple(colours)  # 2 %, 10 %, 30 %
    assert all(label in svg for _, _, label in ATTENTION_BINS)  # the legend


def test_a_health_map_without_places_says_so() -> None:
    assert "No sites with a known place" in str(health_map([]))
