"""The app factory: settings in, a FastAPI app out (REST API, web app, health, metrics).

Nothing is global: the ticket database, the telemetry store, the dispatcher (for
closing tickets and announcing), the session signer and the login rate limiter are
built here from the settings and kept on ``app.state.forewarn``.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, create_engine, event
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import accounts, queries
from api.auth import signer
from api.errors import ApiError, ConfigError
from api.metrics import Metrics, MetricsMiddleware
from api.ratelimit import RateLimiter
from api.routes import devices, fleet, ops, stream, tickets
from api.state import READ_SLOTS, AppState, Clock
from api.telemetry import TelemetryUnavailable
from api.web import routes as web
from config import Settings
from dispatch.dispatcher import Dispatcher
from dispatch.errors import DispatchError
from dispatch.store import connect, migrate, session_factory
from ingest.store import open_store
from ingest.store.base import TelemetryStore

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "web" / "static"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _check_secret(settings: Settings) -> None:
    secret = settings.api.session_secret.get_secret_value()
    if settings.environment == "production" and (secret.startswith("development")
                                                  or len(secret) < 32):
        raise ConfigError("api.session_secret must be set to 32+ random characters in "
                          "production (FOREWARN_API__SESSION_SECRET)")


def read_engine(url: str) -> Engine:
    """A SQLite engine for reads only. Dispatch's engine begins every transaction with
    ``BEGIN IMMEDIATE`` (the write lock, so check-then-insert steps of several processes
    are serialised); reads need no lock beyond their statement, and taking it would queue
    every concurrent page view behind the others."""
    engine = create_engine(url, pool_pre_ping=True, json_deserializer=orjson.loads)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    return engine


def build_state(settings: Settings, telemetry: TelemetryStore | None = None,
                clock: Clock | None = None) -> AppState:
    _check_secret(settings)
    engine = connect(settings.tickets.url)
    migrate(engine)
    accounts.ensure_tables(engine)
    sessions = session_factory(engine)
    api = settings.api
    reader = read_engine(settings.tickets.url) if engine.dialect.name == "sqlite" else None
    readers = session_factory(reader) if reader is not None else sessions
    state = AppState(
        settings=settings, engine=engine, sessions=sessions, readers=readers,
        dispatcher=Dispatcher(sessions, settings.dispatch),
        telemetry=telemetry or open_store(settings), clock=clock or _now_ms,
        signer=signer(api.session_secret.get_secret_value()),
        login_limiter=RateLimiter(sessions, api.login_attempts, api.login_window),
        metrics=Metrics(),
        owns_telemetry=telemetry is None, read_engine=reader,
        # PostgreSQL reads wait on the server (threads idle, GIL free): let more run
        read_slots=threading.BoundedSemaphore(READ_SLOTS if reader is not None else 16))

    def counts() -> dict[str, int]:
        with sessions() as s:
            return queries.open_counts(s)

    state.metrics.track_open_tickets(counts)
    return state


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where, rest = parts[0], parts[1:]
        return ".".join(rest) if rest else where
    return ".".join(parts)


def _invalid_field(e: Any) -> dict[str, str]:
    """One validation error as ``{field, in, message}``; a body that is not JSON is named
    as the body, with where the JSON breaks (its loc is a character offset, not a field)."""
    loc = tuple(e.get("loc", ()))
    if e.get("type") == "json_invalid":
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        reason = (e.get("ctx") or {}).get("error", "")
        return {"field": "body", "in": "body",
                "message": f"not valid JSON{at}" + (f" ({reason})" if reason else "")}
    return {"field": _field(loc), "in": str(loc[0]) if loc else "?",
            "message": e.get("msg", "invalid")}


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if exc.status == 401 and web.wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if web.wants_html(request):
            return web.error_page(request, exc.status, exc.message, exc.headers)
        return JSONResponse({"detail": exc.message}, status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = [_invalid_field(e) for e in exc.errors()]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return JSONResponse({"detail": f"invalid request: {summary}", "errors": fields},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(TelemetryUnavailable)
    async def no_telemetry(request: Request, exc: TelemetryUnavailable) -> Response:
        log.warning("telemetry store unavailable: %s", exc)
        return JSONResponse({"detail": "the telemetry store does not answer: try again "
                             "shortly"}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(DispatchError)
    async def store_error(request: Request, exc: DispatchError) -> Response:
        log.error("ticket store error: %s", exc)
        return JSONResponse({"detail": "the ticket store failed: try again shortly"},
                            status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error (logged on the server)"},
                            status_code=500)


def create_app(settings: Settings, *, telemetry: TelemetryStore | None = None,
               clock: Clock | None = None) -> FastAPI:
    """The REST API and planner web app for ``settings``.

    ``telemetry`` (a store to use instead of opening the configured one) and ``clock``
    (epoch ms) are for tests, benchmarks and replays.
    """
    state = build_state(settings, telemetry, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The heap after start-up (modules, the app, its routes and schemas: ~180,000
        # objects) lives as long as the process: freeze it so that the collector's full
        # passes, which otherwise walk all of it every few hundred requests (~100 ms, the
        # queue's p99), only look at what requests created.
        gc.collect()
        gc.freeze()
        yield
        state.close()

    app = FastAPI(
        title="Forewarn", version="1.0",
        description="Proactive repair tickets for connected heat pumps: the planner's queue, "
        "tickets with their evidence, devices and their telemetry, technicians, KPIs.\n\n"
        "Authenticate with an API key (`forewarn api keys create --role planner --name X`) "
        "as `Authorization: Bearer <key>`. Lists are paged by cursor: pass `next_cursor` "
        "back as `cursor`.",
        lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.forewarn = state
    _install_errors(app)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    for module in (ops, tickets, devices, fleet, stream):
        app.include_router(module.router)
    app.include_router(web.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_docs(app)
    return app


def from_environment() -> FastAPI:
    """The app for the settings in the environment (``FOREWARN_*``, ``FOREWARN_CONFIG``):
    the factory uvicorn calls in each worker process of ``forewarn api serve --workers N``."""
    from config import load_settings

    config = os.environ.get("FOREWARN_CONFIG")
    return create_app(load_settings(Path(config) if config else None))


def _install_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the swagger-ui-bundle package (no CDN: works offline)."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Forewarn API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")
