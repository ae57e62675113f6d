"""``forewarn api``: keys are printed once and stored hashed; users get a password."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def env(tmp_path: Path) -> dict[str, str]:
    return {"FOREWARN_TICKETS__URL": f"sqlite:///{tmp_path / 'tickets.sqlite'}"}


def test_a_key_is_printed_once_and_stored_hashed(tmp_path: Path) -> None:
    r = runner.invoke(app, ["api", "keys", "create", "--role", "planner", "--name", "anna"],
                      env=env(tmp_path))
    assert r.exit_code == 0, r.output
    key = r.output.strip().splitlines()[-1]
    assert key.startswith("fwk_") and len(key) > 40
    with sqlite3.connect(tmp_path / "tickets.sqlite") as db:
        rows = db.execute("SELECT name, role, digest FROM api_keys").fetchall()
    assert rows[0][:2] == ("anna", "planner") and key not in str(rows)
    listed = runner.invoke(app, ["api", "keys", "list"], env=env(tmp_path))
    assert "anna" in listed.output and key not in listed.output


def test_a_bad_role_or_taken_name_is_a_clean_error(tmp_path: Path) -> None:
    r = runner.invoke(app, ["api", "keys", "create", "--role", "boss", "--name", "x"],
                      env=env(tmp_path))
    assert r.exit_code == 2 and "unknown role 'boss'" in r.output
    runner.invoke(app, ["api", "keys", "create", "--role", "admin", "--name", "x"],
                  env=env(tmp_path))
    r = runner.invoke(app, ["api", "keys", "create", "--role", "admin", "--name", "x"],
                      env=env(tmp_path))
    assert r.exit_code == 2 and "exists" in r.output and "Traceback" not in r.output


def test_a_revoked_key_name_can_be_used_again(tmp_path: Path) -> None:
    runner.invoke(app, ["api", "keys", "create", "--role", "admin", "--name", "ops"],
                  env=env(tmp_path))
    assert runner.invoke(app, ["api", "keys", "revoke", "ops"], env=env(tmp_path)).exit_code == 0
    again = runner.invoke(app, ["api", "keys", "create", "--role", "admin", "--name", "ops"],
                          env=env(tmp_path))
    assert again.exit_code == 0
    assert runner.invoke(app, ["api", "keys", "revoke", "nobody"], env=env(tmp_path)
                         ).exit_code == 2


def test_a_user_is_created_with_a_password_from_stdin(tmp_path: Path) -> None:
    r = runner.invoke(app, ["api", "users", "create", "--name", "anna", "--role", "planner",
                            "--password-stdin"], input="long enough password\n",
                      env=env(tmp_path))
    assert r.exit_code == 0 and "created user anna" in r.output
    short = runner.invoke(app, ["api", "users", "create", "--name", "bo", "--role", "planner",
                                "--password-stdin"], input="short\n", env=env(tmp_path))
    assert short.exit_code == 2 and "at least 10" in short.output


def test_serve_runs_several_workers_until_stopped(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    import httpx

    from services.process import free_port

    port = free_port()
    environment = {**os.environ, **env(tmp_path),
                   "FOREWARN_TELEMETRY__STORE": "embedded",
                   "FOREWARN_TELEMETRY__EMBEDDED_PATH": str(tmp_path / "telemetry.sqlite")}
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "api", "serve", "--port",
                             str(port), "--workers", "2"], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.2)
        assert r.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/tickets").status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
