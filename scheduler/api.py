"""The HTTP API: crawl triggers and runs, articles, the Atom feed, health and metrics."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.article import KST
from scheduler import feed, metrics
from scheduler.crawls import CrawlTarget, default_window
from scheduler.manager import AlreadyRunning, ShuttingDown
from scheduler.schemas import (
    ArticleOut,
    ArticlesOut,
    ConflictOut,
    CrawlRequest,
    ErrorOut,
    HealthOut,
    IsoDay,
    RunAccepted,
    RunOut,
    RunsOut,
    SourceHealth,
)
from scheduler.settings import Settings
from scheduler.targets import parse_target
from storage import (
    ArticleFilter,
    CrawlRun,
    Database,
    get_article,
    get_run,
    last_runs,
    list_articles,
    list_runs,
)
from storage.articles import decode_cursor
from storage.stats import article_counts, ping, run_stats

logger = logging.getLogger(__name__)

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9999, 12, 30)
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="Article id.")]
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="Crawl run id.")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No such id."}}


class Crawls(Protocol):
    """What the API needs from the crawl manager."""

    @property
    def active_run_ids(self) -> dict[str, int]: ...

    async def submit(self, target: CrawlTarget, since: date, until: date, trigger: str) -> CrawlRun: ...


class ScheduleState(Protocol):
    @property
    def running(self) -> bool: ...

    def next_run_times(self) -> dict[str, datetime | None]: ...


def _run_out(run: CrawlRun) -> RunOut:
    return RunOut.model_validate(run.to_json())


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(422, detail=message)


def _text_param(name: str, value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise _unprocessable(f"{name}: must not contain NUL characters")
    return value or None


def _day(name: str, value: date | None) -> date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise _unprocessable(f"{name}: must be a day between {FIRST_DAY} and {LAST_DAY}")
    return value


def _kst_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), KST)


def article_filter(
    q: Annotated[
        str | None, Query(max_length=200, description="Words to find (Korean: inside words too).")
    ] = None,
    source: Annotated[str | None, Query(max_length=100, description="Site, e.g. korea_kr.")] = None,
    ministry: Annotated[str | None, Query(max_length=200, description="Exact ministry name.")] = None,
    category: Annotated[str | None, Query(max_length=50, description="Section, e.g. policy.")] = None,
    since: Annotated[IsoDay | None, Query(description="First publication day (KST).")] = None,
    until: Annotated[IsoDay | None, Query(description="Last publication day (KST), inclusive.")] = None,
) -> ArticleFilter:
    first, last = _day("since", since), _day("until", until)
    if first and last and first > last:
        raise _unprocessable(f"since {first} is after until {last}")
    return ArticleFilter(
        query=_text_param("q", q),
        source=_text_param("source", source),
        ministry=_text_param("ministry", ministry),
        section=_text_param("category", category),
        since=_kst_midnight(first) if first else None,
        until=_kst_midnight(last + timedelta(days=1)) if last else None,
    )


def _checked_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        stamp, ident = decode_cursor(cursor)
    except ValueError as exc:
        raise _unprocessable(str(exc)) from exc
    # A cursor that decodes yet was never handed out (naive time, absurd values) is as invalid.
    if stamp.tzinfo is None or not FIRST_DAY.year <= stamp.year <= LAST_DAY.year or not 0 <= ident <= MAX_ID:
        raise _unprocessable("invalid cursor: pass the next_cursor value from a previous page")
    return cursor


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


BEARER = HTTPBearer(auto_error=False, description="The service's BRIEFING_API_TOKEN.")


def may_trigger(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
) -> None:
    """With a token configured, require it; without one, accept only local callers."""
    settings: Settings = request.app.state.settings
    if settings.api_token:
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), settings.api_token.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="send Authorization: Bearer <BRIEFING_API_TOKEN>",
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif not _is_loopback(request.client.host if request.client else None):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="without BRIEFING_API_TOKEN, crawls can be triggered only from this machine",
        )


def create_app(settings: Settings, db: Database, manager: Crawls, schedule: ScheduleState) -> FastAPI:
    """The FastAPI application over one database, crawl manager and schedule."""
    app = FastAPI(
        title="briefing",
        version="0.1.0",
        description="Crawl runs and stored articles of 정책브리핑 (korea.kr). Read endpoints are open; "
        "POST /crawls needs `Authorization: Bearer $BRIEFING_API_TOKEN` when a token is configured.",
        responses={422: {"model": ErrorOut, "description": "A parameter is invalid; `detail` says which."}},
    )
    app.state.settings = settings

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
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

    @app.post(
        "/crawls",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=RunAccepted,
        tags=["crawls"],
        dependencies=[Depends(may_trigger)],
        responses={
            400: {"model": ErrorOut, "description": "The body is not readable JSON."},
            401: {"model": ErrorOut, "description": "Missing or wrong bearer token."},
            403: {"model": ErrorOut, "description": "No token configured and the caller is not local."},
            409: {"model": ConflictOut, "description": "The source is being crawled; `run_id` is that run."},
            503: {"model": ErrorOut, "description": "The service is shutting down."},
        },
    )
    async def start_crawl(body: CrawlRequest, response: Response) -> Any:
        """Start a crawl of one source now; answers at once with the new run's id."""
        try:
            target = parse_target(body.source, settings=settings)
        except ValueError as exc:
            raise _unprocessable(f"source: {exc}") from exc
        first, last = default_window(settings.default_window_days)
        since, until = _day("since", body.since) or first, _day("until", body.until) or last
        if since > until:
            raise _unprocessable(f"since {since} is after until {until}")
        try:
            run = await manager.submit(target, since, until, "api")
        except AlreadyRunning as busy:
            return JSONResponse(
                status_code=status.HTTP_409_CONFLICT,
                content={
                    "detail": f"{target.name} is already being crawled by run {busy.run.id}",
                    "run_id": busy.run.id,
                },
            )
        except ShuttingDown as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
        response.headers["Location"] = f"/crawls/{run.id}"
        return RunAccepted(run_id=run.id, source=run.source, status="queued")

    @app.get("/crawls", response_model=RunsOut, tags=["crawls"])
    def crawls(
        source: Annotated[str | None, Query(max_length=100, description="e.g. korea_kr:policy")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> RunsOut:
        """Crawl runs, newest first."""
        with db.session(read_only=True) as session:
            found = list_runs(session=session, source=_text_param("source", source), limit=limit)
        return RunsOut(items=[_run_out(r) for r in found])

    @app.get("/crawls/{run_id}", response_model=RunOut, tags=["crawls"], responses=NOT_FOUND)
    def crawl(run_id: RunId) -> RunOut:
        """One crawl run with its status and counts."""
        with db.session(read_only=True) as session:
            found = get_run(session=session, run_id=run_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no crawl run {run_id}")
        return _run_out(found)

    @app.get("/articles", response_model=ArticlesOut, tags=["articles"])
    def articles(
        where: Annotated[ArticleFilter, Depends(article_filter)],
        limit: Annotated[int, Query(ge=1, le=100, description="Page size, at most 100.")] = 20,
        cursor: Annotated[
            str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
        ] = None,
    ) -> ArticlesOut:
        """Stored articles, newest first, one page at a time."""
        checked = _checked_cursor(cursor)
        with db.session(read_only=True) as session:
            page = list_articles(session=session, where=where, limit=limit, cursor=checked)
        return ArticlesOut(
            items=[ArticleOut.model_validate(s.to_json()) for s in page.items], next_cursor=page.next_cursor
        )

    # Declared before /articles/{article_id} so "12.md" is not read as a (bad) integer id.
    @app.get(
        "/articles/{article_id}.md",
        tags=["articles"],
        response_class=Response,
        responses={200: {"content": {"text/markdown": {}}, "description": "The rendered post."}, **NOT_FOUND},
    )
    def article_markdown(article_id: ArticleId) -> Response:
        """The article's rendered post (Markdown with front matter); 404 until it has one."""
        with db.session(read_only=True) as session:
            found = get_article(session=session, article_id=article_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no article {article_id}")
        if not found.post_text:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"article {article_id} has no rendered post yet"
            )
        return Response(found.post_text, media_type="text/markdown; charset=utf-8")

    @app.get("/articles/{article_id}", response_model=ArticleOut, tags=["articles"], responses=NOT_FOUND)
    def article(article_id: ArticleId) -> ArticleOut:
        """One stored article; `revisions` counts its stored versions."""
        with db.session(read_only=True) as session:
            found = get_article(session=session, article_id=article_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no article {article_id}")
        return ArticleOut.model_validate(found.to_json())

    @app.get(
        "/feed.xml",
        tags=["articles"],
        response_class=Response,
        responses={200: {"content": {feed.MEDIA_TYPE: {}}, "description": "Atom 1.0 feed."}},
    )
    def atom(
        request: Request,
        where: Annotated[ArticleFilter, Depends(article_filter)],
        limit: Annotated[int, Query(ge=1, le=100, description="Entries, newest first.")] = 50,
    ) -> Response:
        """The latest articles as an Atom feed; filters as for /articles."""
        with db.session(read_only=True) as session:
            page = list_articles(session=session, where=where, limit=limit)
        body = feed.atom_feed(page.items, self_url=str(request.url), title="briefing: 정책브리핑")
        return Response(body, media_type=feed.MEDIA_TYPE)

    @app.get(
        "/healthz",
        response_model=HealthOut,
        tags=["service"],
        responses={503: {"model": HealthOut, "description": "The database or the scheduler is down."}},
    )
    def healthz() -> Any:
        """Is the database reachable and the schedule running; the last run of every source."""
        database, last = True, {}
        try:
            with db.session(read_only=True) as session:
                ping(session=session)
                last = last_runs(session=session)
        except Exception:
            logger.exception("health check: database unreachable")
            database = False
        next_runs = {name: when.isoformat() for name, when in schedule.next_run_times().items() if when}
        sources = {
            name: SourceHealth(
                last_run=_run_out(last[name]) if name in last else None, next_run_at=next_runs.get(name)
            )
            for name in sorted(set(last) | set(schedule.next_run_times()))
        }
        healthy = database and schedule.running
        result = HealthOut(
            status="ok" if healthy else "degraded",
            database=database,
            scheduler=schedule.running,
            active_runs=manager.active_run_ids,
            sources=sources,
        )
        if healthy:
            return result
        return JSONResponse(status_code=503, content=result.model_dump(mode="json"))

    @app.get(
        "/metrics",
        tags=["service"],
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4."}},
    )
    def prometheus() -> Response:
        """Runs, failures, articles and last success time per source, for Prometheus."""
        with db.session(read_only=True) as session:
            runs, counts = run_stats(session=session), article_counts(session=session)
        text = metrics.render(runs, counts, active=manager.active_run_ids, scheduler_running=schedule.running)
        return Response(text, media_type=metrics.MEDIA_TYPE)

    return app
