"""The login rate limit: at most ``limit`` failed logins per key (a client address, a
user name) within ``window_s`` seconds.

Failures are rows in the ticket database (``api_login_failures``), so every process of
``forewarn api serve --workers N`` (and every machine on one PostgreSQL) counts the same
failures: N processes do not allow N times the guesses. Times are wall-clock seconds
(passed in, so tests and replays choose them).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from api.accounts import LoginFailure


class RateLimiter:
    """At most ``limit`` failures per key within ``window_s`` seconds, counted in the
    database behind ``sessions``."""

    def __init__(self, sessions: sessionmaker[Session], limit: int, window_s: float) -> None:
        self.sessions, self.limit, self.window_s = sessions, limit, window_s

    def retry_after(self, key: str, now_s: float) -> float:
        """Seconds until ``key`` may try again (0 if it may now): until the oldest of its
        newest ``limit`` failures leaves the window."""
        since = int((now_s - self.window_s) * 1000)
        with self.sessions() as s:
            times = list(s.scalars(select(LoginFailure.at_ms).where(
                LoginFailure.key == key, LoginFailure.at_ms > since)
                .order_by(LoginFailure.at_ms.desc()).limit(self.limit)))
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[-1] / 1000 + self.window_s - now_s)

    def hit(self, key: str, now_s: float) -> None:
        now_ms = int(now_s * 1000)
        with self.sessions.begin() as s:
            s.add(LoginFailure(key=key[:200], at_ms=now_ms))
            # forget what no window can count any more (bounded table under a spray)
            s.execute(delete(LoginFailure).where(
                LoginFailure.at_ms <= now_ms - int(self.window_s * 1000)))

    def reset(self, key: str) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.key == key))
