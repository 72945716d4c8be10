"""The `briefing` command line: thin commands over storage and the crawl launcher."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from scheduler import output
from scheduler.crawls import CrawlChild, crawl_options, default_window, execute_run, pid_alive
from scheduler.settings import Settings
from scheduler.targets import parse_target
from storage import (
    CrawlRun,
    Database,
    SourceBusy,
    close_orphaned_runs,
    create_run,
    get_article,
    list_articles,
    list_errors,
    list_runs,
)

app = typer.Typer(
    help="briefing: crawl 정책브리핑 (korea.kr) and feeds into a database and Jekyll posts.",
    no_args_is_help=True,
    add_completion=False,
)
articles_app = typer.Typer(help="Query stored articles.", no_args_is_help=True)
app.add_typer(articles_app, name="articles")


class Format(StrEnum):
    table = "table"
    json = "json"


class ShowFormat(StrEnum):
    json = "json"
    md = "md"


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"briefing: {message}", err=True)
    return typer.Exit(code)


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
    if all_sources:
        from scheduler.cli_sources import crawl_all

        if source:
            raise _fail("give a source or --all, not both", 2)
        return crawl_all(since=since, until=until, base_url=base_url, profile=profile)
    if source is None:
        raise _fail("name a source (korea_kr:policy, feed:<name>; see `briefing sources list`) or --all", 2)
    if via:
        from scheduler.cli_service import crawl_via

        return crawl_via(via, source, section, since, until)
    settings = _settings(korea_kr_base_url=base_url, profile=profile)
    try:
        target = parse_target(source, section, settings=settings)
        window = default_window(settings.default_window_days)
        first = date.fromisoformat(since) if since else window[0]
        last = date.fromisoformat(until) if until else window[1]
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    if first > last:
        raise _fail(f"--since {first} is after --until {last}", 2)
    from scheduler.backfill import wants_backfill

    try:
        day_by_day = wants_backfill(target, first, last, backfill)
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    if day_by_day:
        from scheduler.cli_sources import crawl_backfill

        return crawl_backfill(settings, target, first, last)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            close_orphaned_runs(session=session, is_alive=pid_alive)
            run = create_run(
                session=session,
                source=target.name,
                trigger="manual",
                since=first.isoformat(),
                until=last.isoformat(),
            )
    except SourceBusy as busy:
        raise _fail(
            f"{busy.run.source} is already being crawled by run {busy.run.id} ({busy.run.status}); "
            "wait for it to end (see `briefing runs`)"
        ) from None
    options = crawl_options(settings, target, first, last, run.id)
    finished = asyncio.run(_crawl_with_progress(db, settings, run, options))
    typer.echo(finished.summary())
    if target.kind == "feed":
        from scheduler.cli_sources import echo_feed_state

        echo_feed_state(db, target.name)
    with db.session(read_only=True) as session:
        for error in list_errors(session=session, run_id=run.id)[:20]:
            typer.echo(f"  failed {error.url}: {error.reason} [{error.kind}]", err=True)
    db.dispose()
    if finished.status != "succeeded":
        from crawler.protocol import cli_exit_code

        raise typer.Exit(cli_exit_code(finished.status, finished.exit_code))


async def _crawl_with_progress(db: Database, settings: Settings, run: CrawlRun, options: object) -> CrawlRun:
    from crawler.protocol import CrawlOptions

    assert isinstance(options, CrawlOptions)
    loop = asyncio.get_running_loop()
    children: list[CrawlChild] = []

    def stop(*_: object) -> None:
        for child in children:
            loop.create_task(child.stop(settings.grace_seconds))

    # The child runs in its own session: a Ctrl-C reaches us and we stop it gracefully.
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    with output.CrawlProgress(f"{run.source} {options.since}..{options.until}") as bar:
        return await execute_run(
            db=db,
            settings=settings,
            run=run,
            options=options,
            on_event=bar.on_event,
            on_start=children.append,
        )


@articles_app.command("list")
def articles_list(
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many, newest first.")] = 20,
    format: Annotated[Format, typer.Option(help="table or json.")] = Format.table,
) -> None:
    """List stored articles, newest first.

    Example: briefing articles list --limit 5 --format json
    """
    db = Database(_settings().database_url)
    with db.session(read_only=True) as session:
        page = list_articles(session=session, limit=limit)
    if format is Format.json:
        output.print_json([item.to_json() for item in page.items])
    else:
        output.print_table(output.ARTICLE_COLUMNS, output.article_rows(page.items))


@articles_app.command("show")
def articles_show(
    article_id: Annotated[int, typer.Argument(help="Article id (see `briefing articles list`).")],
    format: Annotated[ShowFormat, typer.Option(help="json, or md for the rendered post.")] = ShowFormat.json,
) -> None:
    """Show one stored article.

    Example: briefing articles show 12 --format md
    """
    db = Database(_settings().database_url)
    with db.session(read_only=True) as session:
        stored = get_article(session=session, article_id=article_id)
    if stored is None:
        raise _fail(f"no article with id {article_id}")
    if format is ShowFormat.md:
        sys.stdout.write(stored.post_text or "")
    else:
        output.print_json(stored.to_json())


@app.command()
def runs(
    source: Annotated[
        str | None, typer.Option(help="Only runs of this source, e.g. korea_kr:policy.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    format: Annotated[Format, typer.Option(help="table or json.")] = Format.table,
) -> None:
    """List crawl runs, newest first.

    Example: briefing runs --source korea_kr:policy
    """
    db = Database(_settings().database_url)
    with db.session(read_only=True) as session:
        found = list_runs(session=session, source=source, limit=limit)
    if format is Format.json:
        output.print_json([r.to_json() for r in found])
        return
    output.print_table(
        ("id", "source", "status", "started", "seen", "new", "updated", "unchanged", "failed", "reason"),
        [
            (
                r.id,
                r.source,
                r.status,
                r.started_at.strftime("%Y-%m-%d %H:%M:%S") if r.started_at else "",
                r.seen,
                r.new,
                r.updated,
                r.unchanged,
                r.failed,
                r.reason or "",
            )
            for r in found
        ],
    )


def register_commands() -> typer.Typer:
    """The whole command tree: command modules register themselves on `app` when imported."""
    import scheduler.cli_db  # noqa: F401
    import scheduler.cli_posts  # noqa: F401
    import scheduler.cli_service  # noqa: F401
    import scheduler.cli_sources  # noqa: F401

    return app


def main() -> None:
    register_commands()()
