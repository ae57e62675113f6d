"""Who may use the API: API keys (for systems and scripts) and web users (for planners).

Both live in the ticket database, in tables of the API's own (created at start if
missing, under the same PostgreSQL advisory lock dispatch's migrations take).
Keys are random 256-bit secrets stored as SHA-256 digests (high entropy needs no slow
hash, and lookup stays one indexed query); passwords are stored with scrypt.
A key or password is shown once, when created, and never stored in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from sqlalchemy import BigInteger, Boolean, Engine, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from dispatch.store import migration_lock

ROLES: Final = ("planner", "technician", "integration", "admin")
KEY_PREFIX: Final = "fwk_"
_SCRYPT: Final = {"n": 2**14, "r": 8, "p": 1}


class AccountError(ValueError):
    """A name taken, an unknown role, a key or user that does not exist."""


class _Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {int: BigInteger}


class ApiKey(_Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    created_ms: Mapped[int] = mapped_column()
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger)


class User(_Base):
    __tablename__ = "api_users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_ms: Mapped[int] = mapped_column()
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginFailure(_Base):
    """A failed login, by client address (``ip:...``) or user name (``u:...``): shared by
    every API process on the database, so ``--workers N`` does not multiply the limit."""

    __tablename__ = "api_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at_ms: Mapped[int] = mapped_column(index=True)


@dataclass(frozen=True)
class Principal:
    """Whoever is calling: a key's or a user's name, their role, and how they came in."""

    name: str
    role: str
    via: str  # "key" or "session"
    csrf: str | None = None


def ensure_tables(engine: Engine) -> None:
    """Create the API's tables if missing; safe when several processes start at once."""
    with engine.begin() as conn:
        migration_lock(conn)
        _Base.metadata.create_all(conn)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: choose from {', '.join(ROLES)}")


def create_key(sessions: sessionmaker[Session], name: str, role: str, now_ms: int) -> str:
    """A new API key for ``name``; returns the key itself (shown once, stored hashed)."""
    _check_role(role)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with sessions.begin() as s:
            s.add(ApiKey(name=name, role=role, digest=_digest(key), hint=key[:8],
                         created_ms=now_ms))
    except IntegrityError:
        raise AccountError(f"an API key named {name!r} exists: pick another name or "
                           "revoke it first") from None
    return key


def revoke_key(sessions: sessionmaker[Session], name: str, now_ms: int) -> None:
    with sessions.begin() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_ms.is_(None)))
        if row is None:
            raise AccountError(f"no active API key named {name!r}")
        row.revoked_ms = now_ms
        row.name = f"{name}#revoked-{row.id}"  # the name can be reused


def list_keys(sessions: sessionmaker[Session]) -> list[ApiKey]:
    with sessions() as s:
        return list(s.scalars(select(ApiKey).order_by(ApiKey.id)))


def key_principal(sessions: sessionmaker[Session], key: str) -> Principal | None:
    if not key.startswith(KEY_PREFIX):
        return None
    with sessions() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.digest == _digest(key)))
    if row is None or row.revoked_ms is not None:
        return None
    return Principal(row.name, row.role, "key")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${b64(salt).decode()}${b64(dk).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, salt, dk = stored.split("$")
        want = base64.b64decode(dk)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                             r=_SCRYPT["r"], p=_SCRYPT["p"], dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


_DUMMY_HASH: Final = hash_password(secrets.token_urlsafe(16))


def create_user(sessions: sessionmaker[Session], name: str, role: str, password: str,
                now_ms: int) -> None:
    _check_role(role)
    if len(password) < 10:
        raise AccountError("the password must have at least 10 characters")
    try:
        with sessions.begin() as s:
            s.add(User(name=name, role=role, password_hash=hash_password(password),
                       created_ms=now_ms))
    except IntegrityError:
        raise AccountError(f"a user named {name!r} exists") from None


def authenticate(sessions: sessionmaker[Session], name: str, password: str) -> Principal | None:
    """The user if ``password`` is theirs (the same work is done for unknown names)."""
    with sessions() as s:
        row = s.get(User, name)
    if row is None or row.disabled:
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, row.password_hash):
        return None
    return Principal(row.name, row.role, "session")


def active_user(sessions: sessionmaker[Session], name: str) -> User | None:
    with sessions() as s:
        row = s.get(User, name)
    return None if row is None or row.disabled else row
