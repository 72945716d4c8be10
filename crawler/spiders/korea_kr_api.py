"""Scrapy spider for the data.go.kr Open API of 정책브리핑: windows of at most 3 days, page by page.

The service key comes from the child's environment (BRIEFING_DATA_GO_KR_KEY), never from
CrawlOptions. It is registered with crawler.redact, so no log line, stored crawl error or run
reason ever shows it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any, NoReturn

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler import progress, redact
from crawler.items import FailedPage, ParsedArticle
from crawler.sites import korea_kr_api
from crawler.sites.korea_kr_api import ApiError
from crawler.spiders.failures import failure_kind

KEY_ENV = "BRIEFING_DATA_GO_KR_KEY"
MAX_PAGES = 200  # per window: a gateway that always claims more must not page forever

logger = logging.getLogger(__name__)


class KoreaKrApiSpider(scrapy.Spider):
    name = "korea_kr_api"

    def __init__(
        self,
        *,
        section: str = "policy",
        since: date,
        until: date,
        base_url: str = korea_kr_api.DEFAULT_BASE_URL,
        service_key: str | None = None,
        rows: int = korea_kr_api.DEFAULT_ROWS,
        progress_events: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if section not in korea_kr_api.ENDPOINTS:
            raise ValueError(f"unknown API section {section!r}; known: {sorted(korea_kr_api.ENDPOINTS)}")
        self.section = section
        self.since, self.until = since, until
        self.base_url = base_url.rstrip("/")
        self.service_key = (service_key or "").strip() or None
        redact.add_secret(self.service_key)
        self.rows = rows
        self.progress_events = progress_events
        self.seen_ids: set[str] = set()
        self.waiting: list[tuple[date, date]] = []  # windows asked for once the key has been tried

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> KoreaKrApiSpider:
        # The key is inherited from the parent's environment, so it never crosses stdin or argv.
        kwargs.setdefault("service_key", os.environ.get(KEY_ENV))
        redact.install_log_redaction()
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, KoreaKrApiSpider)
        return spider

    async def start(self) -> AsyncIterator[Request | FailedPage]:
        if self.service_key is None:
            error = ApiError(
                "SERVICE_KEY_IS_NULL",
                f"no service key: set {KEY_ENV} to your data.go.kr key",
                kind="api_no_key",
                fatal=True,
            )
            yield FailedPage(self._endpoint(), error.kind, error.message)
            self._refuse(error, close=False)
            return
        # The first window alone, first: a refused key then costs one request, not one per window.
        first, *self.waiting = korea_kr_api.windows(self.since, self.until)
        yield self._request(*first, 1)

    def _the_other_windows(self) -> Iterator[Request]:
        waiting, self.waiting = self.waiting, []
        for start, end in waiting:
            yield self._request(start, end, 1)

    def _endpoint(self) -> str:
        return f"{self.base_url}/{korea_kr_api.ENDPOINTS[self.section]}"

    def _request(self, start: date, end: date, page: int) -> Request:
        assert self.service_key is not None
        url = korea_kr_api.request_url(
            self.base_url, self.section, start=start, end=end, key=self.service_key, page=page, rows=self.rows
        )
        return Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            cb_kwargs={"start": start, "end": end, "page": page},
            meta={
                # Error envelopes come with 401/403/500: the callback reads them (after retries).
                "handle_httpstatus_all": True,
                # An API the provider issued a key for is not a site for robots.txt to govern.
                "dont_obey_robotstxt": True,
                # The URL holds the key: never send it on as a Referer.
                "referrer_policy": "no-referrer",
            },
            dont_filter=True,
        )

    def parse_page(
        self, response: Response, start: date, end: date, page: int
    ) -> Iterator[Request | ParsedArticle | FailedPage]:
        where = redact.redact(response.url)
        try:
            result = korea_kr_api.parse_response(response.body, section=self.section)
        except ApiError as exc:
            if exc.kind == "api_malformed" and response.status >= 400:
                status = response.status
                yield FailedPage(where, f"http_{status}", f"API page: HTTP {status} after retries")
            else:
                yield FailedPage(where, exc.kind, redact.redact(exc.message))
                if exc.fatal:
                    self._refuse(exc)
            yield from self._the_other_windows()  # one window failed, not the key
            return
        for skipped in result.skipped:
            yield FailedPage(
                f"{where}#item={skipped.ident}", "api_item_invalid", f"API item: {skipped.reason}"
            )
        fresh = [a for a in result.items if a.external_id not in self.seen_ids]
        for article in fresh:
            self.seen_ids.add(article.external_id)
            yield ParsedArticle(article)
        if self.progress_events and fresh:
            progress.emit("discovered", count=len(fresh))
        last = result.last_page(self.rows)
        listed = len(result.items) + len(result.skipped)
        # Without a totalCount (GUESS: the envelope may lack it), a full page means "maybe more".
        more = page < last if last is not None else listed >= self.rows
        if more and page < MAX_PAGES and listed:
            yield self._request(start, end, page + 1)
        yield from self._the_other_windows()

    def page_failed(self, failure: Failure) -> Iterator[FailedPage | Request]:
        kind, reason = failure_kind(failure)
        url = failure.request.url  # type: ignore[attr-defined]
        yield FailedPage(redact.redact(url), kind, redact.redact(f"API page: {reason}"))
        yield from self._the_other_windows()

    def _refuse(self, error: ApiError, *, close: bool = True) -> None:
        """The API refused the key or the account: record why and stop the whole crawl."""
        message = f"data.go.kr refused the crawl: {error.message} ({error.code})"
        logger.error(message)
        if getattr(self, "crawler", None) is not None and self.crawler.stats is not None:
            self.crawler.stats.set_value("briefing/refused", message)
        if close:
            _close(error.kind)


def _close(reason: str) -> NoReturn:
    raise CloseSpider(reason)
