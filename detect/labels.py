"""What technicians found: the outcome labels dispatch writes, read back by detect.

When a ticket closes, dispatch writes a label per ticket to a JSON-lines file
(``dispatch.labels_path``; see :mod:`dispatch.feedback`): this device had (``fault``),
did not have (``no_fault``), or no longer had (``cleared``) the problem, between the
first finding and the close. Detect reads the file here -- a file, not an import,
because dependencies point one way along the pipeline -- and the retrain uses it
(:func:`detect.training.retrain`):

* **no fault found** on a ``machine`` or ``sensors`` problem: the technician found
  the machine (or the sensor) sound, so how it reads now is its normal. Its model is
  re-baselined on its recent history, the flagged days included, instead of raising
  the same misfit again once dispatch's suppression runs out.
* **fault confirmed**: the hours between the first finding and the repair show the
  fault, and are never learnt as normal.

>>> line = ('{"device_id":"hp-1","problem":"machine","label":"no_fault",'
...         '"start_ms":1000,"end_ms":2000}')
>>> parse_label(line)
Label(device_id='hp-1', problem='machine', label='no_fault', start_ms=1000, end_ms=2000)
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

KINDS: Final = ("fault", "no_fault", "cleared")
#: The problems a device can have open at once (dispatch opens one ticket per problem).
MACHINE: Final = "machine"
SENSORS: Final = "sensors"
CONNECTIVITY: Final = "connectivity"
SENSOR_FAULTS: Final = frozenset({"sensor_drift", "sensor_stuck", "sensor_dropout"})
#: Problems whose no-fault-found outcome re-baselines the model.
REBASELINE: Final = (MACHINE, SENSORS)


def problem_of(fault: str) -> str:
    """The problem a diagnosed fault belongs to: a sensor's (checked remotely), a silent
    device's, or the machine's (one visit fixes it)."""
    if fault in SENSOR_FAULTS:
        return SENSORS
    if fault == "offline":
        return CONNECTIVITY
    return MACHINE


class LabelError(ValueError):
    """A line of the labels file that is not a label."""


@dataclass(frozen=True)
class Label:
    """One closed ticket's outcome for one device over ``[start_ms, end_ms]``."""

    device_id: str
    problem: str  # "machine", "sensors" or "connectivity" (dispatch's problem classes)
    label: str  # one of KINDS
    start_ms: int
    end_ms: int


def parse_label(line: str) -> Label:
    """One JSON line as a :class:`Label`; :class:`LabelError` says what is wrong."""
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LabelError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise LabelError("not a JSON object")
    missing = [k for k in ("device_id", "problem", "label", "start_ms", "end_ms") if k not in doc]
    if missing:
        raise LabelError(f"missing {', '.join(missing)}")
    if doc["label"] not in KINDS:
        raise LabelError(f"label {doc['label']!r} is not one of {', '.join(KINDS)}")
    try:
        start, end = int(doc["start_ms"]), int(doc["end_ms"])
    except (TypeError, ValueError):
        raise LabelError("start_ms and end_ms must be integers (epoch milliseconds)") from None
    if end < start:
        raise LabelError(f"end_ms {end} is before start_ms {start}")
    return Label(str(doc["device_id"]), str(doc["problem"]), doc["label"], start, end)


def read_labels(path: Path | None) -> dict[str, list[Label]]:
    """Every label in ``path`` by device (none when there is no file yet). A line that is
    not a label is logged with its line number and skipped: one bad line never hides the
    others."""
    if path is None or not path.exists():
        return {}
    return by_device(_lines(path))


def _lines(path: Path) -> Iterable[Label]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield parse_label(line)
            except LabelError as exc:
                log.warning("%s line %d skipped: %s", path, number, exc)


def by_device(labels: Iterable[Label]) -> dict[str, list[Label]]:
    out: dict[str, list[Label]] = defaultdict(list)
    for label in labels:
        out[label.device_id].append(label)
    return dict(out)


def fault_spans(labels: Sequence[Label]) -> list[tuple[int, int]]:
    """The ``[start, end]`` spans a confirmed fault was present: never normal."""
    return [(x.start_ms, x.end_ms) for x in labels if x.label == "fault"]


def sound_since(labels: Sequence[Label], after_ms: int) -> int | None:
    """The latest close after ``after_ms`` of a check that found the device sound (a
    no-fault-found ``machine`` or ``sensors`` label), or None. (A silent device found
    sound says nothing about its model.)"""
    closes = [x.end_ms for x in labels if x.label == "no_fault"
              and x.problem in REBASELINE and x.end_ms > after_ms]
    return max(closes) if closes else None
