"""Turning row flags into episodes: bridge short gaps, drop short blips.

Real faults last; noise flickers. Two morphological steps (a closing, then an opening, as in
binary image processing [1]_) run over the boolean flags: gaps shorter than ``min_gap`` rows
inside an alarm are filled, then alarm runs shorter than ``min_run`` rows are dropped. Both look
at the whole series, so they suit scoring a file offline; live use delays a decision by at most
``min_run`` rows.

References
----------
.. [1] Serra, J. (1982). *Image Analysis and Mathematical Morphology*. Academic Press.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

BoolArray = NDArray[np.bool_]


def runs(flags: BoolArray) -> list[tuple[int, int]]:
    """Half-open ``(start, end)`` row ranges where ``flags`` is true.

    >>> runs(np.array([0, 1, 1, 0, 1], dtype=bool))
    [(1, 3), (4, 5)]
    """
    padded = np.concatenate([[False], np.asarray(flags, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def fill_gaps(flags: BoolArray, min_gap: int) -> BoolArray:
    """Set gaps shorter than ``min_gap`` rows *between* two alarm runs.

    >>> fill_gaps(np.array([1, 0, 0, 1, 0, 0, 0, 0, 1], dtype=bool), 3).astype(int).tolist()
    [1, 1, 1, 1, 0, 0, 0, 0, 1]
    """
    out = np.asarray(flags, dtype=bool).copy()
    spans = runs(out)
    for (_, end), (start, _) in pairwise(spans):
        if start - end < min_gap:
            out[end:start] = True
    return out


def drop_short(flags: BoolArray, min_run: int) -> BoolArray:
    """Clear alarm runs shorter than ``min_run`` rows.

    >>> drop_short(np.array([1, 0, 1, 1, 1, 0, 1], dtype=bool), 2).astype(int).tolist()
    [0, 0, 1, 1, 1, 0, 0]
    """
    out = np.asarray(flags, dtype=bool).copy()
    for start, end in runs(out):
        if end - start < min_run:
            out[start:end] = False
    return out


def episodes(flags: BoolArray, *, min_gap: int, min_run: int) -> BoolArray:
    """Fill short gaps, then drop short runs.

    >>> flags = np.array([0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0], dtype=bool)
    >>> episodes(flags, min_gap=2, min_run=3).astype(int).tolist()
    [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    """
    return drop_short(fill_gaps(flags, min_gap), min_run)
