"""``forewarn score FILE.csv``: the generic, unsupervised detectors on any exported history."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TextIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from cli.context import fail
from detect.generic import (
    DETECTORS,
    GenericConfig,
    GenericDetectError,
    ScoreResult,
    Table,
    read_table,
    runs,
    score_series,
    training_rows,
    write_scored,
)

err_console = Console(stderr=True)

PROGRESS_BYTES = 20 * 1024 * 1024
"""Files at least this large get a progress bar by default (when stderr is a terminal)."""

_HELP_TEXT = """Score any CSV of timestamped numeric columns for anomalies, without labels.

Forewarn learns what "normal" looks like from a training prefix of the file (default: the
first 20 % of rows; it may contain a few anomalies, but should be mostly normal) and writes
every row back unchanged with two new columns:

[bold]anomaly_score[/bold]: how unusual the row is, in units of the learned threshold
(1.0 = on the threshold, 3.0 = three times as far).

[bold]is_anomaly[/bold]: 1 inside an anomaly episode, else 0. Episodes are runs of rows above
the threshold; gaps shorter than --max-gap rows are bridged and runs shorter than
--min-duration rows dropped, because real faults last and noise flickers.

How it works: every column is smoothed over --window rows. A column that merely drifts slowly
during training (a temperature, say) is judged by how fast it changes, not by its level; every
other column by its level and its rate of change. The detector (default 'maxz': the largest
deviation of any feature, in standard deviations of the training prefix) scores each row; the
threshold is --threshold-factor times the highest training score. Windows and durations count
rows, so evenly sampled data works best.

The separator is detected (, ; tab |) unless given with --sep. The timestamp column is one
named timestamp, time, datetime, date, _time or ts, or the one given with --time-column; all
other columns are scored and must be numeric (drop labels or ids with --exclude). Empty cells
and NA/NaN are filled from the row before.

Examples:

  forewarn score history.csv -o scored.csv

  forewarn score pump.csv --sep ';' --exclude anomaly,changepoint --train-rows 400

  forewarn score site.csv -t _time --train-until 2024-03-01 --columns supply_temp,flow

  forewarn score big.csv --detector ensemble --progress > scored.csv
"""
HELP = "\n\n".join(" ".join(p.split()) if not p.startswith("  ") else p.strip()
                     for p in _HELP_TEXT.strip().split("\n\n"))


DEFAULTS = GenericConfig()  # the CLI's defaults are the pipeline's (the SKAB settings)


def _split(value: str | None) -> list[str] | None:
    return [part for part in value.split(",") if part.strip()] if value else None


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    columns = (
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
        TaskProgressColumn(), TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        yield progress


def _describe(table: Table, result: ScoreResult, n_train: int) -> str:
    episodes = runs(result.is_anomaly)
    lines = [
        f"scored {len(table)} rows x {len(table.columns)} columns, trained on the first "
        f"{n_train} rows; {int(result.is_anomaly.sum())} rows flagged in {len(episodes)} "
        f"episode{'s' if len(episodes) != 1 else ''}"
    ]
    if result.slow_columns:
        slow = ", ".join(table.columns[i] for i in result.slow_columns)
        lines.append(f"drifting in training, judged by rate of change only: {slow}")
    if result.constant_columns:
        constant = ", ".join(table.columns[i] for i in result.constant_columns)
        lines.append(f"constant in training, so any change is flagged: {constant} "
                     "(leave labels or settings out with --exclude)")
    for start, end in episodes[:10]:
        where = f"rows {start + 1}-{end}"
        if table.timestamps is not None:
            where += f" ({table.timestamps[start]} .. {table.timestamps[end - 1]})"
        peak = float(result.score[start:end].max())
        lines.append(f"  episode {where}, peak score {peak:.1f}")
    if len(episodes) > 10:
        lines.append(f"  ... and {len(episodes) - 10} more")
    return "\n".join(lines)


def score(
    file: Path = typer.Argument(..., help="CSV file to score (rows in time order).",
                                show_default=False),
    output: Path | None = typer.Option(
        None, "--output", "-o", dir_okay=False,
        help="Write the scored CSV here instead of to standard output."),
    time_column: str | None = typer.Option(
        None, "--time-column", "-t",
        help="Timestamp column (default: the one named timestamp/time/datetime/date/_time/ts)."),
    sep: str | None = typer.Option(
        None, "--sep", "-s", help="Column separator (default: detected among , ; tab |)."),
    columns: str | None = typer.Option(
        None, "--columns", help="Comma-separated columns to score (default: all but time)."),
    exclude: str | None = typer.Option(
        None, "--exclude", help="Comma-separated columns to leave out (labels, ids, text)."),
    train_rows: int | None = typer.Option(
        None, "--train-rows", min=1, help="Train on the first N rows."),
    train_until: str | None = typer.Option(
        None, "--train-until",
        help="Train on rows up to this timestamp, inclusive (e.g. 2024-03-01T12:00)."),
    train_fraction: float | None = typer.Option(
        None, "--train-fraction",
        help="Train on this share of the rows, from the top (default 0.2)."),
    detector: str = typer.Option(
        DEFAULTS.detector, "--detector", "-d",
        help=f"Detector: {', '.join(DETECTORS)} (maxz is best on the SKAB benchmark)."),
    window: int = typer.Option(DEFAULTS.window, "--window", "-w", min=1,
                               help="Smoothing and rate window, in rows."),
    threshold_factor: float = typer.Option(
        DEFAULTS.threshold_factor, "--threshold-factor", min=0.01,
        help="Threshold = this x the highest training score; lower finds more, "
             "with more false alarms."),
    min_duration: int = typer.Option(DEFAULTS.min_run, "--min-duration", min=1,
                                     help="Shortest anomaly episode kept, in rows."),
    max_gap: int = typer.Option(DEFAULTS.min_gap, "--max-gap", min=1,
                                help="Quiet gaps shorter than this inside an episode are bridged, "
                                     "in rows."),
    seed: int = typer.Option(DEFAULTS.seed, "--seed", help="Random seed (iforest only)."),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress",
        help="Progress bar on stderr (default: on for files over 20 MB on a terminal)."),
) -> None:
    if not file.is_file():
        fail(f"{file} does not exist or is not a file")
    if sep is not None:
        sep = {"\\t": "\t", "tab": "\t"}.get(sep, sep)
        if len(sep) != 1:
            fail(f"--sep must be one character (or 'tab'), got {sep!r}")
    try:
        config = GenericConfig(
            detector=detector, window=window, threshold_factor=threshold_factor,
            min_run=min_duration, min_gap=max_gap, seed=seed,
        )
    except ValueError as exc:
        fail(str(exc))
    if progress is None:
        progress = err_console.is_terminal and os.path.getsize(file) >= PROGRESS_BYTES
    try:
        with _progress(progress) as bar:
            def opener(path: Path) -> AbstractContextManager[TextIO]:
                if bar is None:
                    return path.open(newline="", encoding="utf-8-sig")
                return bar.open(path, "r", newline="", encoding="utf-8-sig",
                                description="reading")

            table = read_table(file, separator=sep, time_column=time_column,
                               columns=_split(columns), exclude=_split(exclude), opener=opener)
            n_train = training_rows(table, rows=train_rows, until=train_until,
                                    fraction=train_fraction, minimum=config.min_training_rows)
            task = bar.add_task("scoring", total=None) if bar else None
            result = score_series(table.values, n_train, config)
            if bar is not None and task is not None:
                bar.remove_task(task)
            writing = bar.add_task("writing", total=len(table)) if bar else None

            def advance(rows: int) -> None:
                if bar is not None and writing is not None:
                    bar.advance(writing, rows)

            target = (output.open("w", newline="", encoding="utf-8") if output
                      else nullcontext(sys.stdout))
            with target as out:
                write_scored(table, result, out, on_chunk=advance)
    except (GenericDetectError, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    err_console.print(_describe(table, result, n_train), highlight=False, markup=False)


score.__doc__ = HELP
