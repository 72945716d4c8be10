"""`briefing posts rebuild` and `briefing export`: stored articles rendered as Jekyll posts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer

from crawler.posts.export import ExportError, ExportItem, export_posts, skipped_report
from crawler.posts.render import PostRenderer
from domain.article import KST
from scheduler.cli import _fail, _settings, app
from storage import ArticleFilter, Database, iter_articles, set_post

REBUILD_BATCH = 200

posts_app = typer.Typer(help="Rendered posts.", no_args_is_help=True)
app.add_typer(posts_app, name="posts")


def _renderer(profile: Path | None) -> PostRenderer:
    settings = _settings()
    try:
        return PostRenderer.from_path(profile or settings.profile)
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot load profile: {exc}", 2) from exc


def day_window(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """KST days [since, until] as aware datetimes [start, end), for storage filters."""
    try:
        first = date.fromisoformat(since) if since else None
        last = date.fromisoformat(until) if until else None
    except ValueError as exc:
        raise _fail(f"dates are YYYY-MM-DD: {exc}", 2) from exc
    start = datetime.combine(first, time(), KST) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), KST) if last else None
    return start, end


@posts_app.command("rebuild")
def posts_rebuild(
    profile: Annotated[
        Path | None, typer.Option(help="Site profile TOML (default: BRIEFING_PROFILE).")
    ] = None,
) -> None:
    """Re-render every stored post with the current profile.

    Example: BRIEFING_PROFILE=profiles/myblog.toml briefing posts rebuild
    """
    renderer = _renderer(profile)
    db = Database(_settings().database_url)
    changed = unchanged = 0
    with db.session(read_only=True) as session:
        stored_articles = list(iter_articles(session=session))
    # Render outside any transaction and write in short batches: a crawl writing at the same
    # time waits for one batch, never for the whole rebuild.
    for start in range(0, len(stored_articles), REBUILD_BATCH):
        batch = stored_articles[start : start + REBUILD_BATCH]
        rendered = [(s.id, *renderer.render(s.article)) for s in batch]
        with db.session() as session:
            for article_id, text, digest in rendered:
                if set_post(session=session, article_id=article_id, text=text, digest=digest):
                    changed += 1
                else:
                    unchanged += 1
    typer.echo(f"posts rebuilt: {changed} changed, {unchanged} unchanged")


@app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="Jekyll site directory; posts go to OUT/_posts.")],
    since: Annotated[str | None, typer.Option(help="First publication day, YYYY-MM-DD (KST).")] = None,
    until: Annotated[str | None, typer.Option(help="Last publication day, YYYY-MM-DD (KST).")] = None,
    profile: Annotated[
        Path | None, typer.Option(help="Site profile TOML (default: BRIEFING_PROFILE).")
    ] = None,
    all_licenses: Annotated[
        bool, typer.Option("--all-licenses", help="Also export articles not under KOGL type 1.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="List each skipped article and why.")] = False,
) -> None:
    """Write stored articles as Jekyll posts; only new or changed files are written.

    Example: briefing export --out ~/blog --since 2026-11-01
    """
    renderer = _renderer(profile)
    start, end = day_window(since, until)
    db = Database(_settings().database_url)
    with db.session(read_only=True) as session:
        items = [
            ExportItem(
                source=s.source,
                external_id=s.article.external_id,
                post=renderer.post(s.article),
                license_type=s.article.license_type,
                embargo_until=s.article.embargo_until,
            )
            for s in iter_articles(session=session, where=ArticleFilter(since=start, until=end))
        ]
    try:
        result = export_posts(reversed(items), out, all_licenses=all_licenses, now=datetime.now(UTC))
    except ExportError as exc:
        raise _fail(f"export: {exc}", 1) from exc
    counts = f"{result.written} written, {result.unchanged} unchanged, {result.skipped} skipped"
    if result.removed:
        counts += f", {result.removed} old file(s) of retitled articles removed"
    typer.echo(f"exported to {out / '_posts'}: {counts}")
    for line in skipped_report(result.skipped_items, verbose=verbose):
        typer.echo(line)
