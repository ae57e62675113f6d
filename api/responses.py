"""Responses of models already validated on the way out of the queries.

FastAPI validates and serialises a returned model again against ``response_model``;
for pages of 50 tickets or 10,000 telemetry values that is most of a request's time.
Routes keep ``response_model`` (for the OpenAPI schema) and return :func:`as_json`.
"""

from __future__ import annotations

from fastapi.responses import Response
from pydantic import BaseModel


def as_json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status_code,
                    media_type="application/json")
