"""`briefing sources list|add|enable|disable|import`: the sources file and the state of each source."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from scheduler import output
from scheduler.cli.core import (
    FORMAT_HELP,
    Format,
    database,
    kst,
    load_settings,
    sources_app,
    usage_error,
)
from scheduler.output import Column
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
from storage import CrawlRun, SourceState, last_runs, source_states

COLUMNS = (
    Column("name"),
    Column("type", drop=3),
    Column("url or section", fit="ellipsis", drop=2, min_width=16),
    Column("schedule"),
    Column("enabled", drop=1),
    Column("last run (KST)"),
    Column("state"),
    Column("reason", fit="note"),
)


def _load(settings: Settings) -> SourcesFile:
    try:
        return load_sources(settings.sources_file)
    except SourcesError as exc:
        raise usage_error(str(exc)) from None


def _schedule(minutes: float | None, cron: str | None) -> dict[str, Any] | None:
    if minutes is not None and cron is not None:
        raise usage_error("give --minutes or --cron, not both")
    if minutes is not None:
        return {"minutes": minutes}
    return {"cron": cron} if cron is not None else None


def _state(run: CrawlRun | None, stored: SourceState | None) -> tuple[str, str | None]:
    """(state, reason): the source's stored state (storage keeps it with every finished run, the
    one definition the API and /healthz read too); for a database older than that, the last run."""
    if stored is not None and stored.last_checked_at is not None:
        return stored.status, stored.error
    if run is None:
        return "-", None
    if run.status == "failed":
        return "error", run.reason
    return "ok", None


def _last_run(run: CrawlRun | None) -> str:
    if run is None:
        return "-"
    moment: datetime | None = run.finished_at or run.started_at or run.created_at
    return f"{kst(moment, '%m-%d %H:%M')} {run.status}"


@sources_app.command("list")
def sources_list(
    format: Annotated[Format, typer.Option(help=FORMAT_HELP)] = Format.table,
) -> None:
    """List the configured sources with their schedule, last run and state (ok, dead, error).

    Example: briefing sources list --format json
    """
    settings = load_settings()
    loaded = _load(settings)
    with database(settings) as db, db.session(read_only=True) as session:
        runs = last_runs(session=session)
        states = source_states(session=session, names=[s.name for s in loaded.sources])
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
                _last_run(run),
                state,
                reason or "",
            )
            for source, run, state, reason in rows
        ],
    )
    if not loaded.exists:
        typer.echo(f"({settings.sources_file} does not exist: this is the built-in default)", err=True)


def _json(
    source: SourceConfig, run: CrawlRun | None, state: str, reason: str | None, settings: Settings
) -> dict[str, Any]:
    spec = source.schedule
    return {
        "name": source.name,
        "type": source.type,
        "section": source.section if source.type != FEED else None,
        "url": source.url,
        "title": source.title,
        "schedule": spec.model_dump(exclude_none=True) if spec else {"minutes": settings.schedule_minutes},
        "enabled": source.enabled,
        "last_run": None
        if run is None
        else {
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
    settings = load_settings()
    full = name if ":" in name else f"{type}:{name}"
    try:
        source = make_source(
            f"briefing sources add {name}",
            name=full,
            type=type,
            url=url,
            section=section,
            title=title,
            schedule=_schedule(minutes, cron),
            enabled=enabled,
        )
        add_source(settings.sources_file, source)
    except SourcesError as exc:
        raise usage_error(str(exc)) from None
    typer.echo(f"added {source.name} to {settings.sources_file}")


def _set(name: str, enabled: bool) -> None:
    settings = load_settings()
    try:
        full = resolve_name(load_sources(settings.sources_file), name)
        set_enabled(settings.sources_file, full, enabled)
    except SourcesError as exc:
        raise usage_error(str(exc)) from None
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
    opml: Annotated[
        Path, typer.Argument(help="An OPML file (feed readers export one).", exists=True, dir_okay=False)
    ],
    minutes: Annotated[float | None, typer.Option(help="Crawl each new feed every N minutes.")] = None,
    cron: Annotated[str | None, typer.Option(help="Crawl each new feed at a crontab line (KST).")] = None,
    enabled: Annotated[bool, typer.Option("--enabled/--disabled", help="Schedule the new feeds.")] = True,
) -> None:
    """Add every feed of an OPML file; feeds already configured are skipped.

    Example: briefing sources import subscriptions.opml --minutes 60
    """
    settings = load_settings()
    try:
        spec = parse_schedule(_schedule(minutes, cron), "--minutes/--cron")
        result = import_opml(
            settings.sources_file, opml.read_bytes(), enabled=enabled, schedule=spec, origin=str(opml)
        )
    except SourcesError as exc:
        raise usage_error(str(exc)) from None
    for source in result.added:
        typer.echo(f"added {source.name} {source.url}")
    for what, why in result.skipped:
        typer.echo(f"skipped {what}: {why}")
    typer.echo(f"{len(result.added)} added, {len(result.skipped)} skipped ({settings.sources_file})")
