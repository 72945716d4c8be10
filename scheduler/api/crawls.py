"""POST /crawls (start one), GET /crawls and /crawls/{id} (runs and their failed items)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from crawler.posts.sanitize import plain_text
from scheduler.api.deps import (
    CrawlsDep,
    DbDep,
    RunId,
    SettingsDep,
    checked_day,
    may_trigger,
    text_param,
    unprocessable,
)
from scheduler.api.schemas import (
    ConflictOut,
    CrawlRequest,
    ErrorOut,
    FailedItemOut,
    RunAccepted,
    RunDetailOut,
    RunsOut,
    run_out,
)
from scheduler.crawls import default_window
from scheduler.manager import AlreadyRunning, ShuttingDown
from scheduler.targets import parse_target
from storage import CrawlErrorRecord, get_run, list_errors, list_runs

router = APIRouter(tags=["crawls"])

# The body is read by the route, after `may_trigger` (a declared body would be read before any
# dependency runs); the OpenAPI document still describes it.
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CrawlRequest.model_json_schema()}},
    }
}


async def crawl_request(request: Request) -> CrawlRequest:
    """The JSON body as a CrawlRequest; errors are 422 with `body.<field>` as FastAPI words them."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind != "application/json" and not kind.endswith("+json"):
        raise unprocessable("body: send JSON with Content-Type: application/json")
    raw = await request.body()  # bounded by the body-size limit (scheduler.api.limits)
    if not raw:
        raise RequestValidationError([{"loc": ("body",), "msg": "Field required", "type": "missing"}])
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = exc.pos if isinstance(exc, json.JSONDecodeError) else exc.start
        raise RequestValidationError(
            [{"loc": ("body", where), "msg": "JSON decode error", "type": "json_invalid"}]
        ) from exc
    try:
        return CrawlRequest.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc


@router.post(
    "/crawls",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunAccepted,
    dependencies=[Depends(may_trigger)],
    openapi_extra=_BODY,
    responses={
        401: {"model": ErrorOut, "description": "Missing or wrong bearer token (checked before the body)."},
        403: {"model": ErrorOut, "description": "No token configured and the caller is not local."},
        409: {"model": ConflictOut, "description": "The source is being crawled; `run_id` is that run."},
        413: {"model": ErrorOut, "description": "The body is larger than BRIEFING_MAX_BODY_BYTES."},
        503: {"model": ErrorOut, "description": "The service is shutting down or the database is down."},
    },
)
async def start_crawl(request: Request, response: Response, settings: SettingsDep, crawls: CrawlsDep) -> Any:
    """Start a crawl of one source now; answers at once with the new run's id."""
    body = await crawl_request(request)
    try:
        target = parse_target(body.source, settings=settings)
    except ValueError as exc:
        raise unprocessable(f"source: {exc}") from exc
    first, last = default_window(settings.default_window_days)
    since, until = checked_day("since", body.since) or first, checked_day("until", body.until) or last
    if since > until:
        raise unprocessable(f"since {since} is after until {until}")
    try:
        run = await crawls.submit(target, since, until, "api")
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


@router.get("/crawls", response_model=RunsOut)
def crawls(
    db: DbDep,
    source: Annotated[str | None, Query(max_length=100, description="e.g. korea_kr:policy")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RunsOut:
    """Crawl runs, newest first."""
    with db.session(read_only=True) as session:
        found = list_runs(session=session, source=text_param("source", source), limit=limit)
    return RunsOut(items=[run_out(r) for r in found])


def failed_item(error: CrawlErrorRecord) -> FailedItemOut:
    # `stage` is stored by newer crawls; older records have only their kind.
    stage = getattr(error, "stage", None)
    return FailedItemOut(
        url=plain_text(error.url),
        stage=plain_text(stage) if stage else None,
        kind=plain_text(error.kind),
        reason=plain_text(error.reason),
        at=error.created_at.isoformat(),
    )


@router.get(
    "/crawls/{run_id}",
    response_model=RunDetailOut,
    responses={404: {"model": ErrorOut, "description": "No such id."}},
)
def crawl(db: DbDep, run_id: RunId) -> RunDetailOut:
    """One crawl run with its status, counts and failed items (URL, stage, reason)."""
    with db.session(read_only=True) as session:
        found = get_run(session=session, run_id=run_id)
        errors = list_errors(session=session, run_id=run_id) if found else []
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no crawl run {run_id}")
    return RunDetailOut.model_validate(found.to_json() | {"failed_items": [failed_item(e) for e in errors]})
