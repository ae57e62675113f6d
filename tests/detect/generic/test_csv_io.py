"""The CSV edge: any separator, the timestamp found or named, errors that name the culprit."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detect.generic import (
    InputFileError,
    MissingColumnError,
    NonNumericColumnError,
    NotEnoughTrainingRowsError,
    TimestampError,
    read_table,
    score_series,
    training_rows,
    write_scored,
)
from detect.generic.testing import make_frame


def write(tmp_path: Path, frame: pd.DataFrame, sep: str = ",") -> Path:
    path = tmp_path / "data.csv"
    frame.to_csv(path, sep=sep, index=False)
    return path


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_separator_is_detected(tmp_path: Path, sep: str) -> None:
    table = read_table(write(tmp_path, make_frame(), sep))
    assert table.separator == sep
    assert table.columns == ["vibration", "pressure", "temperature"]


def test_a_column_called_timestamp_is_the_time_column(csv_file: Path) -> None:
    table = read_table(csv_file)
    assert table.time_column == "timestamp"
    assert table.timestamps is not None
    assert table.timestamps[1] - table.timestamps[0] == pd.Timedelta(seconds=1)


def test_any_column_can_be_named_the_time_column(tmp_path: Path) -> None:
    frame = make_frame().rename(columns={"timestamp": "recorded"})
    table = read_table(write(tmp_path, frame), time_column="recorded")
    assert table.columns == ["vibration", "pressure", "temperature"]


def test_a_missing_time_column_is_named_with_the_columns_there_are(csv_file: Path) -> None:
    with pytest.raises(MissingColumnError, match=r"'when' not in the file.*'timestamp'"):
        read_table(csv_file, time_column="when")


def test_non_numeric_columns_are_named_with_row_and_value(tmp_path: Path) -> None:
    frame = make_frame()
    frame["site"] = "north"
    frame["pressure"] = frame["pressure"].astype(object)
    frame.loc[5, "pressure"] = "broken"
    with pytest.raises(NonNumericColumnError) as caught:
        read_table(write(tmp_path, frame))
    message = str(caught.value)
    assert "'pressure' (data row 6: 'broken')" in message
    assert "'site'" in message and "--exclude" in message


def test_excluded_and_chosen_columns_are_respected(tmp_path: Path) -> None:
    frame = make_frame()
    frame["site"] = "north"
    assert read_table(write(tmp_path, frame), exclude=["site"]).columns == [
        "vibration", "pressure", "temperature"]
    assert read_table(write(tmp_path, frame), columns=["pressure"]).columns == ["pressure"]
    with pytest.raises(MissingColumnError, match="'flow'"):
        read_table(write(tmp_path, frame), columns=["flow"])


def test_empty_and_na_cells_are_filled_from_neighbouring_rows(tmp_path: Path) -> None:
    frame = make_frame(rows=100).astype(object)
    frame.loc[0, "vibration"] = ""
    frame.loc[10, "pressure"] = "NaN"
    table = read_table(write(tmp_path, frame))
    assert np.isfinite(table.values).all()
    assert table.values[10, 1] == table.values[9, 1]
    assert table.values[0, 0] == table.values[1, 0]


def test_unparseable_timestamps_name_the_row(tmp_path: Path) -> None:
    frame = make_frame(rows=50)
    frame.loc[7, "timestamp"] = "yesterday-ish"
    with pytest.raises(TimestampError, match="data row 8: 'yesterday-ish'"):
        read_table(write(tmp_path, frame))


def test_rows_out_of_time_order_are_refused(tmp_path: Path) -> None:
    frame = make_frame(rows=50)
    frame.loc[[10, 11], "timestamp"] = frame.loc[[11, 10], "timestamp"].to_numpy()
    with pytest.raises(TimestampError, match=r"not in time order.*sort the file"):
        read_table(write(tmp_path, frame))


def test_a_header_without_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("timestamp,a\n")
    with pytest.raises(InputFileError, match="no data rows"):
        read_table(path)


def test_the_training_prefix_comes_from_rows_time_or_a_fraction(csv_file: Path) -> None:
    table = read_table(csv_file)
    assert training_rows(table, rows=300) == 300
    assert training_rows(table, until="2024-01-01 00:04:59") == 300
    assert training_rows(table) == 180
    assert training_rows(table, fraction=0.5) == 450


def test_asking_for_two_training_prefixes_is_refused(csv_file: Path) -> None:
    with pytest.raises(ValueError, match="--train-rows and --train-until"):
        training_rows(read_table(csv_file), rows=10, until="2024-01-01")


def test_too_short_a_training_prefix_says_how_many_rows_are_needed(csv_file: Path) -> None:
    with pytest.raises(NotEnoughTrainingRowsError, match="gives 10 training rows; at least 70"):
        training_rows(read_table(csv_file), rows=10, minimum=70)
    with pytest.raises(NotEnoughTrainingRowsError, match="only 900"):
        training_rows(read_table(csv_file), rows=5000)


def test_train_until_needs_a_time_column(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, make_frame().drop(columns="timestamp")))
    with pytest.raises(TimestampError, match="--time-column"):
        training_rows(table, until="2024-01-01")


def test_rows_are_written_back_unchanged_with_two_columns_added(tmp_path: Path) -> None:
    frame = make_frame().astype(object)
    frame.loc[3, "vibration"] = "1.50000"  # text kept exactly, not reformatted
    path = write(tmp_path, frame, sep=";")
    table = read_table(path)
    out = io.StringIO()
    write_scored(table, score_series(table.values, 300), out, chunk_rows=256)
    lines = out.getvalue().splitlines()
    original = path.read_text().splitlines()
    assert lines[0] == original[0] + ";anomaly_score;is_anomaly"
    assert len(lines) == len(original)
    assert lines[4].startswith(original[4] + ";")
    assert "1.50000" in lines[4]
    assert {line.rsplit(";", 1)[1] for line in lines[1:]} == {"0", "1"}


def test_influxdb_style_utc_timestamps_work_with_a_plain_train_until(tmp_path: Path) -> None:
    """A zone-less --train-until is read in the data's own zone."""
    frame = make_frame().rename(columns={"timestamp": "_time"})
    frame["_time"] = frame["_time"].str.replace(" ", "T") + "Z"
    table = read_table(write(tmp_path, frame))
    assert table.time_column == "_time"
    assert training_rows(table, until="2024-01-01 00:04:59") == 300
    assert training_rows(table, until="2024-01-01T01:04:59+01:00") == 300
