"""The evaporator just after a defrost: each device's clean-coil reference and how far it is off.

A defrost melts the frost off the outdoor coil. Right after it the coil is as clean as it
gets, so the first running reading after each defrost
(:func:`ingest.reading.after_defrost_rows`) shows what a defrost failed to melt: ice
left on the coil lowers the evaporating pressure at the same outdoor temperature and
compressor speed. A failing defrost leaves a little more each time, for days before
the coil ices up and the unit trips.

Hourly means hide it (a healthy coil frosts up between defrosts too), so these readings
are kept as hourly columns of their own (:data:`COLUMNS`, the mean of the hour's
post-defrost readings and how many there were), read from the store
(:meth:`~ingest.store.base.TelemetryStore.read_fleet_after_defrost`) or computed from
raw readings (:func:`after_defrost_hourly`), side by side with the hourly means.

Each device learns its clean-coil **reference** from its first :data:`LEARN_DAYS` of
defrosts: log low pressure, linear in outdoor temperature and compressor speed, and
the scatter about it. :func:`after_defrost_z` is the reference's residual per hour, in
the uncertainty of its prediction there: the scatter, and how well a few weeks pinned
the line down at those conditions (the least-squares prediction error, which grows
away from the conditions learnt on). Hours more than :data:`MARGIN_K` colder or
warmer than any it learnt on are not judged: a line fitted on a few mild weeks says
little about a cold snap 20 K colder. What a fit gets wrong alike for every unit of a
region, the detector (:class:`detect.icing.Icing`) takes out with the median of its
region (:mod:`detect.cohort`).

>>> import numpy as np
>>> hz = np.array([40.0, 40.0, 0.0, 42.0, 41.0])
>>> defrost = np.array([0.0, 1.0, 1.0, 0.0, 0.0])
>>> from ingest.reading import after_defrost_rows
>>> after_defrost_rows(hz, defrost).tolist()
[False, False, False, True, False]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from detect.frame import DAY_MS, HOUR_MS, Frame, downsample
from ingest.reading import after_defrost_rows

#: What is kept of each post-defrost reading.
SIGNALS: Final = ("low_pressure", "outdoor_temp", "compressor_hz")
SUFFIX: Final = "_after_defrost"
COUNT: Final = "defrosts_ended"
#: The hourly columns: each of :data:`SIGNALS` with :data:`SUFFIX`, and :data:`COUNT`.
COLUMNS: Final = (*(s + SUFFIX for s in SIGNALS), COUNT)
#: The cohort channel and residual name of the post-defrost residual.
CHANNEL: Final = "low_pressure" + SUFFIX
#: The reference is learnt from a device's first this many days of defrosts ...
LEARN_DAYS: Final = 20
#: ... and needs this many hours with a post-defrost reading in them.
MIN_LEARN: Final = 15
#: Hours this much colder or warmer (K) than any the reference learnt on are not judged.
MARGIN_K: Final = 5.0


@dataclass(frozen=True)
class DefrostReference:
    """Log low pressure of a clean coil: ``coef · (1, outdoor, hz)``, scatter ``sd``;
    learnt from the post-defrost hours in ``[start_ms, stop_ms)``, whose outdoor
    temperatures spanned ``outdoor`` (lowest, highest) and whose ``(XᵀX)⁻¹`` is ``xtx_inv``
    (for the prediction's uncertainty)."""

    coef: np.ndarray  # (3,)
    sd: float
    start_ms: int
    stop_ms: int
    xtx_inv: np.ndarray  # (3, 3)
    outdoor: tuple[float, float]

    def expected_log(self, outdoor: np.ndarray, hz: np.ndarray) -> np.ndarray:
        return np.asarray(self.coef[0] + self.coef[1] * outdoor + self.coef[2] * hz)

    def scale(self, outdoor: np.ndarray, hz: np.ndarray) -> np.ndarray:
        """How uncertain a prediction at these conditions is (log units): the scatter and
        the least-squares error of the line there."""
        x = np.column_stack([np.ones(len(outdoor)), outdoor, hz])
        leverage = np.einsum("ij,jk,ik->i", x, self.xtx_inv, x)
        return np.asarray(self.sd * np.sqrt(1.0 + np.maximum(leverage, 0.0)))

    def judged(self, outdoor: np.ndarray) -> np.ndarray:
        """Whether hours at these outdoor temperatures are close enough to those learnt on."""
        with np.errstate(invalid="ignore"):
            return np.asarray((outdoor >= self.outdoor[0] - MARGIN_K)
                              & (outdoor <= self.outdoor[1] + MARGIN_K))

    def as_array(self) -> np.ndarray:
        return np.r_[self.coef, self.sd, self.start_ms, self.stop_ms, self.xtx_inv.ravel(),
                     self.outdoor].astype(float)

    @classmethod
    def from_array(cls, a: np.ndarray) -> DefrostReference | None:
        """The inverse of :meth:`as_array`; ``None`` for a row of NaN (no reference)."""
        if np.isnan(a).any():
            return None
        return cls(np.asarray(a[:3], dtype=float), float(a[3]), int(a[4]), int(a[5]),
                   np.asarray(a[6:15], dtype=float).reshape(3, 3), (float(a[15]), float(a[16])))


NO_REFERENCE: Final = np.full(17, np.nan)


def after_defrost_hourly(rows: Frame) -> Frame:
    """Hourly :data:`COLUMNS` from the post-defrost readings ``rows`` (columns
    :data:`SIGNALS`): their means and how many there were."""
    if len(rows) == 0:
        return Frame.empty(rows.device_id)
    means = downsample(Frame(rows.device_id, rows.times_ms,
                             {s: rows[s] for s in SIGNALS}), HOUR_MS)
    counts = downsample(Frame(rows.device_id, rows.times_ms,
                              {COUNT: np.ones(len(rows))}), HOUR_MS, aggregate="count")
    columns = {s + SUFFIX: means[s] for s in SIGNALS}
    columns[COUNT] = counts.at(means.times_ms, (COUNT,))[:, 0]
    return Frame(rows.device_id, means.times_ms, columns)


def from_raw(raw: Frame) -> Frame:
    """The post-defrost readings among one device's raw readings ``raw`` (time order)."""
    keep = after_defrost_rows(raw["compressor_hz"], raw["defrost"])
    return Frame(raw.device_id, raw.times_ms[keep], {s: raw[s][keep] for s in SIGNALS})


def attach(hourly: Frame, after: Frame) -> Frame:
    """``hourly`` with the :data:`COLUMNS` of ``after`` (hourly, as
    :func:`after_defrost_hourly` gives) on the same hours; NaN where an hour had none.

    An hour with a post-defrost reading has a running reading, so it is among the
    hourly means; one that is not (a store read at another moment) is left out."""
    columns = dict(hourly.columns)
    values = after.at(hourly.times_ms, COLUMNS)
    for i, name in enumerate(COLUMNS):
        columns[name] = values[:, i]
    return Frame(hourly.device_id, hourly.times_ms, columns)


def readings(hourly: Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``hourly``: its post-defrost low pressure, outdoor temperature and
    compressor speed (the :data:`COLUMNS` of :data:`SIGNALS`), and whether they are
    usable (all there, the pressure positive)."""
    low, outdoor, hz = (hourly[s + SUFFIX] for s in SIGNALS)
    with np.errstate(invalid="ignore"):
        ok = (low > 0) & ~np.isnan(outdoor) & ~np.isnan(hz)
    return low, outdoor, hz, np.asarray(ok)


def fit_reference(hourly: Frame, now_ms: int, not_before_ms: int) -> DefrostReference | None:
    """The clean-coil reference from the first :data:`LEARN_DAYS` after the first
    post-defrost hour at or after ``not_before_ms``; ``None`` until those days are over
    (or with fewer than :data:`MIN_LEARN` such hours in them)."""
    low, outdoor, hz, ok = readings(hourly)
    times, y, outdoor, hz = hourly.times_ms[ok], np.log(low[ok]), outdoor[ok], hz[ok]
    later = times >= not_before_ms
    if not later.any():
        return None
    start = int(times[later][0])
    stop = start + LEARN_DAYS * DAY_MS
    if now_ms < stop:
        return None
    learn = later & (times < stop)
    if learn.sum() < MIN_LEARN:
        return None
    x = np.column_stack([np.ones(int(learn.sum())), outdoor[learn], hz[learn]])
    coef, *_ = np.linalg.lstsq(x, y[learn], rcond=None)
    sd = float(np.std(y[learn] - x @ coef))
    if not np.isfinite(sd) or sd <= 0:
        return None
    return DefrostReference(coef, max(sd, 1e-4), start, stop, np.linalg.pinv(x.T @ x),
                            (float(outdoor[learn].min()), float(outdoor[learn].max())))


def after_defrost_z(hourly: Frame, ref: DefrostReference | None) -> np.ndarray:
    """Per row of ``hourly``: its post-defrost log low pressure below (negative) or above the
    reference's, in the prediction's uncertainty (:meth:`DefrostReference.scale`); NaN
    where the hour had none, is too far from what was learnt (:data:`MARGIN_K`), or there
    is no reference."""
    z = np.full(len(hourly), np.nan)
    if ref is None or len(hourly) == 0:
        return z
    low, outdoor, hz, ok = readings(hourly)
    ok &= ref.judged(outdoor)
    z[ok] = ((np.log(low[ok]) - ref.expected_log(outdoor[ok], hz[ok]))
             / ref.scale(outdoor[ok], hz[ok]))
    return z
