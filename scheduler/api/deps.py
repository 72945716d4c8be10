"""What routes share: the service's parts as dependencies, the bearer-token check, query checks."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.article import KST
from scheduler.api.schemas import IsoDay
from scheduler.crawls import CrawlTarget
from scheduler.settings import Settings
from storage import ArticleFilter, CrawlRun, Database
from storage.articles import decode_cursor

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9999, 12, 30)
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="Article id.")]
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="Crawl run id.")]


class Crawls(Protocol):
    """What the API needs from the crawl manager."""

    @property
    def active_run_ids(self) -> dict[str, int]: ...

    async def submit(self, target: CrawlTarget, since: date, until: date, trigger: str) -> CrawlRun: ...


class ScheduleState(Protocol):
    @property
    def running(self) -> bool: ...

    def next_run_times(self) -> dict[str, datetime | None]: ...


@dataclass(frozen=True, slots=True)
class Parts:
    """The service's parts every route may use; create_app keeps one in `app.state.parts`."""

    settings: Settings
    db: Database
    crawls: Crawls
    schedule: ScheduleState
    public_url: str  # base of the API's own absolute links, never taken from a request header


def parts(request: Request) -> Parts:
    found: Parts = request.app.state.parts
    return found


def _settings(request: Request) -> Settings:
    return parts(request).settings


def _db(request: Request) -> Database:
    return parts(request).db


def _crawls(request: Request) -> Crawls:
    return parts(request).crawls


def _schedule(request: Request) -> ScheduleState:
    return parts(request).schedule


PartsDep = Annotated[Parts, Depends(parts)]
SettingsDep = Annotated[Settings, Depends(_settings)]
DbDep = Annotated[Database, Depends(_db)]
CrawlsDep = Annotated[Crawls, Depends(_crawls)]
ScheduleDep = Annotated[ScheduleState, Depends(_schedule)]


# --- access ---------------------------------------------------------------------------------

BEARER = HTTPBearer(auto_error=False, description="The service's BRIEFING_API_TOKEN.")


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def may_trigger(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> None:
    """With a token configured, require it; without one, accept only local callers.

    Reads headers only. A route using it must not declare a body parameter: FastAPI reads a
    declared body before it runs any dependency, so such a route reads its body itself, after this.
    """
    token = (settings.api_token or "").strip()
    if token:
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), token.encode()):
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


# --- parameters -----------------------------------------------------------------------------


def unprocessable(message: str) -> HTTPException:
    return HTTPException(422, detail=message)


def text_param(name: str, value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise unprocessable(f"{name}: must not contain NUL characters")
    return value or None


def search_words(value: str | None) -> str | None:
    """The `q` parameter: a query of only punctuation (`%`, `*`, `"`) would match everything."""
    query = text_param("q", value)
    if query is not None and not any(ch.isalnum() for ch in query):
        raise unprocessable("q: needs at least one letter or digit to search for")
    return query


def checked_day(name: str, value: date | None) -> date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise unprocessable(f"{name}: must be a day between {FIRST_DAY} and {LAST_DAY}")
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
    first, last = checked_day("since", since), checked_day("until", until)
    if first and last and first > last:
        raise unprocessable(f"since {first} is after until {last}")
    return ArticleFilter(
        query=search_words(q),
        source=text_param("source", source),
        ministry=text_param("ministry", ministry),
        section=text_param("category", category),
        since=_kst_midnight(first) if first else None,
        until=_kst_midnight(last + timedelta(days=1)) if last else None,
    )


FilterDep = Annotated[ArticleFilter, Depends(article_filter)]


def checked_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        stamp, ident = decode_cursor(cursor)
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc
    # A cursor that decodes yet was never handed out (naive time, absurd values) is as invalid.
    if stamp.tzinfo is None or not FIRST_DAY.year <= stamp.year <= LAST_DAY.year or not 0 <= ident <= MAX_ID:
        raise unprocessable("invalid cursor: pass the next_cursor value from a previous page")
    return cursor
