"""``forewarn score``: scores any CSV, teaches with --help, fails with one clear line."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from detect.generic.testing import FAULT, make_frame


def score(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["score", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_help_explains_the_columns_added_and_how_to_train() -> None:
    code, out, _ = score("--help")
    assert code == 0
    for words in ("anomaly_score", "is_anomaly", "--train-rows", "--train-until", "--sep",
                  "--time-column", "--exclude", "Examples"):
        assert words in out


def test_scored_rows_go_to_the_output_file_with_two_columns(csv_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "scored.csv"
    code, out, err = score(str(csv_file), "--train-rows", "300", "-o", str(target))
    assert code == 0, err
    assert out == ""
    scored = pd.read_csv(target)
    assert list(scored.columns) == [
        "timestamp", "vibration", "pressure", "temperature", "anomaly_score", "is_anomaly"]
    assert len(scored) == 900
    assert scored["is_anomaly"].iloc[FAULT].mean() > 0.7
    assert scored["is_anomaly"].iloc[: FAULT.start].sum() == 0
    assert "trained on the first 300 rows" in err
    assert "temperature" in err  # named as drifting, judged by rate


def test_without_an_output_file_the_csv_goes_to_stdout(csv_file: Path) -> None:
    code, out, err = score(str(csv_file), "--train-until", "2024-01-01 00:04:59")
    assert code == 0, err
    scored = pd.read_csv(io.StringIO(out))
    assert len(scored) == 900 and "is_anomaly" in scored.columns
    assert "trained on the first 300 rows" in err


def test_separator_and_time_column_can_be_given(tmp_path: Path) -> None:
    path = tmp_path / "pump.csv"
    make_frame().rename(columns={"timestamp": "when"}).to_csv(path, sep="|", index=False)
    code, out, err = score(str(path), "--sep", "|", "-t", "when", "--train-rows", "300")
    assert code == 0, err
    assert out.splitlines()[0] == "when|vibration|pressure|temperature|anomaly_score|is_anomaly"


def test_the_progress_bar_never_mixes_into_the_csv(csv_file: Path) -> None:
    code, out, err = score(str(csv_file), "--progress", "--train-rows", "300")
    assert code == 0, err
    assert out.splitlines()[0].endswith(",anomaly_score,is_anomaly")
    assert len(out.splitlines()) == 901


def one_error_line(code: int, err: str) -> str:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("forewarn: error: ")
    return lines[0]


def test_a_non_numeric_column_is_named(tmp_path: Path) -> None:
    frame = make_frame()
    frame["site"] = "north"
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    line = one_error_line(*score(str(path))[::2])
    assert "'site'" in line and "--exclude" in line
    code, _, err = score(str(path), "--exclude", "site")
    assert code == 0, err


def test_a_missing_time_column_is_named(csv_file: Path) -> None:
    line = one_error_line(*score(str(csv_file), "--time-column", "when")[::2])
    assert "'when' not in the file" in line


def test_too_few_training_rows_says_how_many_are_needed(csv_file: Path) -> None:
    line = one_error_line(*score(str(csv_file), "--train-rows", "20")[::2])
    assert "gives 20 training rows; at least 70 are needed" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--detector", "magic"), "unknown detector 'magic'"),
        (("--train-rows", "300", "--train-fraction", "0.5"), "give one training prefix"),
        (("--train-until", "not a date"), "is not a date/time"),
        (("--sep", ";;"), "--sep must be one character"),
    ],
)
def test_bad_options_are_explained(csv_file: Path, args: tuple[str, ...], expected: str) -> None:
    assert expected in one_error_line(*score(str(csv_file), *args)[::2])


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    line = one_error_line(*score(str(tmp_path / "nope.csv"))[::2])
    assert "nope.csv does not exist" in line
