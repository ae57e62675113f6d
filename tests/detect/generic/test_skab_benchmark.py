"""benchmarks/skab.py runs the SKAB protocol; here on a small generated stand-in for the data."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from detect.generic.testing import make_frame

ROOT = Path(__file__).resolve().parents[3]


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("skab_benchmark", ROOT / "benchmarks/skab.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def fake_skab(folder: Path) -> Path:
    """Two files per group in SKAB's layout: ';'-separated, datetime, anomaly, changepoint."""
    for group in ("valve1", "valve2", "other"):
        (folder / group).mkdir(parents=True)
        for i in range(2):
            frame = make_frame(seed=i, shift=8.0).rename(columns={"timestamp": "datetime"})
            labels = np.zeros(len(frame))
            labels[600:700] = 1.0
            frame["anomaly"], frame["changepoint"] = labels, 0.0
            frame.to_csv(folder / group / f"{i}.csv", sep=";", index=False)
    return folder


def test_the_benchmark_pools_test_rows_and_reports_f1_far_mar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skab = load_benchmark()
    assert skab.main(["--data", str(fake_skab(tmp_path / "skab")), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == 6
    total = report["total"]
    assert total["rows"] == 6 * (900 - 400)
    assert total["anomalous_rows"] == 6 * 100
    assert total["f1"] > 0.8 and total["far"] < 0.15
    assert set(report["groups"]) == {"valve1", "valve2", "other"}


def test_the_labels_are_never_scored_as_features(tmp_path: Path) -> None:
    """Constant label columns would otherwise turn every labelled anomaly into a detection."""
    skab = load_benchmark()
    folder = fake_skab(tmp_path / "skab")
    quiet = make_frame(seed=5, shift=0.0).rename(columns={"timestamp": "datetime"})
    quiet["anomaly"] = np.r_[np.zeros(600), np.ones(300)]
    quiet["changepoint"] = 0.0
    quiet.to_csv(folder / "other" / "0.csv", sep=";", index=False)
    report = skab.run(folder, skab.GenericConfig())
    assert report["per_file"]["other/0.csv"]["mar"] == 1.0


def test_the_data_folder_defaults_to_shared_datasets_and_follows_the_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    skab = load_benchmark()
    monkeypatch.delenv("FOREWARN_SKAB_DIR", raising=False)
    assert skab.default_data_dir() == ROOT.parent / "shared/datasets/skab"
    monkeypatch.setenv("FOREWARN_SKAB_DIR", str(tmp_path))
    assert skab.default_data_dir() == tmp_path


def test_a_folder_without_skab_files_is_explained(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no SKAB files"):
        load_benchmark().main(["--data", str(tmp_path)])


def test_fake_data_looks_like_skab(tmp_path: Path) -> None:
    header = (fake_skab(tmp_path / "s") / "valve1" / "0.csv").read_text().splitlines()[0]
    assert header == "datetime;vibration;pressure;temperature;anomaly;changepoint"
    assert len(pd.read_csv(tmp_path / "s" / "other" / "1.csv", sep=";")) == 900
