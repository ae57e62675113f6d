"""The one small contract every detector shares, river style: a detector *scores*, high means
anomalous; a separate step (:mod:`detect.decide`) decides what becomes a finding.

A detector is a pure function of a :class:`DeviceWindow` (plain data, the current
time inside it): no I/O, no wall clock, no state between calls. The same detectors
therefore run live (:mod:`detect.runner`) and in a replay (:mod:`detect.evaluation`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from detect.frame import Frame
from detect.normal import NormalModel
from ingest.records import DeviceEvent

Cadence = Literal["quick", "model"]


@dataclass(frozen=True)
class DeviceWindow:
    """Everything the detectors may look at for one device at ``now_ms``.

    ``recent`` holds raw readings of the quick-check lookback, ``hourly`` hourly means
    of the scoring lookback, ``events`` the device's error codes in the scoring lookback,
    ``cohort`` the hourly median residuals of its region (see :mod:`detect.cohort`).
    """

    device_id: str
    now_ms: int
    recent: Frame
    hourly: Frame
    events: tuple[DeviceEvent, ...] = ()
    last_reading_ms: int | None = None
    model: NormalModel | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    cohort: Frame | None = None  # hourly median residuals of the device's region
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Evidence:
    """Expected against observed values of the signals involved, over a window."""

    signals: tuple[str, ...]
    times_ms: tuple[int, ...]
    observed: dict[str, list[float | None]]
    expected: dict[str, list[float | None]] = field(default_factory=dict)

    @classmethod
    def from_arrays(cls, signals: tuple[str, ...], times_ms: np.ndarray,
                    observed: dict[str, np.ndarray],
                    expected: dict[str, np.ndarray] | None = None) -> Evidence:
        def plain(a: np.ndarray) -> list[float | None]:
            return [None if v != v else v for v in np.round(a, 4).tolist()]

        return cls(signals, tuple(int(t) for t in times_ms),
                   {k: plain(v) for k, v in observed.items()},
                   {k: plain(v) for k, v in (expected or {}).items()})


@dataclass(frozen=True)
class Score:
    """One detector's verdict on one device at one time: ``value >= 0``, high = anomalous.

    ``shift`` maps residual channels to how far they moved (for diagnosis);
    ``details`` carries detector-specific facts (an error code, a silent time, ...).
    """

    detector: str
    device_id: str
    ts_ms: int
    value: float
    signals: tuple[str, ...] = ()
    shift: Mapping[str, float] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    evidence: Evidence | Callable[[], Evidence] | None = field(default=None, compare=False)

    def resolved_evidence(self) -> Evidence | None:
        """The evidence, built now if the detector deferred it (it is only needed on a finding)."""
        return self.evidence() if callable(self.evidence) else self.evidence

    def __post_init__(self) -> None:
        if not np.isfinite(self.value) or self.value < 0:
            raise ValueError(f"{self.detector}: score {self.value!r} must be finite and >= 0")


@runtime_checkable
class Detector(Protocol):
    """Scores one device's window. ``threshold`` is the default decision boundary."""

    @property
    def name(self) -> str: ...

    @property
    def cadence(self) -> Cadence: ...

    @property
    def threshold(self) -> float: ...

    def score(self, window: DeviceWindow) -> list[Score]:
        """Scores for ``window`` (empty when the detector has nothing to say)."""
        ...
