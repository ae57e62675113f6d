"""Detect: scheduled detectors that find abnormal behaviour and predict failures.

The pure core (no I/O, the current time always passed in):

* :mod:`detect.normal` -- a learned normal per device (with a fleet prior);
* :mod:`detect.drift`, :mod:`detect.multivariate` -- EWMA, CUSUM and Hotelling T² on
  residuals; :mod:`detect.rules`, :mod:`detect.sensors` -- hard facts and sensor health;
* :mod:`detect.diagnosis`, :mod:`detect.ttf` -- fault class, service, failure window;
* :mod:`detect.engine` -- scores in, findings out (:mod:`detect.findings`).

At the edges: :mod:`detect.runner` (``forewarn detect``), :mod:`detect.registry`
(versioned models), :mod:`detect.sink` (findings for dispatch) and
:mod:`detect.evaluation` (``forewarn evaluate``). ``detect.generic`` holds the
generic CSV detectors behind ``forewarn score``.
"""

from detect.detector import Detector, DeviceWindow, Evidence, Score
from detect.diagnosis import Diagnosis
from detect.engine import Engine, default_detectors
from detect.errors import DetectError, ModelError, NoModelError, ShardError, SinkError
from detect.findings import Finding
from detect.registry import ModelRegistry, ModelSet
from detect.shard import Shard
from detect.sink import FindingSink, JsonLinesSink, MemorySink

__all__ = [
    "DetectError",
    "Detector",
    "DeviceWindow",
    "Diagnosis",
    "Engine",
    "Evidence",
    "Finding",
    "FindingSink",
    "JsonLinesSink",
    "MemorySink",
    "ModelError",
    "ModelRegistry",
    "ModelSet",
    "NoModelError",
    "Score",
    "Shard",
    "ShardError",
    "SinkError",
    "default_detectors",
]
