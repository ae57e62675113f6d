"""Find, and where missing install, the binaries of the real services.

Mosquitto comes from Debian's packages; ``influxd`` has no package on the
registries this machine reaches, so ``build-influxd.sh`` builds it from the Go
module proxy and crates.io and caches it under ``~/.cache/forewarn``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from services.errors import InstallError

INFLUXD_VERSION = os.environ.get("FOREWARN_INFLUXD_VERSION", "v2.7.12")
BUILD_SCRIPT = Path(__file__).with_name("build-influxd.sh")

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def cache_dir() -> Path:
    explicit = os.environ.get("FOREWARN_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "forewarn"


def find_binary(name: str) -> Path | None:
    """Look on PATH and in the sbin directories Debian installs daemons to."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for folder in ("/usr/sbin", "/usr/local/sbin", "/sbin"):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def apt_install(packages: list[str], log: Log = _quiet) -> None:
    """Install Debian packages; needs root (as on CI and the developers' machines)."""
    if shutil.which("apt-get") is None:
        raise InstallError(f"cannot install {' '.join(packages)}: no apt-get on this machine; "
                           "install them with your package manager")
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise InstallError(f"installing {' '.join(packages)} needs root: run "
                               f"'sudo apt-get install {' '.join(packages)}'")
        prefix = ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log(f"installing {' '.join(packages)} with apt-get")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        done = subprocess.run(prefix + cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise InstallError(f"'{' '.join(cmd)}' failed: {done.stderr.strip()[-800:]}")


def ensure_mosquitto(log: Log = _quiet) -> Path:
    """Return the path of ``mosquitto``, installing Debian's package if it is missing."""
    found = find_binary("mosquitto")
    if found is None or find_binary("mosquitto_pub") is None:
        apt_install(["mosquitto", "mosquitto-clients"], log)
        found = find_binary("mosquitto")
    if found is None:
        raise InstallError("mosquitto is still not found after installing it")
    return found


def influxd_path() -> Path:
    """Where the cached ``influxd`` lives (it may not exist yet)."""
    explicit = os.environ.get("FOREWARN_INFLUXD")
    if explicit:
        return Path(explicit)
    return cache_dir() / f"influxd-{INFLUXD_VERSION}"


def ensure_influxd(log: Log = _quiet) -> Path:
    """Return the cached ``influxd``, building it first (tens of minutes) if needed."""
    path = influxd_path()
    if path.is_file() and os.access(path, os.X_OK):
        return path
    if os.environ.get("FOREWARN_INFLUXD"):
        raise InstallError(f"FOREWARN_INFLUXD={path} is not an executable file")
    if find_binary("pkg-config") is None:
        apt_install(["pkg-config"], log)
    log(f"building influxd {INFLUXD_VERSION} from source (cold build: tens of minutes)")
    env = {**os.environ, "FOREWARN_INFLUXD_VERSION": INFLUXD_VERSION,
           "FOREWARN_CACHE": str(cache_dir())}
    done = subprocess.run(["bash", str(BUILD_SCRIPT)], env=env, check=False,
                          stdout=subprocess.PIPE, text=True)
    if done.returncode != 0 or not path.is_file():
        raise InstallError(f"building influxd failed (exit {done.returncode}); run "
                           f"'bash {BUILD_SCRIPT}' to see the full log")
    return path
