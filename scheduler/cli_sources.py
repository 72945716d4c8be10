"""`briefing sources list|add|enable|disable|import` and `briefing crawl --all`."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from domain.article import KST
from scheduler import output
from scheduler.backfill import BackfillReporter, Outcome, run_backfill
from scheduler.cli import Format, _crawl_with_progress, _fail, _settings, app
from scheduler.crawls import CrawlChild, CrawlTarget, crawl_options, default_window, pid_alive
from scheduler.settings import Settings
from scheduler.sources import (
    FEED,
    SourceConfig,
    SourcesError,
    SourcesFile,
    add_source,
    import_opml,
    load_sources,
    make_source,
    parse_schedule,
    resolve_name,
    set_enabled,
)
from storage import (
    Backfill,
    CrawlRun,
    Database,
    SourceBusy,
    SourceState,
    close_orphaned_runs,
    create_run,
    get_source_state,
    last_runs,
    list_errors,
    source_states,
)

sources_app = typer.Typer(
    help="Sources to crawl, from the sources file (BRIEFING_SOURCES_FILE, default ./sources.toml).",
    no_args_is_help=True,
)
app.add_typer(sources_app, name="sources")

COLUMNS = ("name", "type", "url or section", "schedule", "enabled", "last run (KST)", "state")


def _load(settings: Settings) -> SourcesFile:
    try:
        return load_sources(settings.sources_file)
    except SourcesError as exc:
        raise _fail(str(exc), 2) from exc


def _schedule(minutes: float | None, cron: str | None) -> dict[str, Any] | None:
    if minutes is not None and cron is not None:
        raise _fail("give --minutes or --cron, not both", 2)
    if minutes is not None:
        return {"minutes": minutes}
    return {"cron": cron} if cron is not None else None


def _state(run: CrawlRun | None, stored: SourceState | None) -> tuple[str, str | None]:
    """(state, reason): a feed's own state when it was checked, else what its last run says."""
    if stored is not None and stored.last_checked_at is not None:
        return stored.status, stored.error
    if run is None:
        return "-", None
    if run.status == "failed":
        return "failing", run.reason
    return "ok", None


def _when(moment: datetime | None) -> str:
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M") if moment else ""


@sources_app.command("list")
def sources_list(
    format: Annotated[Format, typer.Option(help="table or json.")] = Format.table,
) -> None:
    """List the configured sources with their schedule, last run and state (ok, dead, error).

    Example: briefing sources list --format json
    """
    settings = _settings()
    loaded = _load(settings)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            runs = last_runs(session=session)
            states = source_states(session=session, names=[s.name for s in loaded.sources])
    finally:
        db.dispose()
    rows = []
    for source in loaded.sources:
        run = runs.get(source.name)
        state, reason = _state(run, states.get(source.name))
        rows.append((source, run, state, reason))
    if format is Format.json:
        output.print_json([_json(*row, settings) for row in rows])
        return
    output.print_table(
        COLUMNS,
        [
            (
                source.name,
                source.type,
                source.url or source.section,
                source.describe_schedule(settings.schedule_minutes),
                "yes" if source.enabled else "no",
                f"{run.status} {_when(run.finished_at or run.started_at or run.created_at)}" if run else "-",
                f"{state}: {reason}" if reason else state,
            )
            for source, run, state, reason in rows
        ],
    )
    if not loaded.exists:
        typer.echo(f"({settings.sources_file} does not exist: this is the built-in default)", err=True)


def _json(source: SourceConfig, run: CrawlRun | None, state: str, reason: str | None,
          settings: Settings) -> dict[str, Any]:
    spec = source.schedule
    return {
        "name": source.name,
        "type": source.type,
        "section": source.section if source.type != FEED else None,
        "url": source.url,
        "title": source.title,
        "schedule": spec.model_dump(exclude_none=True) if spec else {"minutes": settings.schedule_minutes},
        "enabled": source.enabled,
        "last_run": None if run is None else {
            "id": run.id,
            "status": run.status,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "new": run.new,
            "failed": run.failed,
        },
        "state": state,
        "state_reason": reason,
    }


@sources_app.command("add")
def sources_add(
    name: Annotated[str, typer.Argument(help="feed:<name> (or just <name> for a feed), korea_kr:<section>.")],
    type: Annotated[str, typer.Option("--type", help="feed, korea_kr, …")] = FEED,
    url: Annotated[str | None, typer.Option(help="The feed's URL (feeds).")] = None,
    section: Annotated[str | None, typer.Option(help="The section (site sources).")] = None,
    title: Annotated[str | None, typer.Option(help="A human name, shown nowhere else.")] = None,
    minutes: Annotated[float | None, typer.Option(help="Crawl every N minutes.")] = None,
    cron: Annotated[str | None, typer.Option(help='Crawl at a crontab line (KST), e.g. "0 * * * *".')] = None,
    enabled: Annotated[bool, typer.Option("--enabled/--disabled", help="Scheduled by the service.")] = True,
) -> None:
    """Add a source to the sources file.

    Example: briefing sources add mofa --url https://www.korea.kr/rss/dept_mofa.xml --cron "0 * * * *"
    """
    settings = _settings()
    full = name if ":" in name else f"{type}:{name}"
    try:
        source = make_source(
            f"briefing sources add {name}", name=full, type=type, url=url, section=section, title=title,
            schedule=_schedule(minutes, cron), enabled=enabled,
        )
        add_source(settings.sources_file, source)
    except SourcesError as exc:
        raise _fail(str(exc), 2) from exc
    typer.echo(f"added {source.name} to {settings.sources_file}")


def _set(name: str, enabled: bool) -> None:
    settings = _settings()
    try:
        full = resolve_name(load_sources(settings.sources_file), name)
        set_enabled(settings.sources_file, full, enabled)
    except SourcesError as exc:
        raise _fail(str(exc), 2) from exc
    typer.echo(f"{full} {'enabled' if enabled else 'disabled'} in {settings.sources_file}")


@sources_app.command("enable")
def sources_enable(name: Annotated[str, typer.Argument(help="Source name, e.g. feed:mofa.")]) -> None:
    """Let the service schedule a source again.

    Example: briefing sources enable feed:mofa
    """
    _set(name, True)


@sources_app.command("disable")
def sources_disable(name: Annotated[str, typer.Argument(help="Source name, e.g. korea_kr:policy.")]) -> None:
    """Stop scheduling a source (it can still be crawled by hand).

    Example: briefing sources disable feed:mofa
    """
    _set(name, False)


@sources_app.command("import")
def sources_import(
    opml: Annotated[Path, typer.Argument(help="An OPML file (feed readers export one).", exists=True,
                                         dir_okay=False)],
    minutes: Annotated[float | None, typer.Option(help="Crawl each new feed every N minutes.")] = None,
    cron: Annotated[str | None, typer.Option(help="Crawl each new feed at a crontab line (KST).")] = None,
    enabled: Annotated[bool, typer.Option("--enabled/--disabled", help="Schedule the new feeds.")] = True,
) -> None:
    """Add every feed of an OPML file; feeds already configured are skipped.

    Example: briefing sources import subscriptions.opml --minutes 60
    """
    settings = _settings()
    try:
        spec = parse_schedule(_schedule(minutes, cron), "--minutes/--cron")
        result = import_opml(settings.sources_file, opml.read_bytes(), enabled=enabled, schedule=spec,
                             origin=str(opml))
    except SourcesError as exc:
        raise _fail(str(exc), 2) from exc
    for source in result.added:
        typer.echo(f"added {source.name} {source.url}")
    for what, why in result.skipped:
        typer.echo(f"skipped {what}: {why}")
    typer.echo(f"{len(result.added)} added, {len(result.skipped)} skipped ({settings.sources_file})")


def echo_feed_state(db: Database, name: str) -> None:
    """After a feed crawl: say when the feed is not ok (dead, error)."""
    with db.session() as session:
        state = get_source_state(session=session, name=name)
    if state is not None and state.status != "ok":
        typer.echo(f"{name} is {state.status}: {state.error}")


def crawl_all(*, since: str | None, until: str | None, base_url: str | None, profile: Path | None) -> None:
    """Every enabled source once, one after another; exit 1 when any did not succeed."""
    settings = _settings(korea_kr_base_url=base_url, profile=profile)
    enabled = _load(settings).enabled
    if not enabled:
        typer.echo(f"no enabled sources in {settings.sources_file}")
        return
    try:
        first = date.fromisoformat(since) if since else None
        last = date.fromisoformat(until) if until else None
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    db = Database(settings.database_url)
    failed = []
    try:
        for source in enabled:
            target = CrawlTarget(source.type, source.section, source.url)
            days = (source.schedule.window_days if source.schedule else None) or settings.default_window_days
            window = default_window(days)
            start, end = first or window[0], last or window[1]
            if start > end:
                raise _fail(f"--since {start} is after --until {end}", 2)
            finished = _crawl_one(db, settings, target, start, end)
            if finished is None or finished.status != "succeeded" or _feed_failed(db, target):
                failed.append(source.name)
            if finished is not None and finished.status == "interrupted":
                break  # Ctrl-C: stop here rather than start the next source
    finally:
        db.dispose()
    typer.echo(f"{len(enabled)} sources, {len(enabled) - len(failed)} succeeded"
               + (f", not succeeded: {', '.join(failed)}" if failed else ""))
    if failed:
        raise typer.Exit(1)


def _feed_failed(db: Database, target: CrawlTarget) -> bool:
    """A feed that could not be fetched or read (a dead feed is a state, not a failure)."""
    if target.kind != FEED:
        return False
    with db.session() as session:
        state = get_source_state(session=session, name=target.name)
    return state is not None and state.status == "error"


def _crawl_one(db: Database, settings: Settings, target: CrawlTarget, since: date, until: date
               ) -> CrawlRun | None:
    try:
        with db.session() as session:
            close_orphaned_runs(session=session, is_alive=pid_alive)
            run = create_run(session=session, source=target.name, trigger="manual",
                             since=since.isoformat(), until=until.isoformat())
    except SourceBusy as busy:
        typer.echo(f"{target.name}: skipped, already being crawled by run {busy.run.id} ({busy.run.status})")
        return None
    finished = asyncio.run(_crawl_with_progress(db, settings, run, crawl_options(settings, target, since,
                                                                                  until, run.id)))
    typer.echo(finished.summary())
    if target.kind == FEED:
        echo_feed_state(db, target.name)
    with db.session() as session:
        for error in list_errors(session=session, run_id=run.id)[:5]:
            typer.echo(f"  failed {error.url}: {error.reason} [{error.kind}]", err=True)
    return finished


class TerminalReporter(BackfillReporter):
    """Backfill progress: a bar over days on a terminal, one line per day either way."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runs: list[CrawlRun] = []
        self.waited_for: set[int] = set()
        self.enabled = sys.stderr.isatty()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True,
        )
        self.task: TaskID | None = None

    def say(self, line: str) -> None:
        if self.enabled:
            self.progress.console.print(line, markup=False, highlight=False)
        else:
            typer.echo(line)

    def started(self, backfill: Backfill, resumed: bool) -> None:
        window = f"{backfill.source} {backfill.since}..{backfill.until}"
        if resumed:
            self.say(f"backfill {backfill.id} of {window}: resuming from {backfill.next_day} "
                     f"({backfill.done_days} of {backfill.total_days} days done)")
        else:
            self.say(f"backfill {backfill.id} of {window}: {backfill.total_days} days, one crawl per day")
        self.task = self.progress.add_task(f"backfill {backfill.source}", total=backfill.total_days,
                                           completed=backfill.done_days)
        if self.enabled:
            self.progress.start()

    def waiting(self, busy: CrawlRun, day: date) -> None:
        if busy.id not in self.waited_for:  # once per blocking run, not at every retry
            self.waited_for.add(busy.id)
            self.say(f"{busy.source} is being crawled by run {busy.id} ({busy.status}); waiting for it "
                     f"before {day} (retry every {self.settings.backfill_retry_seconds:g}s)")

    def day_done(self, backfill: Backfill, run: CrawlRun, day: date) -> None:
        self.runs.append(run)
        if self.task is not None:
            self.progress.update(self.task, completed=backfill.done_days)
        self.say(f"  {day}: run {run.id} seen {run.seen}, new {run.new}, updated {run.updated}, "
                 f"unchanged {run.unchanged}, failed {run.failed}")

    def close(self) -> None:
        if self.enabled:
            self.progress.stop()


def crawl_backfill(settings: Settings, target: CrawlTarget, since: date, until: date) -> None:
    """`briefing crawl` over a long window: one run per day, resumable; exit 1 when a day failed."""
    db = Database(settings.database_url)
    reporter = TerminalReporter(settings)
    try:
        outcome = asyncio.run(_backfill(db, settings, target, since, until, reporter))
    finally:
        reporter.close()
        db.dispose()
    backfill, runs = outcome.backfill, reporter.runs
    counts = {k: sum(getattr(r, k) for r in runs) for k in ("new", "updated", "unchanged", "failed")}
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    if outcome.failed_run is not None or backfill.next_day is not None:
        why = f": {outcome.describe()}" if outcome.describe() else ""
        typer.echo(f"backfill {backfill.id} of {backfill.source} stopped at {backfill.next_day}{why}; "
                   f"{summary}. Run the same command again to resume from {backfill.next_day}.")
        raise typer.Exit(1)
    typer.echo(f"backfill {backfill.id} of {backfill.source} done: {backfill.total_days} days; {summary}")


async def _backfill(db: Database, settings: Settings, target: CrawlTarget, since: date, until: date,
                    reporter: TerminalReporter) -> Outcome:
    loop = asyncio.get_running_loop()
    children: list[CrawlChild] = []
    stopping: list[bool] = []

    def stop(*_: object) -> None:
        stopping.append(True)
        for child in children:
            loop.create_task(child.stop(settings.grace_seconds))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    return await run_backfill(db=db, settings=settings, target=target, since=since, until=until,
                              reporter=reporter, on_start=children.append, should_stop=lambda: bool(stopping))
