"""``forewarn dispatch``: seed, follow a findings file, show the queue, close, KPIs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from cli.main import app
from detect.diagnosis import Diagnosis
from detect.findings import Finding
from detect.sink import JsonLinesSink
from detect.ttf import FailureWindow

DAY_MS = 86_400_000


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


@pytest.fixture(autouse=True)
def _ticket_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FOREWARN_TICKETS__URL", f"sqlite:///{tmp_path / 'tickets.sqlite'}")
    monkeypatch.setenv("FOREWARN_DISPATCH__LABELS_PATH", str(tmp_path / "labels.jsonl"))
    monkeypatch.setenv("COLUMNS", "200")


def run(*args: str, cwd: Path) -> Result:
    """``forewarn dispatch ARGS`` in-process (the settings come from the environment)."""
    out = CliRunner().invoke(app, ["dispatch", *args])
    return Result(out.exit_code, out.stdout, out.stderr)


def test_seed_run_queue_close_and_kpis(tmp_path: Path) -> None:
    assert "revision 0002" in run("migrate", cwd=tmp_path).stdout  # the newest migration
    seeded = run("seed", "--fleet", "8", "--seed", "3", cwd=tmp_path)
    assert seeded.returncode == 0 and "seeded 8 customers, 8 devices" in seeded.stdout
    now = int(time.time() * 1000)
    findings = tmp_path / "findings.jsonl"
    JsonLinesSink(findings).put([Finding(
        "sim-00001", now, "residual", 6.0, 3.0, ("subcooling",),
        Diagnosis.of("refrigerant_leak", 0.9),
        failure_window=FailureWindow(now + 12 * DAY_MS, now + 10 * DAY_MS, now + 14 * DAY_MS,
                                     "subcooling", 0.4, 0.8))])
    ran = run("run", "--once", "--findings", str(findings), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "1 finding(s), 1 new ticket(s)" in ran.stdout
    queue = run("queue", cwd=tmp_path)
    assert "sim-00001" in queue.stdout and "refrigerant_leak" in queue.stdout
    shown = json.loads(run("show", "1", cwd=tmp_path).stdout)
    assert shown["action"] == "visit" and shown["bookings"][0]["status"] == "active"
    assert shown["contact_history"]  # the console message was sent
    assert "no promise at risk" in run("promises", cwd=tmp_path).stdout
    assert run("close", "1", "--outcome", "fault_confirmed", "--cause", "valve core",
               cwd=tmp_path).returncode == 0
    kpis = json.loads(run("kpis", "--json", cwd=tmp_path).stdout)
    assert kpis["failures_prevented"] == 1
    assert json.loads((tmp_path / "labels.jsonl").read_text())["label"] == "fault"


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing = run("show", "99", cwd=tmp_path)
    assert missing.returncode == 2 and "no ticket 99" in missing.stderr
    assert "Traceback" not in missing.stderr
    both = run("seed", cwd=tmp_path)
    assert both.returncode == 2 and "FILE or --fleet" in both.stderr
    bad = run("close", "1", "--outcome", "meh", cwd=tmp_path)
    assert bad.returncode == 2 and "fault_confirmed" in bad.stderr
    (tmp_path / "dir.toml").write_text("[[technicians]]\nid = 't'\n")
    broken = run("seed", str(tmp_path / "dir.toml"), cwd=tmp_path)
    assert broken.returncode == 2 and "dir.toml" in broken.stderr


def test_run_follows_the_file_live_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "FOREWARN_TICKETS__URL": f"sqlite:///{tmp_path / 'tickets.sqlite'}",
           "FOREWARN_DISPATCH__LABELS_PATH": str(tmp_path / "labels.jsonl")}
    assert run("seed", "--fleet", "2", cwd=tmp_path).returncode == 0
    findings = tmp_path / "findings.jsonl"
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("forewarn")), "dispatch", "run", "--findings",
         str(findings), "--interval", "0.2", "--no-device-meta"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        now = int(time.time() * 1000)
        JsonLinesSink(findings).put([Finding("sim-00000", now, "residual", 6.0, 3.0, (),
                                             Diagnosis.of("compressor_wear", 0.9))])
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'tickets.sqlite'}")
        deadline = time.monotonic() + 60
        tickets = 0
        while time.monotonic() < deadline and not tickets:
            time.sleep(0.3)
            with engine.connect() as conn:  # migrated by seed above
                tickets = conn.execute(sa.text("SELECT count(*) FROM tickets")).scalar_one()
        engine.dispose()
        assert tickets == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "1 finding(s), 1 new ticket(s)" in out
