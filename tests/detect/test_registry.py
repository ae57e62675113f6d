"""Model versions: saved whole, switched atomically, previous ones kept for rollback."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from detect.after_defrost import DefrostReference
from detect.errors import NoModelError
from detect.normal import FleetPrior
from detect.registry import ModelRegistry, ModelSet


def _set(histories, days: float) -> ModelSet:  # type: ignore[no-untyped-def]
    models = {d: h.model(days) for d, h in list(histories.items())[:3]}
    return ModelSet(0, models, FleetPrior.from_models(list(models.values())))


def test_models_round_trip_through_the_registry(tmp_path: Path, histories) -> None:  # type: ignore[no-untyped-def]
    reg = ModelRegistry(tmp_path / "models")
    saved = _set(histories, 15)
    version = reg.save(saved, now_ms=123)
    loaded = reg.load()
    assert loaded.version == version == 1 and loaded.created_ms == 123
    for device, model in saved.models.items():
        np.testing.assert_array_equal(loaded.models[device].health_coef, model.health_coef)
        assert loaded.models[device].trained_until_ms == model.trained_until_ms
    np.testing.assert_array_equal(loaded.prior.health, saved.prior.health)


def test_a_clean_coil_reference_round_trips_and_older_sets_have_none(
        tmp_path: Path, histories) -> None:  # type: ignore[no-untyped-def]
    reg = ModelRegistry(tmp_path)
    saved = _set(histories, 15)
    first, *_ = saved.models
    ref = DefrostReference(np.array([1.0, 0.03, -0.004]), 0.01, 5, 6,
                           np.arange(9.0).reshape(3, 3), (-6.5, 3.0))
    saved.models[first] = replace(saved.models[first], defrost=ref)
    reg.save(saved, now_ms=1)
    loaded = reg.load().models
    got = loaded[first].defrost
    assert got is not None and got.coef.tolist() == ref.coef.tolist()
    assert (got.sd, got.start_ms, got.stop_ms, got.outdoor) == (0.01, 5, 6, (-6.5, 3.0))
    assert got.xtx_inv.tolist() == ref.xtx_inv.tolist()
    assert all(loaded[d].defrost is None for d in loaded if d != first)
    # a set saved before references existed loads with none
    npz = tmp_path / "v000001" / "models.npz"
    with np.load(npz) as data:
        arrays = {k: data[k] for k in data.files if k != "defrost"}
    np.savez(npz, **arrays)  # type: ignore[arg-type]
    assert all(m.defrost is None for m in reg.load().models.values())


def test_a_retrain_never_loses_the_previous_model(tmp_path: Path, histories) -> None:  # type: ignore[no-untyped-def]
    """A new version becomes current; the previous one stays loadable and can be promoted."""
    reg = ModelRegistry(tmp_path)
    first = reg.save(_set(histories, 15), now_ms=1)
    second = reg.save(_set(histories, 20), now_ms=2)
    assert reg.current_version() == second and reg.versions() == [first, second]
    assert reg.load(first).created_ms == 1
    reg.promote(first)
    assert reg.load().created_ms == 1


def test_an_interrupted_save_leaves_the_current_version_in_use(tmp_path: Path, histories) -> None:  # type: ignore[no-untyped-def]
    reg = ModelRegistry(tmp_path)
    reg.save(_set(histories, 15), now_ms=1)
    (tmp_path / ".v000002.tmp").mkdir()  # what a crash mid-save leaves behind
    assert reg.load().version == 1 and reg.versions() == [1]


def test_only_the_last_versions_are_kept(tmp_path: Path, histories) -> None:  # type: ignore[no-untyped-def]
    reg = ModelRegistry(tmp_path, keep=2)
    models = _set(histories, 15)
    for t in range(4):
        reg.save(models, now_ms=t)
    assert reg.versions() == [3, 4]


def test_no_models_yet_says_how_to_make_them(tmp_path: Path) -> None:
    with pytest.raises(NoModelError, match="retrain"):
        ModelRegistry(tmp_path).load()


def test_models_fitted_on_other_hourly_rows_are_kept_not_used(tmp_path: Path, histories) -> None:  # type: ignore[no-untyped-def]
    """A saved set from before running-only hourly means: a retrain is needed, not a crash."""
    reg = ModelRegistry(tmp_path)
    reg.save(_set(histories, 15), now_ms=1)
    manifest = tmp_path / "v000001" / "manifest.json"
    doc = json.loads(manifest.read_text())
    del doc["features"]
    manifest.write_text(json.dumps(doc))
    with pytest.raises(NoModelError, match=r"other hourly rows.*retrain"):
        reg.load()
    assert reg.versions() == [1]
