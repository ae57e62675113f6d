"""``forewarn simulate``: backfill into the embedded store, live on the broker, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import Settings
from ingest.store import EmbeddedStore

FOREWARN = Path(sys.executable).with_name("forewarn")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([str(FOREWARN), "simulate", *args], capture_output=True, text=True,
                          env=full_env, timeout=120, check=False)


def test_help_explains_modes_faults_and_options() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in ("--devices", "--fault-plan", "--speed", "--backfill", "--ground-truth",
                 "refrigerant_leak", "Last Will", "1440"):
        assert word in result.stdout, word


def test_backfill_into_the_embedded_store_writes_history_and_ground_truth(tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps([{"device": "sim-00001", "fault": "electronic",
                                 "onset": "2026-01-01T06:00:00Z"}]))
    result = run("-n", "3", "--days", "1", "--interval", "600", "--start", "2026-01-01",
                 "--fault-plan", str(plan), "--backfill", "store",
                 "--ground-truth", str(tmp_path / "truth.json"),
                 env={"FOREWARN_TELEMETRY__STORE": "embedded",
                      "FOREWARN_TELEMETRY__EMBEDDED_PATH": str(db)})
    assert result.returncode == 0, result.stderr
    assert "432 readings written" in result.stderr
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert [d["fault"] for d in truth["devices"]] == ["none", "electronic", "none"]
    assert truth["devices"][1]["failure"] == "2026-01-01T06:00:00Z"
    store = EmbeddedStore(db)
    try:
        assert store.count_readings(0, 2**62) == 432
    finally:
        store.close()


@pytest.mark.parametrize(("args", "message"), [
    (("--start", "someday"), "--start 'someday' is not a date"),
    (("--climate", "mars"), "unknown climate 'mars'"),
])
def test_bad_options_fail_with_one_clear_line(args: tuple[str, ...], message: str) -> None:
    result = run(*args, "--backfill", "store")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_bad_fault_plan_is_named(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps([{"device": "nobody", "fault": "low_flow", "onset_day": 1}]))
    result = run("--fault-plan", str(plan), "--backfill", "store")
    assert result.returncode == 2
    assert "device 'nobody' is not in the fleet" in result.stderr


def test_an_unreachable_broker_fails_clearly(tmp_path: Path) -> None:
    result = run("-n", "2", "--days", "0.01", "--speed", "0",
                 "--ground-truth", str(tmp_path / "gt.json"),
                 env={"FOREWARN_MQTT__URL": "mqtt://127.0.0.1:9"})
    assert result.returncode == 2
    assert "cannot connect to the MQTT broker at mqtt://127.0.0.1:9" in result.stderr


@pytest.mark.services
def test_live_run_publishes_at_accelerated_speed(settings: Settings, tmp_path: Path) -> None:
    result = run("-n", "3", "--days", "0.02", "--speed", "0", "--id-prefix", "clitest",
                 "--ground-truth", str(tmp_path / "gt"),
                 env={"FOREWARN_MQTT__URL": settings.mqtt.url,
                      "FOREWARN_MQTT__TOPIC_PREFIX": "clitest/v1"})
    assert result.returncode == 0, result.stderr
    assert f"published to {settings.mqtt.url}" in result.stderr
    assert (tmp_path / "gt.json").is_file() and (tmp_path / "gt.csv").is_file()
