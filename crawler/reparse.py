"""Re-parse the archived pages (crawler.archive) with today's parsers, without a request to the site.

After a parser or normalizer fix, `reparse` reads the newest archived copy of each article page
in the window, parses it as the crawl did, and upserts the result: storage's merge rules and
content hash add a revision only to the articles whose content changed, and their posts are
rendered again. A page that failed when it was crawled (e.g. a layout the parser did not know
yet) and parses now becomes a new article.

Press releases and fact-checks take their body from the document viewer, the attachments or the
list row, which are not archived: their page is re-parsed for every other field and the stored
body is kept (`kept_body`); one never stored and without a body in its page is skipped
(`skipped`), since only a crawl can fetch its attachments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from crawler.archive import ArchivedPage, read_pages
from crawler.errors import CrawlError
from crawler.sites import korea_kr
from crawler.sites.korea_kr_press import inline_body
from domain.article import Article
from domain.text import clean_article, decoding_damage
from storage import Database, upsert_articles
from storage.articles import find_article, store_posts

BATCH = 200
# The sections whose body the crawl takes from outside the page (crawler/spiders/korea_kr.py).
DOCUMENT_SECTIONS = frozenset({"press", "fact"})
Renderer = Callable[[Article], tuple[str, str]]


@dataclass(slots=True)
class ReparseResult:
    pages: int = 0  # archived pages in the window (the newest copy of each article)
    new: int = 0
    updated: int = 0  # articles whose content changed: each got a revision
    unchanged: int = 0
    kept_body: int = 0  # document-bodied articles: page fields re-parsed, stored body kept
    skipped: int = 0  # document-bodied articles never stored: their body needs a crawl
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, "kind: reason")


def _key(page: ArchivedPage) -> tuple[str, str]:
    return page.site, page.canonical_url


def newest_pages(
    directory: str, *, sources: Sequence[str], since: date | None, until: date | None
) -> Iterable[ArchivedPage]:
    """Each article's newest archived copy in the window; two passes, so only one page is in
    memory at a time however large the archive."""
    newest: dict[tuple[str, str], datetime] = {}
    for page in read_pages(directory, sources=sources, since=since, until=until):
        if page.status == 200 and page.canonical_url:
            newest[_key(page)] = max(newest.get(_key(page), page.fetched_at), page.fetched_at)
    done: set[tuple[str, str]] = set()
    for page in read_pages(directory, sources=sources, since=since, until=until):
        key = _key(page)
        if key in newest and key not in done and page.fetched_at == newest[key]:
            done.add(key)
            yield page


def parse_page(page: ArchivedPage) -> Article:
    """The article in an archived page, parsed as the crawl parses it; CrawlError if it fails."""
    if page.site != korea_kr.SOURCE:
        raise CrawlError(page.url, f"reparse: no page parser for source {page.source}")
    section = page.section or page.source.partition(":")[2] or "policy"
    return korea_kr.parse_article(page.text(), page.canonical_url, section=section)


def _with_stored_body(article: Article, stored: Article | None) -> Article | None:
    """A document-bodied article: its page's own body if it has one, else the stored body; None
    when there is neither (never stored: only a crawl can fetch its attachments)."""
    if (own := inline_body(article.body_html)) is not None:
        return article.with_changes(body_html=own, body_source="page")
    if stored is None:
        return None
    return article.with_changes(
        body_html=stored.body_html, body_source=stored.body_source, contact=article.contact or stored.contact
    )


def _with_list_fields(article: Article, stored: Article | None) -> Article:
    """Fields the crawl took from the list row (not archived): kept from the stored article."""
    if stored is None:
        return article
    if not article.ministry and stored.ministry:
        article = article.with_changes(ministry=stored.ministry)
    if article.section in korea_kr.BRIEFING_SECTIONS and not article.speaker and stored.speaker:
        article = article.with_changes(speaker=stored.speaker)
    return article


def reparse(
    *,
    db: Database,
    archive_dir: str,
    render: Renderer,
    sources: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> ReparseResult:
    """Re-parse the archive into storage (see the module docstring); sends no request."""
    result = ReparseResult()
    batch: list[Article] = []
    for page in newest_pages(archive_dir, sources=sources, since=since, until=until):
        result.pages += 1
        try:
            article = clean_article(parse_page(page))
        except CrawlError as exc:
            result.failed.append((page.canonical_url, f"{exc.kind}: {exc.message}"))
            continue
        if (damage := decoding_damage(article)) is not None:
            result.failed.append((page.canonical_url, f"encoding: {damage}"))
            continue
        with db.session(read_only=True) as session:
            stored = find_article(session=session, source=article.source, external_id=article.external_id)
        previous = stored.article if stored else None
        article = _with_list_fields(article, previous)
        if article.section in DOCUMENT_SECTIONS:
            with_body = _with_stored_body(article, previous)
            if with_body is None:
                result.skipped += 1
                continue
            result.kept_body += with_body.body_source != "page"
            article = with_body
        batch.append(article)
        if len(batch) >= BATCH:
            _write(db, batch, render, result)
            batch = []
    if batch:
        _write(db, batch, render, result)
    return result


def _write(db: Database, articles: list[Article], render: Renderer, result: ReparseResult) -> None:
    with db.session() as session:
        written = upsert_articles(session=session, articles=articles)
    posts: dict[int, tuple[str, str] | None] = {}
    for wanted in {p.id: p for p in written.posts}.values():  # rendered outside the transaction
        try:
            posts[wanted.id] = render(wanted.article)
        except Exception as exc:  # the normalizer cannot take it: no stale post, say which
            posts[wanted.id] = None
            result.failed.append((wanted.article.url, f"normalize_error: {type(exc).__name__}: {exc}"))
    with db.session() as session:
        store_posts(session=session, posts=posts)
    result.new += written.new
    result.updated += written.updated
    result.unchanged += written.unchanged
    result.failed += [(f.url, f"store_error: {f.reason}") for f in written.failed]
