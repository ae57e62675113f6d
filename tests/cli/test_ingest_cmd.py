"""``forewarn ingest``: help that teaches, clean errors, and a readable dead-letter listing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from ingest.deadletter import DeadLetter, DeadLetterStore

FOREWARN = Path(sys.executable).with_name("forewarn")
runner = CliRunner()


def test_help_explains_acks_spool_dead_letters_metrics_and_workers() -> None:
    result = runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for words in ("shared subscription", "acknowledged", "spool", "dead-letters",
                  "metrics", "--workers", "FOREWARN_TELEMETRY__STORE=embedded"):
        assert words in result.stdout


def test_dead_letters_shows_counts_by_reason_and_the_newest_letters(tmp_path: Path) -> None:
    path = tmp_path / "dead.sqlite"
    store = DeadLetterStore(path)
    store.put([DeadLetter(1_768_456_800_000, "forewarn/v1/s/hp-1/telemetry", "malformed_json",
                          "not JSON: unexpected end", b'{"ts": 1'),
               DeadLetter(1_768_456_801_000, "forewarn/v1/s/hp-2/telemetry", "wrong_type",
                          "seq must be a non-negative integer", b'{"seq": "x"}')])
    store.close()
    result = runner.invoke(app, ["ingest", "dead-letters", "--path", str(path)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stdout
    assert "malformed_json" in result.stdout and "wrong_type" in result.stdout
    assert "hp-2" in result.stdout and '{"seq": "x"}' in result.stdout
    only = runner.invoke(app, ["ingest", "dead-letters", "--path", str(path),
                               "--reason", "wrong_type"], env={"COLUMNS": "200"})
    assert "hp-1" not in only.stdout


def test_dead_letters_with_an_unknown_reason_fails_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "dead.sqlite"
    DeadLetterStore(path).close()
    result = subprocess.run(
        [str(FOREWARN), "ingest", "dead-letters", "--path", str(path), "--reason", "grumpy"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 2
    assert result.stderr.startswith("forewarn: error: --reason 'grumpy' is not one of")
    assert "Traceback" not in result.stderr


def test_a_bad_ingest_setting_fails_at_start_with_one_line() -> None:
    result = subprocess.run([str(FOREWARN), "ingest"], capture_output=True, text=True,
                            timeout=60, check=False,
                            env={**os.environ, "COLUMNS": "200", "FOREWARN_INGEST__WORKERS": "0"})
    assert result.returncode == 2
    assert "ingest.workers" in result.stderr
    assert "Traceback" not in result.stderr
