"""Line charts as inline SVG, drawn on the server (pure: data in, markup out).

No chart library is shipped to the browser: a chart is a few kilobytes of SVG however
long the range (the store downsamples first), renders before any script runs, prints,
and carries a text title and description for screen readers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from zoneinfo import ZoneInfo

from markupsafe import Markup

PALETTE = ("#0b57d0", "#b3261e", "#146c2e", "#7d5260", "#8a5a00", "#00639b")
_STEPS_MS = (60_000, 300_000, 900_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000,
             12 * 3_600_000, 86_400_000, 2 * 86_400_000, 7 * 86_400_000, 14 * 86_400_000)


@dataclass(frozen=True)
class Series:
    name: str
    times_ms: Sequence[int]
    values: Sequence[float | None]
    color: str = PALETTE[0]
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded band (e.g. the device's expected range) between ``low`` and ``high``."""

    label: str
    times_ms: Sequence[int]
    low: Sequence[float | None]
    high: Sequence[float | None]


@dataclass(frozen=True)
class Window:
    """A shaded time span (e.g. the predicted failure window) with a marked instant."""

    label: str
    start_ms: int
    end_ms: int
    mark_ms: int | None = None


@dataclass(frozen=True)
class Mark:
    """A labelled instant (e.g. the booked visit)."""

    label: str
    at_ms: int


@dataclass
class Chart:
    title: str
    unit: str = ""
    series: list[Series] = field(default_factory=list)
    band: Band | None = None
    window: Window | None = None
    marks: list[Mark] = field(default_factory=list)
    timezone: str = "Europe/Stockholm"
    width: int = 720
    height: int = 260


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step) + 1)]


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 or v == int(v) else f"{v:.1f}"


def _time_ticks(t0: int, t1: int, tz: ZoneInfo) -> list[tuple[int, str]]:
    span = max(1, t1 - t0)
    step = next((s for s in _STEPS_MS if span / s <= 7), _STEPS_MS[-1])
    utc_offset = dt.datetime.fromtimestamp(t0 / 1000, tz).utcoffset() or dt.timedelta()
    offset = int(utc_offset.total_seconds() * 1000) if step >= 86_400_000 else 0
    first = ((t0 + offset) // step + 1) * step - offset
    fmt = "%d %b" if step >= 86_400_000 else "%a %H:%M" if span > 86_400_000 else "%H:%M"
    return [(t, dt.datetime.fromtimestamp(t / 1000, tz).strftime(fmt))
            for t in range(first, t1 + 1, step)]


def _path(points: list[tuple[float, float] | None]) -> str:
    out, pen = [], False
    for p in points:
        if p is None:
            pen = False
            continue
        out.append(f"{'L' if pen else 'M'}{p[0]:.1f},{p[1]:.1f}")
        pen = True
    return "".join(out)


def _placeholder(width: int, label: str, text: str) -> Markup:
    """A short chart-sized box saying why there is nothing to draw (``label`` and
    ``text`` are put in as they are: escape them first)."""
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} 80" role="img" aria-label="{label}">'
        f'<title>{label}</title><text x="{width / 2}" y="44" text-anchor="middle" '
        f'class="chart-empty">{text}</text></svg>')


def render(chart: Chart) -> Markup:
    """The chart as an ``<svg>`` element (responsive: it scales to its container)."""
    w, h = chart.width, chart.height
    left, right, top, bottom = 52, 12, 16, 46
    times = [t for s in chart.series for t in s.times_ms]
    values = [v for s in chart.series for v in s.values if v is not None]
    if chart.band:
        times += list(chart.band.times_ms)
        values += [v for v in (*chart.band.low, *chart.band.high) if v is not None]
    if chart.window:
        times += [chart.window.start_ms, chart.window.end_ms]
    times += [m.at_ms for m in chart.marks]
    desc = escape(f"{chart.title}: " + ", ".join(s.name for s in chart.series))
    if not times or not values:
        return _placeholder(w, desc, "No data in this range")
    t0, t1 = min(times), max(times)
    t1 = t1 if t1 > t0 else t0 + 1
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    ticks = _nice_ticks(lo - pad, hi + pad)
    lo, hi = min(ticks[0], lo - pad), max(ticks[-1], hi + pad)
    pw, ph = w - left - right, h - top - bottom

    def x(ms: float) -> float:
        return left + (ms - t0) / (t1 - t0) * pw

    def y(v: float) -> float:
        return top + (hi - v) / (hi - lo) * ph

    tz = ZoneInfo(chart.timezone)
    parts = [f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="'
             f'{id(chart)}-t"><title id="{id(chart)}-t">{desc}</title>']
    if chart.window:
        wx0, wx1 = x(chart.window.start_ms), x(chart.window.end_ms)
        parts.append(f'<rect class="chart-window" x="{wx0:.1f}" y="{top}" '
                     f'width="{max(2.0, wx1 - wx0):.1f}" height="{ph}"/>')
        if chart.window.mark_ms is not None:
            mx = x(chart.window.mark_ms)
            parts.append(f'<line class="chart-window-mark" x1="{mx:.1f}" x2="{mx:.1f}" '
                         f'y1="{top}" y2="{top + ph}"/>')
        parts.append(f'<text class="chart-window-label" x="{min(wx0 + 4, w - right - 4):.1f}"'
                     f' y="{top + 12}">{escape(chart.window.label)}</text>')
    for m in chart.marks:
        mx = x(m.at_ms)
        parts.append(f'<line class="chart-mark" x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" '
                     f'y2="{top + ph}"/><text class="chart-mark-label" x="{mx + 4:.1f}" '
                     f'y="{top + 28}">{escape(m.label)}</text>')
    for v in ticks:
        if lo <= v <= hi:
            parts.append(f'<line class="chart-grid" x1="{left}" x2="{w - right}" '
                         f'y1="{y(v):.1f}" y2="{y(v):.1f}"/><text class="chart-axis" '
                         f'x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    for t, label in _time_ticks(t0, t1, tz):
        parts.append(f'<text class="chart-axis" x="{x(t):.1f}" y="{top + ph + 16}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    if chart.unit:
        parts.append(f'<text class="chart-axis" x="6" y="{top + 4}">{escape(chart.unit)}</text>')
    if chart.band:
        b = chart.band
        upper = [(x(t), y(v)) for t, v in zip(b.times_ms, b.high, strict=False) if v is not None]
        lower = [(x(t), y(v)) for t, v in zip(b.times_ms, b.low, strict=False) if v is not None]
        if upper and lower:
            pts = " ".join(f"{px:.1f},{py:.1f}" for px, py in [*upper, *reversed(lower)])
            parts.append(f'<polygon class="chart-band" points="{pts}"/>')
    for s in chart.series:
        line = [(x(t), y(v)) if v is not None else None
                for t, v in zip(s.times_ms, s.values, strict=False)]
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        parts.append(f'<path class="chart-line" d="{_path(line)}" stroke="{s.color}"{dash}/>')
    # legend
    lx, ly = left, h - 10
    items = [(s.name, s.color, s.dashed) for s in chart.series]
    for name, color, dashed in items:
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        parts.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly - 4}" y2="{ly - 4}" '
                     f'stroke="{color}" stroke-width="2.5"{dash}/><text class="chart-legend" '
                     f'x="{lx + 22}" y="{ly}">{escape(name)}</text>')
        lx += 30 + 7 * len(name)
    if chart.band:
        parts.append(f'<rect class="chart-band" x="{lx}" y="{ly - 10}" width="18" height="10"/>'
                     f'<text class="chart-legend" x="{lx + 22}" y="{ly}">'
                     f'{escape(chart.band.label)}</text>')
        lx += 30 + 7 * len(chart.band.label)
    if chart.window:
        parts.append(f'<rect class="chart-window" x="{lx}" y="{ly - 10}" width="18" '
                     f'height="10"/><text class="chart-legend" x="{lx + 22}" y="{ly}">'
                     f'{escape(chart.window.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


#: a health map's colours by the share of an area's devices that need attention
#: (an open ticket): text-on-white contrast of each is above 4.5:1
ATTENTION_BINS: tuple[tuple[float, str, str], ...] = (
    (0.05, "#146c2e", "under 5 %"), (0.15, "#8a5a00", "5 to 15 %"), (1.01, "#b3261e", "over 15 %"))


@dataclass(frozen=True)
class Area:
    """A place on the health map: its devices and how many need attention."""

    label: str
    href: str
    lat: float
    lon: float
    devices: int
    attention: int  # devices with an open ticket
    visits: int  # ... of which the worst needs a visit


def attention_colour(share: float) -> str:
    return next(c for limit, c, _ in ATTENTION_BINS if share < limit)


def health_map(areas: Sequence[Area], width: int = 560, height: int = 420) -> Markup:
    """Areas as circles on a latitude/longitude grid (equirectangular, scaled by the
    cosine of the mean latitude), sized by devices and coloured by the share needing
    attention; each circle is a link (keyboard-focusable) with its figures as text."""
    if not areas:
        return _placeholder(width, "Health map: no sites with a known place",
                            "No sites with a known place")
    left, right, top, bottom = 40, 16, 16, 40
    lat0, lat1 = min(a.lat for a in areas) - 1.5, max(a.lat for a in areas) + 1.5
    lon0, lon1 = min(a.lon for a in areas) - 3.0, max(a.lon for a in areas) + 3.0
    k = math.cos(math.radians((lat0 + lat1) / 2))
    pw, ph = width - left - right, height - top - bottom
    scale = min(pw / ((lon1 - lon0) * k), ph / (lat1 - lat0))
    ox = left + (pw - (lon1 - lon0) * k * scale) / 2
    oy = top + (ph - (lat1 - lat0) * scale) / 2

    def x(lon: float) -> float:
        return ox + (lon - lon0) * k * scale

    def y(lat: float) -> float:
        return oy + (lat1 - lat) * scale

    biggest = max(a.devices for a in areas) or 1

    def radius(a: Area) -> float:
        return 8 + 34 * math.sqrt(a.devices / biggest)

    def label_left(a: Area) -> bool:
        """Put the label left of the circle when on the right it would cover another."""
        cx, cy, r = x(a.lon), y(a.lat), radius(a)
        x0, x1 = cx + r + 4, cx + r + 4 + 7 * max(len(a.label), 18)
        return any(b is not a and x0 - radius(b) < x(b.lon) < x1 + radius(b)
                   and abs(y(b.lat) - cy) < radius(b) + 14 for b in areas) or x1 > width

    parts = [f'<svg class="chart map" viewBox="0 0 {width} {height}" role="group" '
             'aria-labelledby="map-t map-d"><title id="map-t">Fleet health by area</title>'
             '<desc id="map-d">Circles sized by devices and coloured by the share that need '
             'attention; the table of regions below has the same figures.</desc>']
    for lat in range(math.ceil(lat0), math.floor(lat1) + 1, 2):
        parts.append(f'<line class="chart-grid" x1="{x(lon0):.1f}" x2="{x(lon1):.1f}" '
                     f'y1="{y(lat):.1f}" y2="{y(lat):.1f}"/><text class="chart-axis" '
                     f'x="{x(lon0) - 4:.1f}" y="{y(lat) + 4:.1f}" text-anchor="end">'
                     f'{lat}°N</text>')
    for lon in range(math.ceil(lon0 / 5) * 5, math.floor(lon1) + 1, 5):
        parts.append(f'<line class="chart-grid" x1="{x(lon):.1f}" x2="{x(lon):.1f}" '
                     f'y1="{y(lat1):.1f}" y2="{y(lat0):.1f}"/><text class="chart-axis" '
                     f'x="{x(lon):.1f}" y="{y(lat0) + 14:.1f}" text-anchor="middle">'
                     f'{lon}°E</text>')
    for a in sorted(areas, key=lambda a: -a.devices):  # small circles on top
        share = a.attention / a.devices if a.devices else 0.0
        r = radius(a)
        cx, cy = x(a.lon), y(a.lat)
        tx, anchor = (cx - r - 4, "end") if label_left(a) else (cx + r + 4, "start")
        text = (f"{a.label}: {a.devices:,} devices, {a.attention:,} need attention "
                f"({share:.0%}), {a.visits:,} a visit")
        parts.append(
            f'<a class="map-area" href="{escape(a.href)}" aria-label="{escape(text)}">'
            f'<title>{escape(text)}</title>'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{attention_colour(share)}" '
            'fill-opacity=".78" stroke="#1b1b1f" stroke-width="1"/>'
            f'<text class="map-label" x="{tx:.1f}" y="{cy - 2:.1f}" text-anchor="{anchor}">'
            f'{escape(a.label)}</text><text class="map-figure" x="{tx:.1f}" '
            f'y="{cy + 12:.1f}" text-anchor="{anchor}">'
            f'{a.attention:,} of {a.devices:,} ({share:.0%})</text></a>')
    lx, ly = left, height - 10
    parts.append(f'<text class="chart-legend" x="{lx}" y="{ly}">Need attention:</text>')
    lx += 100
    for _, colour, label in ATTENTION_BINS:
        parts.append(f'<circle cx="{lx + 6}" cy="{ly - 4}" r="6" fill="{colour}"/>'
                     f'<text class="chart-legend" x="{lx + 16}" y="{ly}">{label}</text>')
        lx += 24 + 7 * len(label)
    parts.append("</svg>")
    return Markup("".join(parts))
