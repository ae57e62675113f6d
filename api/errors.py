"""The API's errors, each with the HTTP status it becomes at the edge.

::

    ApiError (500)
     ├── BadRequest (400)       a request that is well-formed but makes no sense
     ├── Unauthorized (401)     no or bad credentials
     ├── Forbidden (403)        the role may not do this, or the CSRF token is missing
     ├── NotFound (404)         no such ticket, device or technician
     ├── Conflict (409)         the state forbids it (closed ticket, no free slot)
     └── TooManyRequests (429)  login rate limit
"""

from __future__ import annotations


class ApiError(Exception):
    status = 500

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class TooManyRequests(ApiError):
    status = 429


class ConfigError(ApiError):
    """The settings are not safe to serve with (raised at start, never to a client)."""
