"""Scrapy spider for one RSS/Atom feed: a conditional GET, then the pages of summary-only entries.

The feed's state (`ok`, `dead` for a 404/410 or a redirect to the site's home page, `error`)
and its ETag/Last-Modified are recorded when the crawl finishes and its articles are stored,
so a crawl killed half-way never leaves validators that would hide unstored entries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from crawler import progress
from crawler.items import FailedPage, ParsedArticle
from crawler.sites.feed import FeedEntry, entry_article, extract_body, parse_feed
from crawler.spiders.failures import failure_kind
from storage import Database, SourceState, get_source_state, record_check, stored_ids

logger = logging.getLogger(__name__)

GONE = (404, 410)
# Where a switched-off feed sends its readers (korea.kr: /etc/rss.do and the feeds -> "/").
HOME_PATHS = ("", "/", "/index.html", "/index.do", "/main.do", "/main/main.do")


@dataclass(frozen=True, slots=True)
class Check:
    """What this crawl learnt about the feed, recorded at the end."""

    status: str  # ok, dead, error
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


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
        self.database_url: str | None = None
        self._db: Database | None = None
        self.check: Check | None = None
        self.entry_failures = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FeedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.database_url = crawler.settings.get("BRIEFING_DATABASE_URL")
        return spider

    async def start(self) -> AsyncIterator[Request]:
        state = await asyncio.to_thread(self._stored_state) if self.database_url else None
        headers = {}
        if state is not None and state.etag:
            headers["If-None-Match"] = state.etag
        if state is not None and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        yield Request(
            self.feed_url,
            headers=headers,
            callback=self.parse_feed,
            errback=self.feed_failed,
            meta={"handle_httpstatus_list": [304, *GONE]},
            dont_filter=True,
        )

    async def parse_feed(self, response: Response) -> AsyncIterator[Request | ParsedArticle | FailedPage]:
        if response.status == 304:
            progress.list_page_ok(response.url)
            self.check = Check("ok", not_modified=True)
            logger.info("feed %s not modified (304)", self.source)
            return
        if response.status in GONE:
            self._dead(f"HTTP {response.status}: the feed is gone")
            return
        if response.meta.get("redirect_urls") and urlsplit(response.url).path in HOME_PATHS:
            self._dead(f"redirected to the home page ({response.url})")
            return
        content_type = response.headers.get("Content-Type")
        feed = parse_feed(
            response.body,
            url=response.url,
            fetched_at=datetime.now(UTC),
            content_type=content_type.decode("latin-1") if content_type else None,
        )
        if not feed.is_feed:
            self.check = Check("error", feed.problem)
            yield FailedPage(response.url, "not_a_feed", feed.problem or "not a feed", stage="list")
            return
        progress.list_page_ok(response.url)
        self.check = Check(
            "ok", etag=_header(response, "ETag"), last_modified=_header(response, "Last-Modified")
        )
        teasers = [e.external_id for e in feed.entries if not e.full]
        done = await asyncio.to_thread(self._extracted, teasers) if teasers and self.database_url else set()
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

    def parse_page(self, response: Response, entry: FeedEntry) -> Iterator[ParsedArticle | FailedPage]:
        if not isinstance(response, TextResponse):
            self.entry_failures += 1
            yield FailedPage(entry.url, "not_html", "the entry's link is not a web page")
            return
        body = extract_body(response.text, url=response.url, title=entry.title)
        if not body:
            self.entry_failures += 1
            yield FailedPage(entry.url, "no_body", "no article text found on the entry's page")
            return
        yield ParsedArticle(entry_article(entry, source=self.source, body_html=body, body_source="extracted"))

    def page_failed(self, failure: Failure) -> Iterator[FailedPage]:
        self.entry_failures += 1
        request = failure.request  # type: ignore[attr-defined]
        entry = request.cb_kwargs.get("entry")
        kind, reason = failure_kind(failure)
        yield FailedPage(entry.url if entry else request.url, kind, reason)

    def feed_failed(self, failure: Failure) -> Iterator[FailedPage]:
        kind, reason = failure_kind(failure)
        self.check = Check("error", f"feed: {reason}")
        yield FailedPage(self.feed_url, kind, f"feed: {reason}", stage="list")

    def closed(self, reason: str) -> None:
        try:
            check = self._outcome(reason)
            if check is not None:
                with self._database().session() as session:
                    record_check(session=session, name=self.source, kind="feed", url=self.feed_url,
                                 status=check.status, error=check.error, etag=check.etag,
                                 last_modified=check.last_modified, keep_validators=check.not_modified)
        finally:
            if self._db is not None:
                self._db.dispose()

    def _outcome(self, reason: str) -> Check | None:
        """The check to record, or None when this crawl must leave the stored state alone."""
        if self.check is None or not self.database_url or reason != "finished":
            return None
        assert self.crawler.stats is not None
        if self.crawler.stats.get_value("briefing/storage_error"):
            return None  # the entries were not stored: keep the old validators so they come again
        if self.entry_failures and not self.check.not_modified:
            # Some pages failed: no validators, so the next crawl gets the whole feed and retries them.
            return Check(self.check.status, self.check.error)
        return self.check

    def _dead(self, why: str) -> None:
        self.check = Check("dead", why)
        logger.warning("feed %s is dead: %s", self.source, why)

    def _database(self) -> Database:
        if self._db is None:
            assert self.database_url is not None
            self._db = Database(self.database_url)
        return self._db

    def _stored_state(self) -> SourceState | None:
        with self._database().session() as session:
            return get_source_state(session=session, name=self.source)

    def _extracted(self, external_ids: list[str]) -> set[str]:
        with self._database().session() as session:
            return stored_ids(session=session, source=self.source, external_ids=external_ids,
                              body_source="extracted")


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
