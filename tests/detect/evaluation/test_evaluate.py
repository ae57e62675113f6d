"""An evaluation on a small fleet: simulate, backfill, replay, score, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from detect.evaluation.metrics import Report
from detect.evaluation.report import print_report, write_chart, write_json
from detect.evaluation.run import Evaluation, evaluate
from ingest.store import EmbeddedStore

PLAN = [
    {"device": 0, "fault": "compressor_wear", "onset_day": 22, "progression_days": 28},
    {"device": 1, "fault": "refrigerant_leak", "onset_day": 22, "progression_days": 28},
    {"device": 2, "fault": "electronic", "onset_day": 30},
    {"device": 3, "fault": "sensor_stuck", "onset_day": 26, "sensor": "supply_temp"},
]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Evaluation:
    """Ten Stockholm heat pumps for 54 days at 15-minute readings, four with faults."""
    store = EmbeddedStore(tmp_path_factory.mktemp("eval") / "telemetry.sqlite")
    try:
        return evaluate(store, devices=10, days=54, seed=4, interval_s=900, plan=PLAN,
                        climates=["stockholm"])
    finally:
        store.close()


def _outcome(report: Report, fault: str):  # type: ignore[no-untyped-def]
    return next(o for o in report.outcomes if o.fault == fault)


def test_a_refrigerant_leak_is_flagged_days_before_it_fails(result: Evaluation) -> None:
    o = _outcome(result.report, "refrigerant_leak")
    assert o.failed and o.flagged_before_failure
    assert o.lead_days is not None and o.lead_days >= 2


def test_a_wearing_compressor_is_found_and_named(result: Evaluation) -> None:
    o = _outcome(result.report, "compressor_wear")
    assert o.flagged and o.diagnosis == "compressor_wear"


def test_a_stuck_sensor_is_found_and_sent_to_a_remote_check(result: Evaluation) -> None:
    o = _outcome(result.report, "sensor_stuck")
    assert o.flagged and o.remedy_ok


def test_a_sudden_electronic_failure_is_reported_but_not_predictable(result: Evaluation) -> None:
    o = _outcome(result.report, "electronic")
    assert not o.predictable and o.failed and not o.flagged_before_failure
    assert o.flagged  # the error code it raises is a finding, after the fact


def test_healthy_pumps_raise_no_alarm(result: Evaluation) -> None:
    assert result.report.false_alarms == 0
    assert result.report.summary["precision"] == 1.0


def test_the_report_has_a_table_json_and_a_chart(result: Evaluation, tmp_path: Path) -> None:
    console = Console(record=True, width=160)
    print_report(result.report, console)
    text = console.export_text()
    assert "compressor_wear" in text and "false alarms" in text
    write_json(result.report, tmp_path / "r.json", console)
    data = json.loads((tmp_path / "r.json").read_text())
    assert {"summary", "per_fault", "outcomes"} <= set(data)
    assert data["summary"]["false_alarms_per_1000_device_months"] == 0.0
    png = write_chart(result.report, tmp_path / "chart.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
