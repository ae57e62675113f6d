"""A sliding-window rate limiter (pure: time passed in), used for logins.

Per process: several API processes each allow ``limit`` attempts, which is still a
hard ceiling on password guessing; a shared limiter (Redis) is the next step past one
machine.
"""

from __future__ import annotations

import threading
from collections import deque


class RateLimiter:
    """At most ``limit`` hits per key within ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, now_s: float) -> float:
        """Seconds until ``key`` may try again (0 if it may now)."""
        with self._lock:
            hits = self._prune(key, now_s)
            if len(hits) < self.limit:
                return 0.0
            return max(0.0, hits[0] + self.window_s - now_s)

    def hit(self, key: str, now_s: float) -> None:
        with self._lock:
            self._prune(key, now_s).append(now_s)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _prune(self, key: str, now_s: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now_s - self.window_s:
            hits.popleft()
        if len(self._hits) > 100_000:  # bounded memory under a spray of names
            for k in [k for k, v in self._hits.items() if not v][:50_000]:
                del self._hits[k]
        return hits
