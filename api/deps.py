"""Dependencies of the routes, as ``Annotated`` aliases: the app state, a database
session, and the caller with a given permission (``Reader``, ``Actor``, ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.accounts import Principal
from api.auth import SAFE_METHODS, authenticate, authorise, check_csrf
from api.state import AppState

_bearer = HTTPBearer(auto_error=False, description="An API key: forewarn api keys create")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


async def get_state(request: Request) -> AppState:  # async: no thread hop for a lookup
    state: AppState = request.app.state.forewarn
    return state


State = Annotated[AppState, Depends(get_state)]


def db_session(state: State) -> Iterator[Session]:
    with state.readers() as s:
        yield s


DB = Annotated[Session, Depends(db_session)]


def require(permission: str) -> Callable[..., Principal]:
    def caller(request: Request, state: State,
               _b: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
               _k: Annotated[str | None, Security(_header)] = None) -> Principal:
        principal = authenticate(state, request)
        authorise(principal, permission)
        if request.method not in SAFE_METHODS:
            check_csrf(principal, request.headers.get("x-csrf-token"))
        return principal

    caller.__name__ = f"require_{permission}"
    return caller


Reader = Annotated[Principal, Depends(require("read"))]
Actor = Annotated[Principal, Depends(require("act"))]
Noter = Annotated[Principal, Depends(require("note"))]
Closer = Annotated[Principal, Depends(require("close"))]
KpiReader = Annotated[Principal, Depends(require("kpis"))]
Streamer = Annotated[Principal, Depends(require("stream"))]
MetricsReader = Annotated[Principal, Depends(require("metrics"))]
Admin = Annotated[Principal, Depends(require("admin"))]
