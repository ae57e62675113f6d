"""Splitting a fleet between ``forewarn detect`` processes: ``--shard i/N``.

A device belongs to shard ``blake2b(device_id) mod N``: stable across processes,
machines and Python versions (unlike ``hash()``), so N processes cover every device
exactly once, with no coordination.

>>> Shard.parse("1/3").owns("hp-000042") in (True, False)
True
>>> sum(Shard(i, 3).owns("hp-000042") for i in range(3))
1
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from detect.errors import ShardError


def shard_of(device_id: str, count: int) -> int:
    digest = hashlib.blake2b(device_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


@dataclass(frozen=True)
class Shard:
    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ShardError(f"shard {self.index}/{self.count} is invalid: use i/N with "
                             "0 <= i < N, e.g. 0/4")

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            i, n = (int(p) for p in text.split("/"))
        except ValueError:
            raise ShardError(f"shard {text!r} is not i/N (e.g. 0/4)") from None
        return cls(i, n)

    def owns(self, device_id: str) -> bool:
        return self.count == 1 or shard_of(device_id, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
