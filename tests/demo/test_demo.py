"""``forewarn demo`` runs the whole loop over MQTT on embedded defaults and reports what it caught.

The runs are real subprocesses of the ``forewarn`` command, on a bare Python: only the
virtualenv's ``bin`` on PATH and an empty services folder, so no Mosquitto, InfluxDB or
PostgreSQL can be found.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from demo.loop import demo_plan
from services.process import port_free

BIN = Path(sys.executable).parent
FOREWARN = BIN / "forewarn"


def test_demo_plan_places_each_fault_inside_the_run_and_is_deterministic() -> None:
    plan = demo_plan(50, 60.0, seed=3)
    assert plan == demo_plan(50, 60.0, seed=3)
    assert len({p["device"] for p in plan}) == len(plan)
    for entry in plan:
        assert 0.3 * 60 < entry["onset_day"] < 0.7 * 60
        assert entry["onset_day"] + entry.get("progression_days", 0) < 60


def bare_environment(tmp_path: Path) -> dict[str, str]:
    """Nothing but the virtualenv on PATH, no FOREWARN_ settings, no services."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FOREWARN_") and k not in ("PATH", "CI")}
    env.update(PATH=str(BIN), FOREWARN_SERVICES__DIR=str(tmp_path / "no-services"),
               PYTHONUNBUFFERED="1")
    return env


def read_json(stream: IO[str], timeout: float) -> dict[str, Any]:
    """The JSON document the demo prints on stdout (it keeps running afterwards)."""
    text, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        text += line
        if line.startswith("}"):
            return dict(json.loads(text))
    raise AssertionError(f"no JSON report on stdout: {text[-2000:]!r}")


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """``forewarn <args>`` as from a terminal: Ctrl-C raises KeyboardInterrupt in it even
    when this test runs as a background job (whose children inherit SIGINT ignored)."""
    return subprocess.Popen(
        [str(FOREWARN), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def stop(process: subprocess.Popen[str], timeout: float = 30.0) -> float:
    """Ctrl-C the demo; how long it took to exit."""
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.wait(timeout)
    return time.monotonic() - started


def test_demo_runs_on_a_bare_python_catches_a_fault_and_serves_its_tickets(
        tmp_path: Path) -> None:
    """The README's first command, small and headless: it needs nothing but Python, catches
    a fault before failure and the tickets it opened are on the API over HTTP."""
    env = bare_environment(tmp_path)
    for tool in ("mosquitto", "influxd", "postgres"):
        assert not (BIN / tool).exists()
    workdir = tmp_path / "demo"
    demo = start(["demo", "--devices", "12", "--days", "60", "--seed", "2", "--speed", "0",
                  "--port", "0", "--json", "--keep-running", "--workdir", str(workdir)], env)
    try:
        assert demo.stdout is not None
        report = read_json(demo.stdout, timeout=300)
        outcomes = report["detection"]["outcomes"]
        assert any(o["flagged_before_failure"] for o in outcomes), outcomes
        assert report["tickets"]["opened"] >= 1
        assert Path(report["chart"]).is_file()
        assert "embedded" in report["components"]["broker"]
        assert report["readings"] == 12 * 60 * 144  # every reading through MQTT and ingest
        assert report["api"]["tickets"] == report["tickets"]["opened"]

        # A planner's script, with its own API key, sees the same tickets over HTTP.
        key = subprocess.run(
            [str(FOREWARN), "api", "keys", "create", "--role", "planner", "--name", "test"],
            env={**env, "FOREWARN_TICKETS__URL": f"sqlite:///{workdir / 'tickets.sqlite'}"},
            capture_output=True, text=True, check=True).stdout
        token = re.search(r"fwk_\S+", key)
        assert token, key
        url = report["web"]["url"]
        answer = httpx.get(f"{url}/api/v1/tickets", params={"status": "any"},
                           headers={"Authorization": f"Bearer {token.group(0)}"}, timeout=10)
        assert answer.status_code == 200
        devices = {t["device_id"] for t in answer.json()["items"]}
        assert devices == {row["device"] for row in report["tickets"]["rows"]}
        assert httpx.get(f"{url}/login", timeout=10).status_code == 200
    finally:
        took = stop(demo)
    assert demo.returncode == 130 and took < 20
    assert demo.stderr is not None and "every component is stopped" in demo.stderr.read()
    assert port_free(int(url.rsplit(":", 1)[1]))


def test_ctrl_c_mid_run_stops_every_component_and_frees_the_ports(tmp_path: Path) -> None:
    demo = start(["demo", "--devices", "5", "--days", "60", "--speed", "3000", "--port", "0",
                  "--no-browser", "--workdir", str(tmp_path / "demo")], bare_environment(tmp_path))
    assert demo.stdout is not None and demo.stderr is not None
    seen = ""
    try:
        while not re.search(r"^live ", seen, re.M):  # the history is in: the fleet runs live
            line = demo.stdout.readline()
            if not line:
                pytest.fail(f"the demo ended early: {seen}{demo.stderr.read()}")
            seen += line
    finally:
        took = stop(demo)
    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", seen)]
    assert len(ports) == 2, seen  # the broker's and the web app's
    assert demo.returncode == 130, demo.stderr.read()
    assert took < 20
    assert "interrupted; every component is stopped" in demo.stderr.read()
    assert all(port_free(p) for p in ports)
