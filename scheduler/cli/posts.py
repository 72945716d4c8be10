"""`briefing posts rebuild` and `briefing export`: stored articles rendered as Jekyll posts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from crawler.posts.export import ExportError, ExportItem, export_posts, skipped_report
from scheduler.cli.core import (
    app,
    database,
    fail,
    kst_range,
    load_renderer,
    load_settings,
    parse_days,
    posts_app,
)
from storage import ArticleFilter, iter_articles, set_post

REBUILD_BATCH = 200
PROFILE_HELP = "Site profile TOML (default: BRIEFING_PROFILE)."


@posts_app.command("rebuild")
def posts_rebuild(
    profile: Annotated[Path | None, typer.Option(help=PROFILE_HELP)] = None,
) -> None:
    """Re-render every stored post with the current profile.

    Example: BRIEFING_PROFILE=profiles/myblog.toml briefing posts rebuild
    """
    settings = load_settings()
    renderer = load_renderer(settings, profile)
    changed = unchanged = 0
    with database(settings) as db:
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
    profile: Annotated[Path | None, typer.Option(help=PROFILE_HELP)] = None,
    all_licenses: Annotated[
        bool, typer.Option("--all-licenses", help="Also export articles not under KOGL type 1.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="List each skipped article and why.")] = False,
) -> None:
    """Write stored articles as Jekyll posts; only new or changed files are written.

    Example: briefing export --out ~/blog --since 2026-11-01
    """
    from crawler.posts.images import localize
    from scheduler.publish import image_store

    start, end = kst_range(*parse_days(since, until))
    settings = load_settings()
    renderer = load_renderer(settings, profile)
    # The profile's local_images: the pictures are copied into OUT, as `briefing publish` does.
    images = image_store(renderer.profile, out, [str(n) for n in settings.allowed_private_networks])
    with database(settings) as db, db.session(read_only=True) as session:
        items = []
        for stored in iter_articles(session=session, where=ArticleFilter(since=start, until=end)):
            article = stored.article
            post = renderer.post(article)
            if images is not None:
                post = localize(post, article, renderer.profile, images)
            items.append(ExportItem(source=stored.source, external_id=article.external_id, post=post,
                                    license_type=article.license_type, embargo_until=article.embargo_until))
    if images is not None:
        images.save_index()
    try:
        result = export_posts(reversed(items), out, all_licenses=all_licenses, now=datetime.now(UTC))
    except ExportError as exc:
        raise fail(f"export: {exc}") from exc
    counts = f"{result.written} written, {result.unchanged} unchanged, {result.skipped} skipped"
    if result.removed:
        counts += f", {result.removed} old file(s) of retitled articles removed"
    typer.echo(f"exported to {out / '_posts'}: {counts}")
    if images is not None and images.written:
        typer.echo(f"images: {len(images.written)} copied into {images.folder}")
    for line in skipped_report(result.skipped_items, verbose=verbose):
        typer.echo(line)
