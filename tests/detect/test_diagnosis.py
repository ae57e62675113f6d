"""Diagnosis: signatures, error codes, and the service each fault needs."""

from __future__ import annotations

import pytest

from detect.diagnosis import SIGNATURES, diagnose, diagnose_shift


@pytest.mark.parametrize("fault", sorted(SIGNATURES))
def test_each_signature_diagnoses_itself_with_high_confidence(fault: str) -> None:
    shift = {c: 10.0 * v for c, v in SIGNATURES[fault].items()}
    diag = diagnose_shift(shift)
    assert diag.fault == fault and diag.confidence > 0.9
    assert diag.remedy == "visit" and diag.parts


def test_one_sensor_moving_alone_is_a_drifting_sensor() -> None:
    diag = diagnose_shift({"sensor:outdoor_temp": 8.0, "subcooling_per_hz": 0.3})
    assert (diag.fault, diag.sensor, diag.remedy) == ("sensor_drift", "outdoor_temp",
                                                      "remote_check")


def test_no_movement_is_no_diagnosis() -> None:
    assert diagnose_shift({}).fault == "unknown"


def test_error_codes_name_their_fault() -> None:
    assert diagnose("error_code", {}, {"code": "E102"}).fault == "refrigerant_leak"
    assert diagnose("error_code", {}, {"code": "E999"}).fault == "unknown"


def test_a_silent_device_needs_a_remote_check_first() -> None:
    assert diagnose("silence", {}, {}).remedy == "remote_check"
