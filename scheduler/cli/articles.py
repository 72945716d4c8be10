"""`briefing articles list|show|search`: stored articles, read-only."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from domain.article import KST
from scheduler import output
from scheduler.cli.core import (
    FORMAT_HELP,
    Format,
    articles_app,
    database,
    fail,
    kst_range,
    load_settings,
    parse_days,
)
from scheduler.safe import safe_article, safe_url
from scheduler.safe import text as plain
from storage import ArticleFilter, StoredArticle, get_article, list_articles


class ShowFormat(StrEnum):
    json = "json"
    md = "md"


class SearchFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


@articles_app.command("list")
def articles_list(
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many, newest first.")] = 20,
    format: Annotated[Format, typer.Option(help=FORMAT_HELP)] = Format.table,
) -> None:
    """List stored articles, newest first.

    Example: briefing articles list --limit 5 --format json
    """
    with database(load_settings()) as db, db.session(read_only=True) as session:
        page = list_articles(session=session, limit=limit)
    if format is Format.json:
        output.print_json([safe_article(item) for item in page.items])
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
    with database(load_settings()) as db, db.session(read_only=True) as session:
        stored = get_article(session=session, article_id=article_id)
    if stored is None:
        raise fail(f"no article with id {article_id} (see `briefing articles list`)")
    if format is ShowFormat.md:
        sys.stdout.write(stored.post_text or "")
    else:
        output.print_json(safe_article(stored))


@articles_app.command("search")
def articles_search(
    text: Annotated[str, typer.Argument(help="Words to find; Korean words match inside longer words.")],
    ministry: Annotated[str | None, typer.Option(help="Only this ministry (exact name).")] = None,
    since: Annotated[str | None, typer.Option(help="First publication day, YYYY-MM-DD (KST).")] = None,
    until: Annotated[
        str | None, typer.Option(help="Last publication day, YYYY-MM-DD (KST), inclusive.")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only this site, e.g. korea_kr.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many, newest first.")] = 20,
    format: Annotated[
        SearchFormat, typer.Option(help="table, json, or md (a Markdown list).")
    ] = SearchFormat.table,
) -> None:
    """Search stored articles, newest first (the same search as GET /articles?q=).

    Example: briefing articles search 예산 --ministry 기획재정부 --since 2026-11-01 --format json
    """
    start, end = kst_range(*parse_days(since, until))
    where = ArticleFilter(query=text, ministry=ministry, source=source, since=start, until=end)
    with database(load_settings()) as db, db.session(read_only=True) as session:
        page = list_articles(session=session, where=where, limit=limit)
    if format is SearchFormat.json:
        output.print_json([safe_article(item) for item in page.items])
    elif format is SearchFormat.md:
        sys.stdout.write("".join(markdown_line(item) + "\n" for item in page.items))
    else:
        output.print_table(output.ARTICLE_COLUMNS, output.article_rows(page.items))


def markdown_line(stored: StoredArticle) -> str:
    """`- 2026-11-20 09:00 KST [title](url) — ministry` with Markdown link text escaped."""
    a = stored.article
    title = plain(a.title).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    who = f" — {plain(a.ministry)}" if a.ministry else ""
    return f"- {a.published_at.astimezone(KST):%Y-%m-%d %H:%M} KST [{title}]({safe_url(a.url)}){who}"
