"""Simulators: a heat-pump fleet with injected faults and known ground truth.

The core (weather, houses, heat pumps, faults, sensors) is pure and deterministic
given a seed and a start time, and vectorised over devices; the MQTT publisher,
the live clock and the store backfill are thin adapters around it.

>>> from simulators import Fleet, random_plan
>>> start = 1_767_225_600.0  # 2026-01-01T00:00Z
>>> ids = [f"sim-{i:05d}" for i in range(50)]
>>> fleet = Fleet(50, seed=1, start_s=start, interval_s=300,
...               plan=random_plan(ids, start, start + 30 * 86_400, 0.2, seed=1))
>>> frames = [fleet.step() for _ in range(12)]
>>> truth = fleet.ground_truth()
>>> len(truth.records)
50
"""

from simulators.backfill import BackfillResult, backfill_mqtt, backfill_store
from simulators.climate import CLIMATES, Climate
from simulators.devices import SIGNAL_NAMES, DeviceInfo
from simulators.errors import FaultPlanError, PublishError, SimulatorError
from simulators.faults import FAULTS, FaultSpec, FaultType
from simulators.fleet import MODES, DeviceEvent, Fleet, Frame
from simulators.ground_truth import FaultRecord, GroundTruth
from simulators.live import LiveResult, run_live
from simulators.mqtt_publisher import FleetPublisher
from simulators.payloads import frame_readings, reading_dicts
from simulators.plan import PlannedFault, load_plan, parse_plan, random_plan
from simulators.weather import Forecast, Weather
from simulators.wire import Outgoing, Realism, Wire

__all__ = [
    "CLIMATES",
    "FAULTS",
    "MODES",
    "SIGNAL_NAMES",
    "BackfillResult",
    "Climate",
    "DeviceEvent",
    "DeviceInfo",
    "FaultPlanError",
    "FaultRecord",
    "FaultSpec",
    "FaultType",
    "Fleet",
    "FleetPublisher",
    "Forecast",
    "Frame",
    "GroundTruth",
    "LiveResult",
    "Outgoing",
    "PlannedFault",
    "PublishError",
    "Realism",
    "SimulatorError",
    "Weather",
    "Wire",
    "backfill_mqtt",
    "backfill_store",
    "frame_readings",
    "load_plan",
    "parse_plan",
    "random_plan",
    "reading_dicts",
    "run_live",
]
