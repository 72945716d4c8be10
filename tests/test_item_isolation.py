"""One bad entry or page is that item's error; every other item of the batch is stored (issue 12.2).

The feed spider's callbacks and the storage pipeline run in-process here, on both backends, over
the feed stand-in's documents (tests/standins/feeds.py); test_feed_crawl.py runs the same feeds
end to end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

import storage
import storage.articles
from crawler.items import FailedPage, ItemNote, ParsedArticle, SourceCheck
from crawler.pipeline import StoragePipeline
from crawler.posts.render import PostRenderer
from crawler.spiders.feed import FeedSpider
from domain.article import KST, Article, Image
from storage import CrawlErrorRecord, CrawlRun, Database, StoredArticle
from tests.standins import feeds

BASE = "http://127.0.0.1:9"


@dataclass
class Outcome:
    run: CrawlRun
    errors: list[CrawlErrorRecord]
    articles: dict[str, StoredArticle]  # by external id


def store(
    db_url: str,
    items: Iterable[Any],
    *,
    source: str = "feed:poisoned",
    render: Callable[[Article], tuple[str, str]] | None = None,
    reason: str = "finished",
) -> Outcome:
    """Run `items` through the storage pipeline as one crawl run of `source`."""
    db = Database(db_url)
    try:
        with db.session() as session:
            run = storage.create_run(session=session, source=source)
        pipeline = StoragePipeline(database_url=db_url, run_id=run.id, batch_size=1000)
        if render is not None:
            pipeline.renderer = Renderer(render)  # type: ignore[assignment]
        pipeline.open_spider()

        async def crawl() -> None:
            for item in items:
                await pipeline.process_item(item)
            await pipeline.close_spider()
            await pipeline.spider_closed(reason)

        asyncio.run(crawl())
        with db.session() as session:
            storage.finish_run(session=session, run_id=run.id, status="succeeded")
            counted = storage.get_run(session=session, run_id=run.id)
            errors = storage.list_errors(session=session, run_id=run.id)
            found = {s.article.external_id: s for s in storage.iter_articles(session=session)
                     if s.source == source}
        assert counted is not None
        return Outcome(counted, errors, found)
    finally:
        db.dispose()


def source_state(db_url: str, name: str) -> storage.SourceState | None:
    db = Database(db_url)
    try:
        with db.session(read_only=True) as session:
            return storage.get_source_state(session=session, name=name)
    finally:
        db.dispose()


@dataclass
class Renderer:
    render: Callable[[Article], tuple[str, str]]


def counts(run: CrawlRun) -> tuple[int, int, int, int, int]:
    return run.seen, run.new, run.updated, run.unchanged, run.failed


def spider(name: str, path: str) -> FeedSpider:
    return FeedSpider(section=name, base_url=BASE + path)


def feed_items(name: str, path: str) -> list[Any]:
    """What the feed spider yields for the stand-in's document at `path`."""
    content_type, body = found(path)
    response = XmlResponse(BASE + path, body=body, headers={"Content-Type": content_type},
                           request=Request(BASE + path))

    async def collect() -> list[Any]:
        return [item async for item in spider(name, path).parse_feed(response)]

    return asyncio.run(collect())


def found(path: str) -> tuple[str, bytes]:
    document = feeds.faulty(path, BASE)
    assert document is not None, path
    return document


def article(n: int = 1, **changes: object) -> Article:
    return Article(
        source="feed:poisoned", external_id=f"item-{n}", url=f"{BASE}/items/{n}.html", section="feed",
        title=f"서로 다른 기사 제목 {n}호", published_at=datetime(2026, 6, 15, 10, n, tzinfo=KST),
        body_html=f"<p>{n}번 기사 본문입니다.</p>", body_source="feed",
    ).with_changes(**changes)


def articles_of(items: Iterable[Any]) -> list[ParsedArticle]:
    return [i for i in items if isinstance(i, ParsedArticle)]


# --- the poisoned feed ------------------------------------------------------------------------


def test_a_feed_with_one_poisoned_entry_among_39_stores_38(db_url: str) -> None:
    items = feed_items("poisoned", "/poisoned.xml")
    assert len(articles_of(items)) == feeds.POISONED_COUNT
    outcome = store(db_url, items)
    assert counts(outcome.run) == (39, 38, 0, 0, 1)
    assert len(outcome.articles) == 38 and f"poisoned-{feeds.DOCTYPE_ENTRY}" not in outcome.articles
    assert all(s.post_text for s in outcome.articles.values())
    # The doctype-only entry is the one recorded error, with its URL, and why.
    [error] = outcome.errors
    assert (error.url, error.kind) == (f"{BASE}/poisoned/{feeds.DOCTYPE_ENTRY}.html", "normalize_error")
    assert error.reason.startswith("the post could not be rendered:")
    # The NUL title (which PostgreSQL refuses) and the bidi override are stored, cleaned.
    nul = outcome.articles[f"poisoned-{feeds.NUL_ENTRY}"]
    assert nul.article.title == f"독립 기사 {feeds.NUL_ENTRY}호 제목"
    bidi = outcome.articles[f"poisoned-{feeds.BIDI_ENTRY}"]
    assert bidi.article.title == f"독립 기사 {feeds.BIDI_ENTRY}호 gnp.exe 제목"
    assert "\u202e" not in (bidi.post_text or "") and "\x00" not in str(outcome.articles)
    # Every entry shares one long generic body: titles tell them apart, none is an alias.
    assert all(not s.article.aliases for s in outcome.articles.values())
    # The feed's state is recorded, without validators: the next crawl gets the whole feed again.
    state = source_state(db_url, "feed:poisoned")
    assert state is not None and (state.status, state.etag) == ("ok", None)


@pytest.mark.parametrize("body", ["<!DOCTYPE", "<html>", "<!DOCTYPE html>"])
def test_a_doctype_only_entry_is_that_entry_s_error(db_url: str, body: str) -> None:
    items = [ParsedArticle(article(1)), ParsedArticle(article(2, body_html=body)), ParsedArticle(article(3))]
    outcome = store(db_url, items)
    assert counts(outcome.run) == (3, 2, 0, 0, 1)
    assert sorted(outcome.articles) == ["item-1", "item-3"]
    assert [(e.url, e.kind) for e in outcome.errors] == [(f"{BASE}/items/2.html", "normalize_error")]


def test_a_nul_anywhere_in_an_article_is_stored_clean(db_url: str) -> None:
    dirty = article(
        1, title="널\x00 제목\x07", subtitles=("부제\x00",), body_html="<p>본문\x00\x1b 입니다</p>",
        tags=("태그\x00",), author="기자\x00", images=(Image("https://e.com/a.png", "사진\x00 설명"),),
    )
    outcome = store(db_url, [ParsedArticle(dirty), ParsedArticle(article(2))])
    assert counts(outcome.run) == (2, 2, 0, 0, 0) and outcome.errors == []
    stored = outcome.articles["item-1"].article
    assert (stored.title, stored.subtitles, stored.body_html) == ("널 제목", ("부제",), "<p>본문 입니다</p>")
    assert (stored.tags, stored.author, stored.images[0].caption) == (("태그",), "기자", "사진 설명")


def test_a_renderer_exception_is_isolated(db_url: str) -> None:
    real = PostRenderer.from_path(None).render

    def render(a: Article) -> tuple[str, str]:
        if "폭탄" in a.title:
            raise RuntimeError("renderer bug")
        return real(a)

    items = [ParsedArticle(article(n, title=f"기사 {n}호" + (" 폭탄" if n == 2 else ""))) for n in (1, 2, 3)]
    outcome = store(db_url, items, render=render)
    assert counts(outcome.run) == (3, 2, 0, 0, 1) and sorted(outcome.articles) == ["item-1", "item-3"]
    [error] = outcome.errors
    assert (error.url, error.kind) == (f"{BASE}/items/2.html", "normalize_error")
    assert error.reason == "the post could not be rendered: RuntimeError: renderer bug"
    # A stored article whose new revision cannot be rendered: kept, its stale post dropped, failed.
    changed = [ParsedArticle(article(1, title="기사 1호 폭탄")),
               ParsedArticle(article(3, title="기사 3호 고침"))]
    outcome = store(db_url, changed, render=render)
    assert counts(outcome.run) == (2, 0, 1, 0, 1)
    assert outcome.articles["item-1"].post_text is None and outcome.articles["item-1"].revision_count == 2
    assert "고침" in (outcome.articles["item-3"].post_text or "")
    # Once the renderer copes, the next crawl renders the post although nothing changed.
    outcome = store(db_url, changed)
    assert counts(outcome.run) == (2, 0, 0, 2, 0) and outcome.articles["item-1"].post_text


def test_a_database_constraint_failure_is_isolated(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    row_values = storage.articles._row_values

    def refused_title(a: Article, digest: str, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        values = row_values(a, digest, data, **kwargs)
        if a.external_id == "item-2":
            values["title"] = None  # NOT NULL: the database itself refuses the row
        return values

    monkeypatch.setattr(storage.articles, "_row_values", refused_title)
    outcome = store(db_url, [ParsedArticle(article(n)) for n in (1, 2, 3)])
    assert counts(outcome.run) == (3, 2, 0, 0, 1) and sorted(outcome.articles) == ["item-1", "item-3"]
    [error] = outcome.errors
    assert (error.url, error.kind) == (f"{BASE}/items/2.html", "store_error")
    assert "IntegrityError" in error.reason
    db = Database(db_url)
    with db.session(read_only=True) as session:
        assert storage.count_revisions(session=session) == 2  # nothing of item 2 is left half-written
    db.dispose()


def test_a_wrongly_decoded_article_is_an_encoding_error(db_url: str) -> None:
    garbled = article(2, title="\ufffd\ufffd\ufffd 제목")
    outcome = store(db_url, [ParsedArticle(article(1)), ParsedArticle(garbled)])
    assert counts(outcome.run) == (2, 1, 0, 0, 1) and list(outcome.articles) == ["item-1"]
    assert [(e.url, e.kind) for e in outcome.errors] == [(garbled.url, "encoding")]


# --- a feed entry whose linked page fails keeps the feed's own text ----------------------------


def page_failure(url: str, status: int) -> Failure:
    request = Request(url, cb_kwargs={})
    failure = Failure(HttpError(HtmlResponse(url, status=status, request=request)))
    failure.request = request  # type: ignore[attr-defined]
    return failure


def test_an_unreachable_linked_page_keeps_the_feed_text(db_url: str) -> None:
    items = feed_items("teasers", "/unreachable.xml")
    requests = [i for i in items if isinstance(i, Request)]
    assert [r.url for r in requests] == [BASE + link for link in feeds.UNREACHABLE_LINKS]
    gone = requests[0]
    failure = page_failure(gone.url, 404)
    failure.request.cb_kwargs.update(gone.cb_kwargs)  # type: ignore[attr-defined]
    kept = list(spider("teasers", "/unreachable.xml").page_failed(failure))
    assert [type(i) for i in kept] == [ParsedArticle, ItemNote]
    checks = [i for i in items if isinstance(i, SourceCheck)]
    outcome = store(db_url, [*checks, *kept], source="feed:teasers")
    assert counts(outcome.run) == (1, 1, 0, 0, 0)
    stored = outcome.articles["/missing/0.html"]
    assert (stored.article.body_source, stored.article.body_html) == ("summary", feeds.TEASER)
    assert stored.post_text and feeds.TEASER in stored.post_text
    [note] = outcome.errors
    assert (note.url, note.kind) == (gone.url, "http_404")
    assert note.reason == "the entry's page failed: HTTP 404 after retries; kept the feed's own text"
    # The page answers on a later crawl: its text replaces the teaser.
    entry = gone.cb_kwargs["entry"]
    page = HtmlResponse(gone.url, body=feeds.article_page(0).encode(), encoding="utf-8", request=gone)
    [extracted] = spider("teasers", "/unreachable.xml").parse_page(page, entry)
    outcome = store(db_url, [extracted], source="feed:teasers")
    assert counts(outcome.run) == (1, 0, 1, 0, 0)
    assert outcome.articles["/missing/0.html"].article.body_source == "extracted"


def test_a_page_without_text_and_a_feed_without_text_is_a_failed_item() -> None:
    items = feed_items("teasers", "/unreachable.xml")
    request = next(i for i in items if isinstance(i, Request))
    entry = request.cb_kwargs["entry"].__class__(**{
        **{f: getattr(request.cb_kwargs["entry"], f) for f in request.cb_kwargs["entry"].__slots__},
        "body_html": "",
    })
    failure = page_failure(request.url, 500)
    failure.request.cb_kwargs["entry"] = entry  # type: ignore[attr-defined]
    [failed] = list(spider("teasers", "/unreachable.xml").page_failed(failure))
    assert isinstance(failed, FailedPage) and failed.kind == "http_500"
    assert failed.reason.endswith("the feed has no text for it either")


# --- encodings (issue 13.6) -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/euckr-as-utf8.xml", "/utf8-as-euckr.xml"])
def test_a_feed_in_another_encoding_than_declared_reads_right(path: str) -> None:
    parsed = articles_of(feed_items("korea", path))
    assert [p.article.title for p in parsed] == [feeds.korea_title(0), feeds.korea_title(1)]
    assert all(feeds.paragraphs(n)[0] in p.article.body_html for n, p in enumerate(parsed))


def page_items(path: str) -> list[Any]:
    items = feed_items("pages", "/encoded-pages.xml")
    request = next(i for i in items if isinstance(i, Request) and i.url == BASE + path)
    content_type, body = found(path)
    page = HtmlResponse(request.url, body=body, headers={"Content-Type": content_type}, request=request)
    return list(spider("pages", "/encoded-pages.xml").parse_page(page, request.cb_kwargs["entry"]))


@pytest.mark.parametrize("path", ["/pages/euckr-as-utf8.html", "/pages/utf8-as-euckr.html"])
def test_a_linked_page_in_another_encoding_than_declared_is_an_encoding_note(path: str) -> None:
    # Browsers trust the declaration; bytes it cannot decode are not stored as garbage.
    parsed, note = page_items(path)
    assert isinstance(parsed, ParsedArticle) and parsed.article.body_source == "summary"
    assert isinstance(note, ItemNote) and note.kind == "encoding"
    assert "replacement characters" in note.reason


def test_an_undeclared_euc_kr_page_is_detected() -> None:
    [parsed] = page_items("/pages/euckr-undeclared.html")
    assert isinstance(parsed, ParsedArticle) and parsed.article.body_source == "extracted"
    assert feeds.paragraphs(3)[0] in parsed.article.body_html


# --- the feed's state ------------------------------------------------------------------------


def check(**changes: object) -> SourceCheck:
    values: dict[str, Any] = {"source": "feed:poisoned", "kind": "feed", "url": f"{BASE}/f.xml",
                              "status": "ok", "etag": '"v1"',
                              "last_modified": "Mon, 15 Jun 2026 01:00:00 GMT"}
    return SourceCheck(**(values | changes))


def test_the_pipeline_records_the_feed_state_only_when_the_crawl_finished(db_url: str) -> None:
    def state() -> tuple[str, str | None, str | None]:
        found = source_state(db_url, "feed:poisoned")
        assert found is not None
        return found.status, found.etag, found.error

    store(db_url, [check(), ParsedArticle(article(1))], reason="shutdown")
    assert state() == ("ok", None, None)  # stopped early: no validators, the entries come again
    store(db_url, [check(), ParsedArticle(article(1))])
    assert state() == ("ok", '"v1"', None)
    store(db_url, [check(not_modified=True, etag=None)])
    assert state() == ("ok", '"v1"', None)  # a 304 keeps the validators
    store(db_url, [check(etag='"v2"'), ParsedArticle(article(2)),
                   FailedPage(f"{BASE}/x.html", "http_500", "HTTP 500 after retries")])
    assert state() == ("ok", None, None)  # a failed item: the whole feed again next time
    store(db_url, [check(status="dead", error="HTTP 404: the feed is gone", etag=None)])
    assert state() == ("dead", None, "HTTP 404: the feed is gone")
