"""Scrapy spider for korea.kr: list pages by POST form for a date window, then article pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import FormRequest, Request, Response
from twisted.python.failure import Failure

from crawler import progress
from crawler.errors import CrawlError
from crawler.items import FailedPage, ParsedArticle
from crawler.sites import korea_kr
from crawler.spiders.failures import failure_kind

MAX_LIST_PAGES = 500  # a runaway pager must not crawl forever


class KoreaKrSpider(scrapy.Spider):
    name = "korea_kr"

    def __init__(
        self,
        *,
        section: str = "policy",
        since: date,
        until: date,
        base_url: str = "https://www.korea.kr",
        progress_events: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if section not in korea_kr.SECTIONS:
            raise ValueError(f"unknown korea.kr section {section!r}; known: {sorted(korea_kr.SECTIONS)}")
        self.section = section
        self.since, self.until = since, until
        self.base_url = base_url.rstrip("/")
        self.list_url = self.base_url + korea_kr.SECTIONS[section].list_path
        self.progress_events = progress_events
        self.seen_ids: set[str] = set()

    async def start(self) -> AsyncIterator[Request]:
        # Page 1 by GET gives the form with every hidden field the site expects back.
        yield Request(
            self.list_url,
            callback=self.parse_form,
            errback=self.list_failed,
            headers={"Referer": self.base_url + "/"},
            dont_filter=True,
        )

    def parse_form(self, response: Response) -> Iterator[Request | FailedPage]:
        page = korea_kr.parse_list_page(response.text, response.url)
        if not page.form_fields:
            yield FailedPage(response.url, "layout_changed", "layout changed: list page has no form#mainForm")
            return
        yield self._list_request(page, 1)

    def _list_request(self, page: korea_kr.ListPage, index: int) -> FormRequest:
        action = urlsplit(urljoin(self.list_url, page.form_action or self.list_url))
        # The form's action may name the real host; always post to the configured base URL.
        target = self.base_url + action.path + (f"?{action.query}" if action.query else "")
        data = korea_kr.list_form_data(page, page_index=index, since=self.since, until=self.until)
        return FormRequest(
            target,
            formdata=data,
            callback=self.parse_list,
            errback=self.list_failed,
            cb_kwargs={"index": index},
            dont_filter=True,
        )

    def parse_list(self, response: Response, index: int) -> Iterator[Request | FailedPage]:
        page = korea_kr.parse_list_page(response.text, response.url)
        if not korea_kr.echo_matches(page, page_index=index, since=self.since, until=self.until):
            yield FailedPage(
                f"{response.url}#pageIndex={index}",
                "list_mismatch",
                f"list page {index} did not echo the requested page and dates; paging stopped",
            )
            return
        if page.is_empty:
            return
        fresh = [item for item in page.items if item.news_id not in self.seen_ids]
        for item in fresh:
            self.seen_ids.add(item.news_id)
            yield Request(
                korea_kr.fetch_url(item.url, self.base_url),
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"canonical": item.url},
            )
        if self.progress_events and fresh:
            progress.emit("discovered", count=len(fresh))
        if page.last_page is not None and index < min(page.last_page, MAX_LIST_PAGES):
            yield self._list_request(page, index + 1)

    def parse_article(self, response: Response, canonical: str) -> Iterator[ParsedArticle | FailedPage]:
        try:
            article = korea_kr.parse_article(response.text, canonical, section=self.section)
        except CrawlError as exc:
            yield FailedPage(canonical, exc.kind, exc.message)
            return
        yield ParsedArticle(article)

    def article_failed(self, failure: Failure) -> Iterator[FailedPage]:
        request = failure.request  # type: ignore[attr-defined]
        url = request.cb_kwargs.get("canonical", request.url)
        kind, reason = failure_kind(failure)
        yield FailedPage(url, kind, reason)

    def list_failed(self, failure: Failure) -> Iterator[FailedPage]:
        kind, reason = failure_kind(failure)
        yield FailedPage(failure.request.url, kind, f"list page: {reason}")  # type: ignore[attr-defined]
