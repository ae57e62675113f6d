"""Health and metrics: ``/healthz`` (alive), ``/readyz`` (dependencies reachable), ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import MetricsReader, State
from api.health import readiness
from api.schemas import ReadyPublic

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive (no dependencies checked)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyPublic,
            responses={503: {"model": ReadyPublic, "description": "a dependency is down"}},
            summary="The broker, InfluxDB and the ticket store all answer")
async def readyz(state: State) -> JSONResponse:
    checks = await run_in_threadpool(readiness, state)
    ok = all(c.ok for c in checks.values())
    body = ReadyPublic(status="ready" if ok else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics (needs the metrics permission)",
            response_class=Response)
def metrics(state: State, _: MetricsReader) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
