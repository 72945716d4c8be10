"""`briefing crawl`: one source once, every enabled source (`--all`), a long window day by day
(backfill), or a crawl asked of a running service (`--via`)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

import httpx
import typer

from crawler.protocol import CrawlOptions
from scheduler import output
from scheduler.backfill import Outcome, run_backfill, wants_backfill
from scheduler.cli.core import (
    ExitCode,
    app,
    check_order,
    database,
    exit_code_of,
    fail,
    load_renderer,
    load_settings,
    parse_day,
    usage_error,
)
from scheduler.crawls import (
    CrawlChild,
    CrawlTarget,
    crawl_options,
    default_window,
    execute_run,
    pid_alive,
)
from scheduler.settings import Settings
from scheduler.sources import FEED, SourcesError, load_sources
from scheduler.targets import parse_target
from storage import (
    CrawlRun,
    Database,
    SourceBusy,
    close_orphaned_runs,
    create_run,
    get_source_state,
    list_errors,
)

T = TypeVar("T")
ERRORS_SHOWN = 20  # failed items printed after a run; `briefing runs ID` lists them all


@app.command()
def crawl(
    source: Annotated[
        str | None, typer.Argument(help="Source to crawl: korea_kr, korea_kr:<section> or feed:<name>.")
    ] = None,
    section: Annotated[str | None, typer.Option(help="Section of the source, e.g. policy.")] = None,
    since: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (default: 2 days ago, KST).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (default: today, KST).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Site base URL (BRIEFING_KOREA_KR_BASE_URL).")] = None,
    profile: Annotated[Path | None, typer.Option(help="Site profile TOML for rendered posts.")] = None,
    via: Annotated[str | None, typer.Option(help="Trigger a running service: http://127.0.0.1:8080")] = None,
    all_sources: Annotated[
        bool, typer.Option("--all", help="Crawl every enabled source of the sources file once.")
    ] = False,
    backfill: Annotated[
        bool | None,
        typer.Option(
            "--backfill/--no-backfill",
            help="Walk the window day by day, resumable (default: for windows over 7 days).",
        ),
    ] = None,
) -> None:
    """Crawl one source once and store what it finds.

    Example: briefing crawl korea_kr --section policy --since 2026-11-20 --until 2026-11-22
    """
    first, last = parse_day("--since", since), parse_day("--until", until)
    check_order(first, last)
    if all_sources:
        if source:
            raise usage_error("give a source or --all, not both")
        return crawl_all(first, last, base_url=base_url, profile=profile)
    if source is None:
        raise usage_error(
            "name a source (korea_kr:policy, feed:<name>; see `briefing sources list`) or --all"
        )
    if via:
        return crawl_via(via, source, section, first, last)
    settings = load_settings(korea_kr_base_url=base_url, profile=profile)
    load_renderer(settings, profile)  # a bad profile is refused now, not by the crawl child
    target = _target(source, section, settings)
    first, last = _window(first, last, settings.default_window_days)
    try:
        day_by_day = wants_backfill(target, first, last, backfill)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    with database(settings) as db:
        if day_by_day:
            code = crawl_backfill(db, settings, target, first, last)
        else:
            finished = crawl_once(db, settings, target, first, last)
            code = exit_code_of(finished.status, finished.exit_code) if finished else ExitCode.FAILED
    raise typer.Exit(code)


def _target(source: str, section: str | None, settings: Settings | None = None) -> CrawlTarget:
    try:
        return parse_target(source, section, settings=settings)
    except ValueError as exc:  # unknown source, section or feed: the message names it
        raise usage_error(str(exc)) from None


def _window(first: date | None, last: date | None, days: int) -> tuple[date, date]:
    """The days to crawl: the options, else the last `days` days (KST)."""
    default_first, default_last = default_window(days)
    first, last = first or default_first, last or default_last
    check_order(first, last)
    return first, last


# --- one run -----------------------------------------------------------------------------------


def crawl_once(
    db: Database,
    settings: Settings,
    target: CrawlTarget,
    first: date,
    last: date,
    *,
    errors_shown: int = ERRORS_SHOWN,
) -> CrawlRun | None:
    """Record a run, crawl in a child with a progress bar, print its summary and failed items.

    None when another crawl of the source holds it (said on stderr).
    """
    run = _start_run(db, target, first, last)
    if run is None:
        return None
    options = crawl_options(settings, target, first, last, run.id)
    finished = _with_signals(
        settings, lambda children: _crawl_with_progress(db, settings, run, options, children)
    )
    typer.echo(finished.summary())
    if target.kind == FEED:
        echo_feed_state(db, target.name)
    _echo_errors(db, run.id, errors_shown)
    return finished


def _start_run(db: Database, target: CrawlTarget, first: date, last: date) -> CrawlRun | None:
    try:
        with db.session() as session:
            close_orphaned_runs(session=session, is_alive=pid_alive)
            return create_run(
                session=session,
                source=target.name,
                trigger="manual",
                since=first.isoformat(),
                until=last.isoformat(),
            )
    except SourceBusy as busy:
        typer.echo(
            f"briefing: {busy.run.source} is already being crawled by run {busy.run.id} ({busy.run.status}); "
            "wait for it to end (see `briefing runs`)",
            err=True,
        )
        return None


async def _crawl_with_progress(
    db: Database, settings: Settings, run: CrawlRun, options: CrawlOptions, children: list[CrawlChild]
) -> CrawlRun:
    with output.CrawlProgress(f"{run.source} {options.since}..{options.until}") as bar:
        return await execute_run(
            db=db,
            settings=settings,
            run=run,
            options=options,
            on_event=bar.on_event,
            on_start=children.append,
        )


def _with_signals(
    settings: Settings, work: Callable[[list[CrawlChild]], Awaitable[T]], stopping: list[bool] | None = None
) -> T:
    """Run `work` in an event loop where Ctrl-C and SIGTERM stop its crawl children gracefully."""

    async def main() -> T:
        loop = asyncio.get_running_loop()
        children: list[CrawlChild] = []

        def stop(*_: object) -> None:
            if stopping is not None:
                stopping.append(True)
            for child in children:
                loop.create_task(child.stop(settings.grace_seconds))

        # The child runs in its own session: a Ctrl-C reaches us and we stop it gracefully.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        return await work(children)

    return asyncio.run(main())


def _echo_errors(db: Database, run_id: int, limit: int) -> None:
    with db.session(read_only=True) as session:
        errors = list_errors(session=session, run_id=run_id)
    for error in errors[:limit]:
        typer.echo(f"  failed {error.url}: {error.reason} [{error.kind}]", err=True)
    if len(errors) > limit:
        typer.echo(f"  … and {len(errors) - limit} more: briefing runs {run_id}", err=True)


def echo_feed_state(db: Database, name: str) -> None:
    """After a feed crawl: say when the feed is not ok (dead, error)."""
    with db.session(read_only=True) as session:
        state = get_source_state(session=session, name=name)
    if state is not None and state.status != "ok":
        typer.echo(f"{name} is {state.status}: {state.error}")


# --- every enabled source ----------------------------------------------------------------------


def crawl_all(first: date | None, last: date | None, *, base_url: str | None, profile: Path | None) -> None:
    """Every enabled source once, one after another; exit 1 when any did not succeed."""
    settings = load_settings(korea_kr_base_url=base_url, profile=profile)
    load_renderer(settings, profile)
    try:
        enabled = load_sources(settings.sources_file).enabled
    except SourcesError as exc:
        raise usage_error(str(exc)) from None
    if not enabled:
        typer.echo(f"no enabled sources in {settings.sources_file}")
        return
    failed: list[str] = []
    interrupted = False
    with database(settings) as db:
        for source in enabled:
            target = CrawlTarget(source.type, source.section, source.url)
            days = (source.schedule.window_days if source.schedule else None) or settings.default_window_days
            start, end = _window(first, last, days)
            finished = crawl_once(db, settings, target, start, end, errors_shown=5)
            if finished is None or finished.status != "succeeded" or _feed_failed(db, target):
                failed.append(source.name)
            if finished is not None and finished.status == "interrupted":
                interrupted = True
                break  # Ctrl-C: stop here rather than start the next source
    typer.echo(
        f"{len(enabled)} sources, {len(enabled) - len(failed)} succeeded"
        + (f", not succeeded: {', '.join(failed)}" if failed else "")
    )
    if failed:
        raise typer.Exit(ExitCode.INTERRUPTED if interrupted else ExitCode.FAILED)


def _feed_failed(db: Database, target: CrawlTarget) -> bool:
    """A feed that could not be fetched or read (a dead feed is a state, not a failure)."""
    if target.kind != FEED:
        return False
    with db.session(read_only=True) as session:
        state = get_source_state(session=session, name=target.name)
    return state is not None and state.status == "error"


# --- a long window, day by day -----------------------------------------------------------------


def crawl_backfill(
    db: Database, settings: Settings, target: CrawlTarget, since: date, until: date
) -> ExitCode:
    """One run per day, resumable; the exit code says whether every day succeeded."""
    reporter = output.BackfillProgress(settings.backfill_retry_seconds)
    stopping: list[bool] = []

    async def work(children: list[CrawlChild]) -> Outcome:
        return await run_backfill(
            db=db,
            settings=settings,
            target=target,
            since=since,
            until=until,
            reporter=reporter,
            on_start=children.append,
            should_stop=lambda: bool(stopping),
        )

    try:
        outcome = _with_signals(settings, work, stopping)
    finally:
        reporter.stop()
    backfill, runs = outcome.backfill, reporter.runs
    counts = {k: sum(getattr(r, k) for r in runs) for k in ("new", "updated", "unchanged", "failed")}
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    if outcome.ok:
        typer.echo(f"backfill {backfill.id} of {backfill.source} done: {backfill.total_days} days; {summary}")
        return ExitCode.OK
    why = f": {outcome.describe()}" if outcome.describe() else ""
    typer.echo(
        f"backfill {backfill.id} of {backfill.source} stopped at {backfill.next_day}{why}; "
        f"{summary}. Run the same command again to resume from {backfill.next_day}."
    )
    return ExitCode.INTERRUPTED if stopping else ExitCode.FAILED


# --- through a running service -----------------------------------------------------------------


def crawl_via(
    service_url: str, source: str, section: str | None, first: date | None, last: date | None
) -> None:
    """Ask a running service to crawl (POST /crawls) and print the new run's id."""
    target = _target(source, section)
    body: dict[str, str] = {"source": target.name}
    for name, value in (("since", first), ("until", last)):
        if value:
            body[name] = value.isoformat()
    parts = urlsplit(service_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise usage_error(
            f"--via {service_url}: not an http(s) URL; give the service's address, e.g. http://127.0.0.1:8080"
        )
    token = load_settings().api_token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(service_url.rstrip("/") + "/crawls", json=body, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise fail(f"cannot reach the service at {service_url}: {exc}") from None
    if response.status_code == 202:
        typer.echo(f"run {response.json()['run_id']} started ({target.name}); watch it: briefing runs")
        return
    if response.status_code == 409:
        raise fail(f"{target.name} is already being crawled: run {response.json().get('run_id')}")
    if response.status_code == 401:
        raise fail("the service wants a token: set BRIEFING_API_TOKEN to its token")
    raise fail(f"the service answered {response.status_code}: {_detail(response)}")


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:500]
    return str(data.get("detail", data)) if isinstance(data, dict) else str(data)
