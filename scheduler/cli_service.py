"""`briefing run`, `briefing articles search` and `briefing crawl --via`: the service's CLI side."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated

import httpx
import typer

from domain.article import KST
from scheduler import output
from scheduler.cli import _fail, _settings, app, articles_app
from scheduler.targets import parse_target
from storage import ArticleFilter, Database, StoredArticle, list_articles


class SearchFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


@app.command()
def run(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (BRIEFING_HOST; default 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Port (BRIEFING_PORT; default 8080).")
    ] = None,
) -> None:
    """Run the service: scheduled crawls and the HTTP API (OpenAPI at /docs) until SIGTERM/SIGINT.

    Example: BRIEFING_API_TOKEN=secret briefing run --host 0.0.0.0 --port 8080
    """
    from scheduler import service  # uvicorn and APScheduler load only for this command

    settings = _settings(host=host, port=port)
    error = settings.bind_error()
    if error:
        raise _fail(error, 2)
    raise typer.Exit(service.main(settings))


def _day(name: str, value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise _fail(f"--{name} must be YYYY-MM-DD, got {value!r}", 2) from exc


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
    first, last = _day("since", since), _day("until", until)
    where = ArticleFilter(
        query=text,
        ministry=ministry,
        source=source,
        since=datetime.combine(first, time(), KST) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), KST) if last else None,
    )
    db = Database(_settings().database_url)
    with db.session(read_only=True) as session:
        page = list_articles(session=session, where=where, limit=limit)
    db.dispose()
    if format is SearchFormat.json:
        output.print_json([item.to_json() for item in page.items])
    elif format is SearchFormat.md:
        sys.stdout.write("".join(markdown_line(item) + "\n" for item in page.items))
    else:
        output.print_table(output.ARTICLE_COLUMNS, output.article_rows(page.items))


def markdown_line(stored: StoredArticle) -> str:
    """`- 2026-11-20 09:00 [title](url) — ministry` with Markdown link text escaped."""
    a = stored.article
    title = a.title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    who = f" — {a.ministry}" if a.ministry else ""
    return f"- {a.published_at.astimezone(KST):%Y-%m-%d %H:%M} [{title}]({a.url}){who}"


def crawl_via(
    service_url: str, source: str, section: str | None, since: str | None, until: str | None
) -> None:
    """Ask a running service to crawl (POST /crawls) and print the new run's id."""
    try:
        target = parse_target(source, section)
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    body: dict[str, str] = {"source": target.name}
    for name, value in (("since", since), ("until", until)):
        if value:
            body[name] = value
    token = _settings().api_token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(service_url.rstrip("/") + "/crawls", json=body, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise _fail(f"cannot reach the service at {service_url}: {exc}") from exc
    detail = _detail(response)
    if response.status_code == 202:
        typer.echo(f"run {response.json()['run_id']} started ({target.name}); watch it: briefing runs")
        return
    if response.status_code == 409:
        raise _fail(f"{target.name} is already being crawled: run {response.json().get('run_id')}")
    if response.status_code == 401:
        raise _fail("the service wants a token: set BRIEFING_API_TOKEN to its token")
    raise _fail(f"the service answered {response.status_code}: {detail}")


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:500]
    return str(data.get("detail", data)) if isinstance(data, dict) else str(data)
