"""A durable local spool: batches that could not reach the store wait here, in order, on disk.

Each batch is one segment file ``<number>.spool`` (JSON lines, one record a line),
written to a temporary name, fsynced, then renamed, so a crash never leaves a
half-written segment behind. Segments are replayed oldest first and deleted only
after the store has taken them. :func:`encode` and :func:`decode` are pure.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict
from pathlib import Path
from typing import Final

import orjson

from ingest.errors import SpoolError
from ingest.reading import Reading
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus

SUFFIX: Final = ".spool"
_KINDS: Final = (("r", "readings", Reading), ("s", "statuses", DeviceStatus),
                 ("e", "events", DeviceEvent), ("m", "metas", DeviceMeta))


def encode(batch: Batch) -> bytes:
    """A batch as JSON lines: ``{"k": "r"|"s"|"e"|"m", ...fields}``."""
    lines: list[bytes] = []
    for kind, attr, _ in _KINDS:
        for record in getattr(batch, attr):
            lines.append(orjson.dumps({"k": kind, **asdict(record)}))
    return b"\n".join(lines) + b"\n" if lines else b""


def decode(data: bytes) -> Batch:
    """The inverse of :func:`encode`."""
    batch = Batch()
    targets = {kind: (getattr(batch, attr), cls) for kind, attr, cls in _KINDS}
    for line in data.splitlines():
        if not line:
            continue
        fields = orjson.loads(line)
        records, cls = targets[fields.pop("k")]
        records.append(cls(**fields))
    return batch


class Spool:
    """Segments in ``directory``; one writer (the worker) at a time."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for stale in self.directory.glob("*.tmp"):
                stale.unlink()  # a crash between write and rename: never acknowledged
        except OSError as exc:
            raise SpoolError(f"cannot use spool directory {self.directory}: {exc}") from exc
        self._segments = sorted(self.directory.glob("*" + SUFFIX))
        self._records = {p: _count_lines(p) for p in self._segments}
        last = self._segments[-1].stem if self._segments else "0"
        self._next = int(last) + 1

    def __len__(self) -> int:
        """Number of segments waiting."""
        return len(self._segments)

    @property
    def records(self) -> int:
        """Number of records (readings and device records) waiting."""
        return sum(self._records.values())

    def append(self, batch: Batch) -> Path:
        """Write ``batch`` durably as the newest segment."""
        path = self.directory / f"{self._next:016d}{SUFFIX}"
        tmp = path.with_suffix(".tmp")
        try:
            with tmp.open("wb") as fh:
                fh.write(encode(batch))
                fh.flush()
                os.fsync(fh.fileno())
            tmp.rename(path)
            _fsync_dir(self.directory)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise SpoolError(f"cannot write spool segment {path}: {exc}") from exc
        self._next += 1
        self._segments.append(path)
        self._records[path] = len(batch)
        return path

    def oldest(self) -> tuple[Path, Batch] | None:
        """The oldest segment and its batch, or ``None`` when the spool is empty."""
        if not self._segments:
            return None
        path = self._segments[0]
        try:
            return path, decode(path.read_bytes())
        except OSError as exc:
            raise SpoolError(f"cannot read spool segment {path}: {exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            # Only a disk fault can do this (segments are written atomically): set it aside.
            corrupt = path.with_suffix(".corrupt")
            path.rename(corrupt)
            self._segments.remove(path)
            self._records.pop(path, None)
            raise SpoolError(f"spool segment {path} is corrupt ({exc}); moved to {corrupt}, "
                             "inspect it by hand") from exc

    def remove(self, path: Path) -> None:
        """Forget a segment after the store has taken it."""
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise SpoolError(f"cannot delete spool segment {path}: {exc}") from exc
        self._segments.remove(path)
        self._records.pop(path, None)


def _count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
