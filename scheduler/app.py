"""create_app: the one FastAPI application: the API's routers, the web pages, middleware, error handlers."""

from __future__ import annotations

from fastapi import FastAPI

from scheduler.api.articles import router as articles_router
from scheduler.api.atom import router as feed_router
from scheduler.api.crawls import router as crawls_router
from scheduler.api.deps import Crawls, Parts, ScheduleState
from scheduler.api.errors import install_error_handlers
from scheduler.api.health import router as health_router
from scheduler.api.limits import BodyLimit
from scheduler.api.schemas import ErrorOut
from scheduler.settings import Settings
from scheduler.web import mount_web
from storage import Database


def default_public_url(host: str, port: int) -> str:
    """The API's address as bound, for its own links when BRIEFING_PUBLIC_URL is not set."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def create_app(
    settings: Settings,
    db: Database,
    manager: Crawls,
    schedule: ScheduleState,
    *,
    bound_url: str | None = None,
) -> FastAPI:
    """The FastAPI application over one database, crawl manager and schedule.

    `bound_url` is the address the service actually listens on (port 0 picks one); links the
    API writes start with BRIEFING_PUBLIC_URL, else with it, else with BRIEFING_HOST/PORT.
    """
    app = FastAPI(
        title="briefing",
        docs_url=None,  # /docs is served by scheduler.web from briefing's own files (no CDN)
        redoc_url=None,  # ReDoc would load from a CDN
        version="0.1.0",
        description="Crawl runs and stored articles of 정책브리핑 (korea.kr). Read endpoints are open; "
        "POST /crawls needs `Authorization: Bearer $BRIEFING_API_TOKEN` when a token is configured.",
        responses={
            422: {"model": ErrorOut, "description": "A parameter is invalid; `detail` says which."},
            503: {"model": ErrorOut, "description": "The database is unavailable."},
        },
    )
    public_url = settings.public_url or bound_url or default_public_url(settings.host, settings.port)
    app.state.parts = Parts(
        settings=settings, db=db, crawls=manager, schedule=schedule, public_url=public_url.rstrip("/")
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    app.include_router(crawls_router)
    app.include_router(articles_router)
    app.include_router(feed_router)
    app.include_router(health_router)
    mount_web(app, settings=settings, db=db, manager=manager, schedule=schedule)
    return app
