"""Run the fleet on the broker in (accelerated) real time: the one place that reads the clock.

Simulated time advances ``interval_s`` per step; with ``speed`` 1 a step takes
``interval_s`` of wall time, with ``speed`` 1440 a simulated day takes a minute,
and with ``speed`` 0 the fleet runs as fast as the broker takes it. Payload
timestamps always carry simulated time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from simulators.fleet import Fleet
from simulators.mqtt_publisher import FleetPublisher
from simulators.wire import Wire

Progress = Callable[[int, float], None]  # (steps done, simulated time)


@dataclass(frozen=True, slots=True)
class LiveResult:
    steps: int
    readings: int
    messages: int
    interrupted: bool


def run_live(fleet: Fleet, wire: Wire, publisher: FleetPublisher, steps: int, speed: float,
             progress: Progress | None = None,
             clock: Callable[[], float] = time.monotonic) -> LiveResult:
    """Connect, announce, publish ``steps`` readings per device, say goodbye cleanly.

    Ctrl-C stops early but still disconnects cleanly; the result says so.
    """
    if speed < 0:
        raise ValueError("speed must be 0 (as fast as possible) or more")
    ts0 = round(fleet.t_s * 1000)
    publisher.connect(ts0)
    publisher.publish_all(wire.hello(ts0))
    wall0 = clock()
    done = messages = 0
    interrupted = False
    try:
        for k in range(steps):
            frame = fleet.step()
            step = wire.step(frame, fleet.interval_s)
            publisher.apply(step, frame.ts_ms)
            messages += len(step.messages)
            done = k + 1
            if progress:
                progress(done, frame.t_s)
            if speed > 0:
                publisher.wait_until(wall0 + done * fleet.interval_s / speed)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        ts = round(fleet.t_s * 1000)
        publisher.apply(wire.bring_back(ts), ts)
        publisher.close(wire.goodbye(ts))
    return LiveResult(done, done * len(fleet.devices), messages, interrupted)
