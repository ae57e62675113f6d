"""Versioned, persisted device models. A retrain writes a new version; the previous ones stay.

Layout under ``root``::

    v000001/models.npz      every device's arrays, stacked
    v000001/manifest.json   version, creation time, devices, fleet-prior size, features
    v000002/...
    CURRENT                 the name of the version in use (replaced atomically)

:meth:`ModelRegistry.save` writes the new version completely, then flips ``CURRENT``
with an atomic rename: a crash mid-save leaves the previous version in use. The
last ``keep`` versions are kept, so :meth:`ModelRegistry.promote` can roll back.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from detect.after_defrost import NO_REFERENCE, DefrostReference
from detect.errors import ModelError, NoModelError
from detect.normal import FEATURES, FleetPrior, NormalModel

_ARRAYS = ("x_mu", "x_sd", "health_coef", "sensor_coef", "z_sd", "day_sd", "precision",
           "c_lo", "c_hi")


@dataclass
class ModelSet:
    """The models of a fleet (or a shard of it) and the fleet prior, at one version."""

    version: int = 0
    models: dict[str, NormalModel] = field(default_factory=dict)
    prior: FleetPrior = field(default_factory=FleetPrior.flat)
    created_ms: int = 0


class ModelRegistry:
    def __init__(self, root: Path, keep: int = 5) -> None:
        self.root = Path(root)
        self.keep = keep

    def versions(self) -> list[int]:
        if not self.root.is_dir():
            return []
        return sorted(int(p.name[1:]) for p in self.root.glob("v[0-9]*")
                      if (p / "manifest.json").exists())

    def current_version(self) -> int | None:
        pointer = self.root / "CURRENT"
        if not pointer.exists():
            return None
        return int(pointer.read_text().strip()[1:])

    def load(self, version: int | None = None) -> ModelSet:
        """The model set at ``version`` (the current one by default)."""
        version = self.current_version() if version is None else version
        if version is None:
            raise NoModelError(f"no models in {self.root} yet: run a retrain first "
                               "('forewarn detect --once retrain')")
        folder = self.root / f"v{version:06d}"
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            if manifest.get("features") != FEATURES:
                raise NoModelError(
                    f"model version {version} in {folder} was fitted on other hourly rows "
                    f"than this release reads ({FEATURES!r}); it stays on disk but is not "
                    "used: run a retrain ('forewarn detect --once retrain')")
            with np.load(folder / "models.npz") as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"model version {version} in {folder} is unreadable: {exc}") from exc
        models = {}
        for i, device in enumerate(manifest["devices"]):
            models[device] = NormalModel(
                device, int(arrays["version"][i]), int(arrays["trained_until_ms"][i]),
                int(arrays["rows"][i]), **{k: arrays[k][i] for k in _ARRAYS},
                baseline_ms=int(arrays["baseline_ms"][i]),
                defrost=DefrostReference.from_array(arrays["defrost"][i])
                if "defrost" in arrays else None)
        prior = FleetPrior(arrays["prior_health"], arrays["prior_sensor"],
                           int(manifest["prior_devices"]))
        return ModelSet(version, models, prior, int(manifest["created_ms"]))

    def save(self, models: ModelSet, now_ms: int) -> int:
        """Write ``models`` as a new version, make it current, and return its number."""
        version = max(self.versions(), default=0) + 1
        folder = self.root / f"v{version:06d}"
        tmp = self.root / f".v{version:06d}.tmp"
        devices = sorted(models.models)
        try:
            tmp.mkdir(parents=True, exist_ok=False)
            ms = [models.models[d] for d in devices]
            arrays: dict[str, np.ndarray] = {
                k: np.stack([getattr(m, k) for m in ms]) if ms else np.empty(0)
                for k in _ARRAYS}
            arrays["version"] = np.array([m.version for m in ms], dtype=np.int64)
            arrays["trained_until_ms"] = np.array([m.trained_until_ms for m in ms],
                                                  dtype=np.int64)
            arrays["rows"] = np.array([m.rows for m in ms], dtype=np.int64)
            arrays["baseline_ms"] = np.array([m.baseline_ms for m in ms], dtype=np.int64)
            arrays["defrost"] = np.array([m.defrost.as_array() if m.defrost else NO_REFERENCE
                                          for m in ms]).reshape(len(ms), len(NO_REFERENCE))
            arrays["prior_health"] = models.prior.health
            arrays["prior_sensor"] = models.prior.sensor
            np.savez(tmp / "models.npz", **arrays)  # type: ignore[arg-type]
            (tmp / "manifest.json").write_text(json.dumps({
                "version": version, "created_ms": now_ms, "devices": devices,
                "features": FEATURES,
                "prior_devices": models.prior.devices}))
            os.replace(tmp, folder)
            self._point_to(version)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ModelError(f"cannot save models to {self.root}: {exc}") from exc
        self._prune()
        return version

    def promote(self, version: int) -> None:
        """Make an existing ``version`` current again (a rollback)."""
        if version not in self.versions():
            raise NoModelError(f"model version {version} does not exist in {self.root}")
        self._point_to(version)

    def _point_to(self, version: int) -> None:
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(f"v{version:06d}\n")
        os.replace(tmp, self.root / "CURRENT")

    def _prune(self) -> None:
        current = self.current_version()
        for v in self.versions()[:-self.keep]:
            if v != current:
                shutil.rmtree(self.root / f"v{v:06d}", ignore_errors=True)


assert {f.name for f in fields(NormalModel)} >= set(_ARRAYS)
