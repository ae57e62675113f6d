"""Decision policy: watch, remote check or site visit, with the reason (pure).

- The diagnosis names a sensor or a silent device (``remedy == "remote_check"``):
  a remote check. A bad sensor never gets a van.
- Confidence below ``watch_below_confidence``: watch only (the ticket exists, but
  nobody is disturbed).
- A failure of the machine predicted within ``visit_if_failure_within_h``: a visit, even
  at moderate confidence: what matters is that it is failing, and the technician finds
  which fault it is.
- Confidence below ``visit_min_confidence``: a remote check first.
- A repeated alarm on a device whose last visit for this problem found no fault is
  watched while suppressed, unless the evidence is now very strong.
- Otherwise: a site visit.

Actions are ordered (watch < remote check < visit): a ticket only ever escalates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from config import DispatchSettings
from detect.diagnosis import Diagnosis


class Action(StrEnum):
    WATCH = "watch"
    REMOTE_CHECK = "remote_check"
    VISIT = "visit"

    @property
    def rank(self) -> int:
        return list(Action).index(self)


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str


def decide(diagnosis: Diagnosis, settings: DispatchSettings,
           suppressed_until_ms: int | None = None, now_ms: int = 0,
           failure_ms: int | None = None) -> Decision:
    """What to do about a problem with this diagnosis and predicted failure time (see the
    module docstring)."""
    conf = diagnosis.confidence
    if diagnosis.remedy == "remote_check":
        what = f"the {diagnosis.sensor} sensor" if diagnosis.sensor else "the connection"
        return Decision(Action.REMOTE_CHECK,
                        f"{diagnosis.fault}: {what} is suspect, not the heat pump; "
                        "check remotely, no site visit")
    if conf < settings.watch_below_confidence:
        return Decision(Action.WATCH, f"confidence {conf:.2f} is below "
                        f"{settings.watch_below_confidence:.2f}: watch for more evidence")
    if suppressed_until_ms is not None and now_ms < suppressed_until_ms \
            and conf < settings.suppress_override_confidence:
        return Decision(Action.WATCH, "the last visit for this problem found no fault; "
                        f"watching (confidence {conf:.2f} < "
                        f"{settings.suppress_override_confidence:.2f} needed to visit again)")
    hours = (failure_ms - now_ms) / 3_600_000 if failure_ms is not None else None
    if hours is not None and hours <= settings.visit_if_failure_within_h:
        return Decision(Action.VISIT, f"failure predicted in {max(hours, 0):.0f} h: site visit "
                        f"by a {diagnosis.skill} although confidence in {diagnosis.fault} is "
                        f"{conf:.2f}")
    if conf < settings.visit_min_confidence:
        return Decision(Action.REMOTE_CHECK, f"confidence {conf:.2f} is below "
                        f"{settings.visit_min_confidence:.2f}: remote check before a visit")
    return Decision(Action.VISIT, f"{diagnosis.fault} with confidence {conf:.2f}: "
                    f"site visit by a {diagnosis.skill}")


def escalate(current: Action, proposed: Decision) -> Decision | None:
    """The new decision if it is a step up from ``current``, else None."""
    return proposed if proposed.action.rank > current.rank else None
