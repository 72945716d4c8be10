"""GET /healthz (is the service doing its job) and GET /metrics (Prometheus)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from crawler.posts.sanitize import plain_text
from scheduler.api.deps import CrawlsDep, DbDep, ScheduleDep
from scheduler.api.prometheus import MEDIA_TYPE, render
from scheduler.api.schemas import HealthOut, SourceHealth, run_out
from storage import CrawlRun, SourceState, last_runs, source_states
from storage.stats import article_counts, ping, run_stats

logger = logging.getLogger(__name__)
router = APIRouter(tags=["service"])

# Source states that mean the source is not being crawled as it should: its last run reached
# nothing (error), its pages no longer parse (drift), or a feed is gone (dead).
FAILING_STATES = frozenset({"error", "drift", "dead"})


def _state_of(name: str, states: Mapping[str, SourceState]) -> SourceState | None:
    """The stored state of a crawl target (`korea_kr:policy`), or else of its site (`korea_kr`)."""
    return states.get(name) or states.get(name.split(":", 1)[0])


def source_problems(scheduled: set[str], states: Mapping[str, SourceState]) -> list[str]:
    """One line per enabled (scheduled) source whose state is failing, naming it and why."""
    problems = []
    for name in sorted(scheduled):
        state = _state_of(name, states)
        if state is not None and state.status in FAILING_STATES:
            reason = plain_text(state.error or "") or "no reason recorded"
            problems.append(f"source {name} is in state {state.status}: {reason}")
    return problems


@router.get(
    "/healthz",
    response_model=HealthOut,
    responses={
        503: {
            "model": HealthOut,
            "description": "The database or the scheduler is down, or an enabled source is failing; "
            "`problems` says which and why.",
        }
    },
)
def healthz(db: DbDep, crawls: CrawlsDep, schedule: ScheduleDep) -> Any:
    """Is the database reachable, the schedule running and every enabled source working."""
    database, last, states = True, dict[str, CrawlRun](), dict[str, SourceState]()
    try:
        with db.session(read_only=True) as session:
            ping(session=session)
            last, states = last_runs(session=session), source_states(session=session)
    except Exception:
        logger.exception("health check: database unreachable")
        database = False
    next_times = schedule.next_run_times()
    next_runs = {name: when.isoformat() for name, when in next_times.items() if when}
    sources = {}
    for name in sorted(set(last) | set(next_times)):
        state = _state_of(name, states)
        sources[name] = SourceHealth(
            last_run=run_out(last[name]) if name in last else None,
            next_run_at=next_runs.get(name),
            state=state.status if state else None,
            state_reason=plain_text(state.error) if state and state.error else None,
        )
    problems = [] if database else ["the database is unreachable"]
    if not schedule.running:
        problems.append("the crawl schedule is not running")
    problems += source_problems(set(next_times), states)
    result = HealthOut(
        status="degraded" if problems else "ok",
        database=database,
        scheduler=schedule.running,
        active_runs=crawls.active_run_ids,
        sources=sources,
        problems=problems,
    )
    if not problems:
        return result
    return JSONResponse(status_code=503, content=result.model_dump(mode="json"))


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4."}},
)
def metrics(db: DbDep, crawls: CrawlsDep, schedule: ScheduleDep) -> Response:
    """Runs, failures, articles and last success time per source, for Prometheus."""
    with db.session(read_only=True) as session:
        runs, counts = run_stats(session=session), article_counts(session=session)
        states = {name: state.status for name, state in source_states(session=session).items()}
    text = render(runs, counts, active=crawls.active_run_ids, scheduler_running=schedule.running,
                  states=states)
    return Response(text, media_type=MEDIA_TYPE)
