"""``forewarn demo`` runs the whole loop on embedded defaults and reports what it caught."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from demo.loop import demo_plan

FOREWARN = Path(sys.executable).with_name("forewarn")


def test_demo_plan_places_each_fault_inside_the_run_and_is_deterministic() -> None:
    plan = demo_plan(50, 60.0, seed=3)
    assert plan == demo_plan(50, 60.0, seed=3)
    assert len({p["device"] for p in plan}) == len(plan)
    for entry in plan:
        assert 0.3 * 60 < entry["onset_day"] < 0.7 * 60
        assert entry["onset_day"] + entry.get("progression_days", 0) < 60


def test_demo_runs_headless_and_catches_a_fault_before_failure(tmp_path: Path) -> None:
    """The README's first command, small: it needs no services and opens real tickets."""
    env = {**os.environ, "FOREWARN_SERVICES__DIR": str(tmp_path / "no-services")}
    result = subprocess.run(
        [str(FOREWARN), "demo", "--devices", "20", "--days", "60", "--seed", "2", "--json",
         "--workdir", str(tmp_path / "demo")],
        capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    outcomes = report["detection"]["outcomes"]
    assert any(o["flagged_before_failure"] for o in outcomes), outcomes
    assert report["tickets"]["opened"] >= 1
    assert Path(report["chart"]).is_file()
    assert (tmp_path / "demo" / "tickets.sqlite").is_file()
