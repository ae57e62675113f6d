"""Authentication and authorisation: API keys and web sessions, roles and permissions.

An API key comes as ``Authorization: Bearer fwk_...`` or ``X-API-Key``; a browser comes
with the signed, HTTP-only session cookie. A request made with the cookie that changes
anything must also carry the session's CSRF token (``X-CSRF-Token`` header, or the
``csrf_token`` form field for the web app's forms).

======================  ========  ==========  ===========  =====
permission              planner   technician  integration  admin
======================  ========  ==========  ===========  =====
read                    yes       yes         yes          yes
act (ack, reschedule,   yes                                yes
reassign)
note                    yes       yes         yes          yes
close                   yes       yes                      yes
kpis                    yes                                yes
stream                  yes                   yes          yes
metrics                                       yes          yes
admin (keys)                                               yes
======================  ========  ==========  ===========  =====
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request

from api.accounts import Principal, active_user, key_principal
from api.errors import Forbidden, Unauthorized
from api.state import AppState

SESSION_COOKIE: Final = "forewarn_session"
LOGIN_COOKIE: Final = "forewarn_login"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "planner": frozenset({"read", "act", "note", "close", "kpis", "stream"}),
    "technician": frozenset({"read", "note", "close"}),
    "integration": frozenset({"read", "note", "stream", "metrics"}),
    "admin": frozenset({"read", "act", "note", "close", "kpis", "stream", "metrics", "admin"}),
}


def can(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="forewarn-session")


def new_session(state: AppState, principal: Principal) -> str:
    """The cookie value for a fresh web session (with a new CSRF token)."""
    return str(state.signer.dumps({"u": principal.name, "c": secrets.token_urlsafe(24)}))


def session_principal(state: AppState, request: Request) -> Principal | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = state.signer.loads(raw, max_age=int(state.settings.api.session_max_age))
    except BadSignature:
        return None
    user = active_user(state.readers, str(data.get("u", "")))
    if user is None:
        return None
    return Principal(user.name, user.role, "session", str(data.get("c", "")))


def api_key_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or None


def authenticate(state: AppState, request: Request) -> Principal:
    """The caller, or :class:`Unauthorized` (which says how to authenticate)."""
    key = api_key_of(request)
    if key is not None:
        principal = key_principal(state.readers, key)
        if principal is None:
            raise Unauthorized("the API key is unknown or revoked",
                               {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return principal
    principal = session_principal(state, request)
    if principal is None:
        raise Unauthorized("authentication required: send 'Authorization: Bearer <API key>' "
                           "(forewarn api keys create) or log in at /login",
                           {"WWW-Authenticate": "Bearer"})
    return principal


def check_csrf(principal: Principal, token: str | None) -> None:
    if principal.via != "session":
        return
    if not token or not principal.csrf or not hmac.compare_digest(token, principal.csrf):
        raise Forbidden("missing or wrong CSRF token: send the session's token as "
                        "X-CSRF-Token (or the csrf_token form field)")


def authorise(principal: Principal, permission: str) -> None:
    if not can(principal.role, permission):
        raise Forbidden(f"role {principal.role!r} may not {permission} "
                        f"(allowed: {', '.join(r for r in PERMISSIONS if can(r, permission))})")
