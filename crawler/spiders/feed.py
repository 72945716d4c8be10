"""Scrapy spider for one RSS/Atom feed: a conditional GET, then the pages of summary-only entries.

The spider reads stored state only through `crawler.crawl_state` and writes nothing: what it
learns about the feed (`ok`, `dead` for a 404/410 or a redirect to the site's home page,
`error`, and its ETag/Last-Modified) goes out as a `SourceCheck` item, which the storage
pipeline records when the crawl finishes with its entries stored. A summary-only entry whose
page cannot be fetched or read keeps the feed's own text, with a note in the run's errors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from crawler import progress
from crawler.crawl_state import CrawlState
from crawler.drift import count_list, stats_of
from crawler.items import FailedPage, ItemNote, ParsedArticle, SourceCheck
from crawler.outbound import REFUSED_KINDS
from crawler.sites.feed import FeedEntry, entry_article, extract_body, page_text, parse_feed, summary_article
from crawler.spiders.failures import failure_kind
from crawler.spiders.responses import header
from domain.text import decoding_damage

logger = logging.getLogger(__name__)

GONE = (404, 410)
# Where a switched-off feed sends its readers (korea.kr: /etc/rss.do and the feeds -> "/").
HOME_PATHS = ("", "/", "/index.html", "/index.do", "/main.do", "/main/main.do")

FeedItem = ParsedArticle | FailedPage | ItemNote | SourceCheck


class FeedSpider(scrapy.Spider):
    name = "feed"

    def __init__(
        self,
        *,
        section: str,
        base_url: str,
        since: date | None = None,  # every crawl has a window; a feed only has what it lists now
        until: date | None = None,
        progress_events: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = f"feed:{section}"
        self.feed_url = base_url  # crawl_options sends a feed's URL as the base URL
        self.progress_events = progress_events
        self.state: CrawlState | None = None  # set from the crawler's settings

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FeedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if url := crawler.settings.get("BRIEFING_DATABASE_URL"):
            spider.state = CrawlState(url)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        stored = await asyncio.to_thread(self.state.source_state, self.source) if self.state else None
        headers = {}
        if stored is not None and stored.etag:
            headers["If-None-Match"] = stored.etag
        if stored is not None and stored.last_modified:
            headers["If-Modified-Since"] = stored.last_modified
        yield Request(
            self.feed_url,
            headers=headers,
            callback=self.parse_feed,
            errback=self.feed_failed,
            meta={"handle_httpstatus_list": [304, *GONE]},
            dont_filter=True,
        )

    async def parse_feed(self, response: Response) -> AsyncIterator[Request | FeedItem]:
        if response.status == 304:
            progress.list_page_ok(response.url)
            logger.info("feed %s not modified (304)", self.source)
            yield self._check("ok", not_modified=True)
            return
        if response.status in GONE:
            yield self._dead(f"HTTP {response.status}: the feed is gone")
            return
        if response.meta.get("redirect_urls") and urlsplit(response.url).path in HOME_PATHS:
            yield self._dead(f"redirected to the home page ({response.url})")
            return
        feed = parse_feed(
            response.body,
            url=response.url,
            fetched_at=datetime.now(UTC),
            content_type=header(response, "Content-Type"),
        )
        if not feed.is_feed:
            yield self._check("error", feed.problem)
            yield FailedPage(response.url, "not_a_feed", feed.problem or "not a feed", stage="list")
            return
        progress.list_page_ok(response.url)
        count_list(stats_of(self), items=len(feed.entries), says_empty=True)  # an empty feed says so
        validators = {"etag": header(response, "ETag"), "last_modified": header(response, "Last-Modified")}
        yield self._check("ok", **validators)
        teasers = [e.external_id for e in feed.entries if not e.full]
        done = await asyncio.to_thread(self._extracted, teasers) if teasers and self.state else set()
        wanted = [e for e in feed.entries if e.full or e.external_id not in done]
        if self.progress_events and wanted:
            progress.emit("discovered", count=len(wanted))
        for entry in wanted:
            if entry.full:
                yield ParsedArticle(entry_article(entry, source=self.source))
            else:
                # Only a summary: the article is the linked page (fetched once; later crawls skip it).
                yield Request(entry.url, callback=self.parse_page, errback=self.page_failed,
                              cb_kwargs={"entry": entry})

    def parse_page(self, response: Response, entry: FeedEntry) -> Iterator[FeedItem]:
        if not isinstance(response, TextResponse):
            yield from self._keep_feed_text(entry, "not_html", "the entry's link is not a web page")
            return
        text = page_text(response.body, header(response, "Content-Type"))
        body = extract_body(text, url=response.url, title=entry.title)
        if not body:
            yield from self._keep_feed_text(entry, "no_body", "no article text found on the entry's page")
            return
        article = entry_article(entry, source=self.source, body_html=body, body_source="extracted")
        if (damage := decoding_damage(article)) is not None:
            yield from self._keep_feed_text(entry, "encoding", f"the entry's page: {damage}")
            return
        yield ParsedArticle(article)

    def page_failed(self, failure: Failure) -> Iterator[FeedItem]:
        request = failure.request  # type: ignore[attr-defined]
        entry: FeedEntry | None = request.cb_kwargs.get("entry")
        kind, reason = failure_kind(failure)
        if entry is None:
            yield FailedPage(request.url, kind, reason)
            return
        if kind in REFUSED_KINDS:
            # A link the outbound policy refuses is the feed pointing us somewhere we must not go:
            # the entry is not kept (not even with the feed's text), it is a failed item, named by
            # the entry's own link (the refused request may be a redirect's target).
            yield FailedPage(entry.url, kind, f"the entry's link was refused: {reason}")
            return
        yield from self._keep_feed_text(entry, kind, f"the entry's page failed: {reason}")

    def _keep_feed_text(self, entry: FeedEntry, kind: str, reason: str) -> Iterator[FeedItem]:
        """The entry with the feed's own text and a note; a failed item when the feed has none."""
        article = summary_article(entry, source=self.source)
        if article is None:
            yield FailedPage(entry.url, kind, f"{reason}; the feed has no text for it either")
            return
        yield ParsedArticle(article)
        yield ItemNote(entry.url, kind, f"{reason}; kept the feed's own text")

    def feed_failed(self, failure: Failure) -> Iterator[FeedItem]:
        kind, reason = failure_kind(failure)
        yield self._check("error", f"feed: {reason}")
        yield FailedPage(self.feed_url, kind, f"feed: {reason}", stage="list")

    def closed(self, reason: str) -> None:
        if self.state is not None:
            self.state.close()

    def _check(self, status: str, error: str | None = None, **validators: Any) -> SourceCheck:
        return SourceCheck(self.source, "feed", self.feed_url, status, error, **validators)

    def _dead(self, why: str) -> SourceCheck:
        logger.warning("feed %s is dead: %s", self.source, why)
        return self._check("dead", why)

    def _extracted(self, external_ids: list[str]) -> set[str]:
        assert self.state is not None
        return self.state.ids_with_body(self.source, external_ids, "extracted")


