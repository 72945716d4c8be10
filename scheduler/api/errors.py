"""Errors as JSON a client can act on: 422 naming the parameter, 503 while the database is down."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

logger = logging.getLogger(__name__)

DATABASE_DOWN = "the database is unavailable; try again later"
RETRY_AFTER_SECONDS = 30


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors) or "invalid request"
    return JSONResponse(status_code=422, content={"detail": detail, "errors": errors})


def is_outage(exc: BaseException) -> bool:
    """A database that cannot be reached or answer, as opposed to a bug in a query (still a 500)."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | DisconnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    if not is_outage(exc):
        raise exc  # a programming error: the server error handler logs it and answers 500
    logger.error(f"{request.method} {request.url.path}: database unavailable: {str(exc).splitlines()[0]}")
    return JSONResponse(
        status_code=503,
        content={"detail": DATABASE_DOWN},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, invalid_request)
    for kind in (DBAPIError, PoolTimeout, DisconnectionError):
        app.add_exception_handler(kind, database_error)
