"""The REST API and the planner web app (FastAPI), served by ``forewarn api``.

:func:`create_app` builds the app from :class:`config.Settings`; routes live in
:mod:`api.routes` (REST, under ``/api/v1``) and :mod:`api.web` (pages), reads in
:mod:`api.queries`, planner actions in :mod:`api.actions`, who may do what in
:mod:`api.auth` and :mod:`api.accounts`.
"""

from api.app import create_app
from api.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound, Unauthorized

__all__ = ["ApiError", "BadRequest", "Conflict", "Forbidden", "NotFound", "Unauthorized",
           "create_app"]
