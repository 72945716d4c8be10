"""`briefing reparse`: re-run today's parsers and normalizer over the archived pages, no request sent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scheduler.cli.core import ExitCode, app, database, fail, load_renderer, load_settings, parse_days

SHOWN_FAILURES = 10


@app.command("reparse")
def reparse_command(
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Only this source (korea_kr, korea_kr:press); repeatable."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="First fetch day of the pages, YYYY-MM-DD (UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Last fetch day of the pages, YYYY-MM-DD (UTC).")] = None,
    profile: Annotated[Path | None, typer.Option(help="Site profile TOML; default BRIEFING_PROFILE.")] = None,
) -> None:
    """Re-parse the archived article pages (BRIEFING_ARCHIVE_DIR) after a parser fix.

    The newest archived copy of each page is parsed again and stored: an article whose content
    changed gets a revision and a new post, the others stay as they are, and a page that failed
    when it was crawled and parses now becomes an article. Nothing is fetched from the site.
    Press releases and fact-checks keep their stored body (it came from their attachments,
    which are not archived); every other field is re-parsed.

    Example: briefing reparse --source korea_kr --since 2026-11-01
    """
    from crawler.reparse import reparse

    settings = load_settings()
    first, last = parse_days(since, until)
    renderer = load_renderer(settings, profile)
    archive = settings.archive_path
    if not archive.is_dir():
        raise fail(f"no archive at {archive}: crawls keep their pages there (BRIEFING_ARCHIVE_DIR)",
                   ExitCode.USAGE)
    with database(settings) as db:
        result = reparse(db=db, archive_dir=str(archive), render=renderer.render,
                         sources=source or (), since=first, until=last)
    typer.echo(
        f"reparsed {result.pages} archived page(s): {result.new} new, {result.updated} changed "
        f"(a revision each), {result.unchanged} unchanged, {len(result.failed)} failed"
    )
    if result.kept_body or result.skipped:
        typer.echo(f"  {result.kept_body} kept their attachment body; {result.skipped} skipped "
                   "(never stored, their body is in attachments: crawl them)")
    for url, reason in result.failed[:SHOWN_FAILURES]:
        typer.echo(f"  failed {url}: {reason}")
    if len(result.failed) > SHOWN_FAILURES:
        typer.echo(f"  … and {len(result.failed) - SHOWN_FAILURES} more")
    if result.failed:
        raise typer.Exit(int(ExitCode.FAILED))
