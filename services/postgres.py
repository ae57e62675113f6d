"""A private PostgreSQL server on a loopback port, for the ticket store's multi-process tests.

Installed from Debian's ``postgresql`` package. PostgreSQL refuses to run as root,
so as root the cluster is created and run as the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

from services.errors import InstallError, StartError
from services.install import apt_install
from services.process import Daemon, port_open

DATABASE = "forewarn"
SUPERUSER = "postgres"


def find_postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` holding initdb and postgres."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                        key=lambda p: int(Path(p).parent.parent.name), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def ensure_postgres() -> Path:
    found = find_postgres_bin()
    if found is None:
        apt_install(["postgresql"])
        found = find_postgres_bin()
    if found is None:
        raise InstallError("PostgreSQL is still not found after installing Debian's postgresql")
    return found


def _run_as() -> str | None:
    """The user to run PostgreSQL's programs as: ``postgres`` when we are root."""
    return SUPERUSER if os.geteuid() == 0 else None


@dataclass
class PostgreSQL:
    """A PostgreSQL cluster in ``workdir/postgres-data``, listening on ``host:port``."""

    workdir: Path
    port: int
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        self.daemon = Daemon("postgres", self.workdir)
        self.data = self.workdir / "postgres-data"
        self.sockets = self.workdir / "postgres-sockets"

    @property
    def url(self) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of the ``forewarn`` database."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{DATABASE}"

    def healthy(self) -> bool:
        return self.daemon.running() and port_open(self.host, self.port)

    def _chown(self, *paths: Path) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SUPERUSER)
            for path in paths:
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _check(self, argv: list[str], what: str) -> None:
        user = _run_as()
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd="/",
                              user=user, group=user, extra_groups=[] if user else None)
        if done.returncode != 0:
            raise StartError(f"PostgreSQL {what} failed: {(done.stderr or done.stdout).strip()}")

    def start(self) -> None:
        if self.healthy():
            return
        bindir = ensure_postgres()
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # The postgres user must be able to reach its directories under our scratch dir.
            for parent in [self.workdir, *self.workdir.parents]:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                os.chmod(parent, mode | 0o111)
        first_time = not (self.data / "PG_VERSION").is_file()
        if first_time:
            self.data.mkdir(exist_ok=True)
            self._chown(self.data)
            self._check([str(bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                         "--auth=trust", "--encoding=UTF8", "--no-sync"], "initdb")
        self.sockets.mkdir(exist_ok=True)
        self._chown(self.sockets)
        argv = [
            str(bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
            "-h", self.host, "-k", str(self.sockets),
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=200",
        ]
        self.daemon.start(argv, ready=lambda: self._accepting(bindir), timeout=60,
                          user=_run_as())
        if first_time:
            self._check([str(bindir / "createdb"), "-h", self.host, "-p", str(self.port),
                         "-U", SUPERUSER, DATABASE], "createdb")

    def _accepting(self, bindir: Path) -> bool:
        if not port_open(self.host, self.port):
            return False
        done = subprocess.run([str(bindir / "pg_isready"), "-h", self.host, "-p", str(self.port)],
                              capture_output=True, check=False)
        return done.returncode == 0

    def stop(self) -> None:
        self.daemon.stop()
