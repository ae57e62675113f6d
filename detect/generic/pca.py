"""PCA detector: Hotelling's T² inside the principal subspace and SPE (Q) outside it.

Classical multivariate statistical process monitoring [1]_ [2]_: features are standardised on the
training rows, principal components keep ``variance`` of the training variance, T² measures how
far a row lies *within* the usual pattern, SPE how far it lies *off* it (a broken correlation).
Each statistic is divided by its training ``quantile``; the row scores the square root of the
larger ratio, so scores are distances (like z-values) and threshold factors mean the same as for
the other detectors.

References
----------
.. [1] Jackson, J. E. and Mudholkar, G. S. (1979). "Control procedures for residuals associated
   with principal component analysis". Technometrics 21(3), 341-349.
.. [2] MacGregor, J. F. and Kourti, T. (1995). "Statistical process control of multivariate
   processes". Control Engineering Practice 3(3), 403-414.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

import numpy as np

from detect.generic.base import FloatArray, check_rows, scale_floor

if TYPE_CHECKING:
    from sklearn.decomposition import PCA  # imported when fitting: keeps `forewarn --help` fast


class PCADetector:
    """Score = sqrt(max(T² / T²_ref, SPE / SPE_ref)), references from the training rows.

    >>> rng = np.random.default_rng(3)
    >>> latent = rng.normal(size=(600, 1))
    >>> train = np.hstack([latent, latent + 0.05 * rng.normal(size=(600, 1))])
    >>> detector = PCADetector(variance=0.9).fit(train)
    >>> on_pattern, off_pattern = detector.score(np.array([[1.0, 1.0], [1.0, -1.0]]))
    >>> bool(off_pattern > 10 * on_pattern)
    True
    """

    def __init__(self, variance: float = 0.9, quantile: float = 0.99) -> None:
        if not 0 < variance <= 1:
            raise ValueError(f"variance must be in (0, 1], got {variance}")
        if not 0 < quantile <= 1:
            raise ValueError(f"quantile must be in (0, 1], got {quantile}")
        self.variance = variance
        self.quantile = quantile
        self._fitted: tuple[FloatArray, FloatArray, PCA, float, float] | None = None

    def fit(self, train: FloatArray) -> Self:
        array = check_rows(train)
        mean = array.mean(axis=0)
        std = np.maximum(array.std(axis=0), scale_floor(mean))
        z = (array - mean) / std
        n_components = min(z.shape) if z.shape[1] > 1 else 1
        from sklearn.decomposition import PCA

        pca = PCA(n_components=n_components, svd_solver="full").fit(z)
        cumulative = np.cumsum(pca.explained_variance_ratio_)
        keep = int(np.searchsorted(cumulative, self.variance) + 1)
        from sklearn.decomposition import PCA

        pca = PCA(n_components=min(keep, n_components), svd_solver="full").fit(z)
        self._fitted = (mean, std, pca, 1.0, 1.0)
        t2, spe = self._statistics(array)
        t2_ref = max(float(np.quantile(t2, self.quantile)), 1e-12)
        spe_ref = max(float(np.quantile(spe, self.quantile)), 1e-12)
        self._fitted = (mean, std, pca, t2_ref, spe_ref)
        return self

    def _statistics(self, rows: FloatArray) -> tuple[FloatArray, FloatArray]:
        if self._fitted is None:
            raise RuntimeError("PCADetector is not fitted; call fit(train) first")
        mean, std, pca, _, _ = self._fitted
        z = (check_rows(rows, mean.shape[0]) - mean) / std
        scores = pca.transform(z)
        variances = np.maximum(pca.explained_variance_, 1e-12)
        t2 = (scores**2 / variances).sum(axis=1)
        spe = ((z - pca.inverse_transform(scores)) ** 2).sum(axis=1)
        return np.asarray(t2, dtype=np.float64), np.asarray(spe, dtype=np.float64)

    def score(self, rows: FloatArray) -> FloatArray:
        t2, spe = self._statistics(rows)
        assert self._fitted is not None
        _, _, _, t2_ref, spe_ref = self._fitted
        return np.asarray(np.sqrt(np.maximum(t2 / t2_ref, spe / spe_ref)), dtype=np.float64)
