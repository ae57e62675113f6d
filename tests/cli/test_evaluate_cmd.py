"""``forewarn evaluate`` from the command line: JSON for machines, a chart when asked."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app


def test_json_report_and_the_chart_asked_for(tmp_path: Path) -> None:
    chart = tmp_path / "eval.png"
    out = CliRunner().invoke(app, ["evaluate", "--devices", "4", "--days", "3", "--seed", "2",
                                   "--json", "--chart", str(chart)])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["devices"] == 4 and "false_alarms_per_1000_device_months" in report["summary"]
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_an_unknown_store_is_refused_with_the_choices() -> None:
    out = CliRunner().invoke(app, ["evaluate", "--devices", "2", "--days", "2",
                                   "--store", "postgres"])
    assert out.exit_code != 0 and "embedded or influxdb" in out.output
