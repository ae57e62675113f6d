"""Trend-aware, causal features: smoothed levels for steady columns, rates for drifting ones.

Raw sensor readings are noisy, and some of them (temperatures, mostly) drift slowly for reasons
that have nothing to do with faults. Comparing such a column's *level* with a short training
prefix flags the drift, not the fault. So each column is first classified on the training
prefix by its variance ratio [1]_ (variance of block means over the variance expected if the
samples were independent):

* a **steady** column (ratio well below the block length: noise dominates) contributes its
  smoothed level (a causal rolling mean over ``window`` rows) *and* its rate of change;
* a **slow** column (ratio near the block length: nearly all variance is low-frequency drift)
  contributes only its rate of change (the smoothed level now minus ``window`` rows ago).

Everything is causal: row ``t`` of the features depends on rows ``<= t`` only, so features of a
prefix equal the prefix of the features, and live scoring replays exactly.

References
----------
.. [1] Lo, A. W. and MacKinlay, A. C. (1988). "Stock market prices do not follow random walks:
   evidence from a simple specification test". Review of Financial Studies 1(1), 41-66.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def rolling_mean(values: FloatArray, window: int) -> FloatArray:
    """Causal rolling mean over ``window`` rows; the first rows average what exists so far.

    >>> rolling_mean(np.array([[1.0], [3.0], [5.0], [7.0]]), 2).ravel().tolist()
    [1.0, 2.0, 4.0, 6.0]
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    cumsum = np.cumsum(np.vstack([np.zeros((1, values.shape[1])), values]), axis=0)
    n = values.shape[0]
    ends = np.arange(1, n + 1)
    starts = np.maximum(ends - window, 0)
    counts = (ends - starts).astype(np.float64)[:, None]
    return np.asarray((cumsum[ends] - cumsum[starts]) / counts, dtype=np.float64)


def variance_ratio(values: FloatArray, block: int) -> FloatArray:
    """Per column: variance of ``block``-row means divided by (variance / ``block``).

    About 1 for white noise, close to ``block`` for a slowly drifting signal. Columns with fewer
    than two full blocks, or no variance at all, get 1.

    >>> rng = np.random.default_rng(0)
    >>> noise = rng.normal(size=(400, 1))
    >>> drift = np.linspace(0, 10, 400)[:, None] + 0.1 * noise
    >>> ratio = variance_ratio(np.hstack([noise, drift]), 50)
    >>> bool(ratio[0] < 5), bool(ratio[1] > 40)
    (True, True)
    """
    n_blocks = values.shape[0] // block
    if n_blocks < 2:
        return np.ones(values.shape[1])
    blocks = values[: n_blocks * block].reshape(n_blocks, block, -1).mean(axis=1)
    total = values.var(axis=0)
    ratio = np.ones(values.shape[1])
    moving = total > 0
    ratio[moving] = blocks.var(axis=0)[moving] / (total[moving] / block)
    return ratio


@dataclass(frozen=True)
class TrendAwareFeatures:
    """Fitted feature map: which columns are slow, and how to turn rows into features.

    Build it with :meth:`fit` on the training prefix, then :meth:`transform` the whole series
    (training prefix included, in time order).

    >>> rng = np.random.default_rng(1)
    >>> steady = rng.normal(size=(300, 1))
    >>> slow = np.linspace(20, 25, 300)[:, None] + 0.05 * rng.normal(size=(300, 1))
    >>> features = TrendAwareFeatures.fit(np.hstack([steady, slow]), window=10)
    >>> features.slow
    (False, True)
    >>> features.transform(np.hstack([steady, slow])).shape  # 1 level + 2 rates
    (300, 3)
    """

    window: int
    slow: tuple[bool, ...]

    @classmethod
    def fit(
        cls, train: FloatArray, *, window: int = 20, block: int = 50, slow_ratio: float = 0.6
    ) -> TrendAwareFeatures:
        """Classify columns as slow when their variance ratio exceeds ``slow_ratio * block``."""
        if not 0 < slow_ratio <= 1:
            raise ValueError(f"slow_ratio must be in (0, 1], got {slow_ratio}")
        ratio = variance_ratio(np.asarray(train, dtype=np.float64), block)
        return cls(window=window, slow=tuple(bool(r > slow_ratio * block) for r in ratio))

    @property
    def warmup(self) -> int:
        """Rows before every feature is fully formed (level window plus rate lag)."""
        return 2 * self.window

    def names(self, columns: list[str]) -> list[str]:
        """Feature names, e.g. ``level(Pressure)`` and ``rate(Temperature)``."""
        levels = [f"level({c})" for c, s in zip(columns, self.slow, strict=True) if not s]
        return levels + [f"rate({c})" for c in columns]

    def transform(self, values: FloatArray) -> FloatArray:
        """Features for every row of ``values`` (rows in time order, same columns as fit)."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape[1] != len(self.slow):
            raise ValueError(f"expected {len(self.slow)} columns, got {values.shape[1]}")
        smooth = rolling_mean(values, self.window)
        rate = np.zeros_like(smooth)
        rate[self.window :] = smooth[self.window :] - smooth[: -self.window]
        steady = ~np.array(self.slow, dtype=bool)
        return np.hstack([smooth[:, steady], rate])
