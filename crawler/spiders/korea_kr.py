"""Scrapy spider for korea.kr: list pages by POST form for a date window, then article pages.

Policy news and briefings carry their text in the page. Press releases and fact-checks are
iframe shells (docs/spec/korea-kr.md §5.3): the body comes from the document viewer's converted
pages, else the HWPX attachment, else the HWP 5 binary, else the PDF, the first that yields real
text; a fact-check takes the full text its list row prints. Only `download.do` files are
downloaded: a 바로보기 link is an HTML viewer page (§13.2) and is never requested as a document.
An article with no body from any of them is a `no_body` crawl error naming
what was tried, never half stored. Pages stored before are fetched conditionally
(If-None-Match / If-Modified-Since): a 304 is an unchanged article, not parsed again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Collection, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import FormRequest, Request, Response, TextResponse
from twisted.python.failure import Failure

from crawler import progress
from crawler.documents import DocumentError, DocumentLimits, document_paragraphs
from crawler.drift import count_list, stats_of
from crawler.errors import CrawlError
from crawler.items import FailedPage, NotModified, ParsedArticle
from crawler.pages import FetchedPage, with_list_fields
from crawler.sites import korea_kr
from crawler.sites.korea_kr_press import (
    ViewerRef,
    document_body,
    fact_text,
    inline_body,
    viewer_paragraphs,
    viewer_ref,
)
from crawler.sites.korea_kr_urls import is_viewer_url, site_url
from crawler.spiders.failures import failure_kind
from crawler.spiders.responses import header
from domain.article import Article

logger = logging.getLogger(__name__)

MAX_LIST_PAGES = 500  # a runaway pager must not crawl forever
MAX_VIEWER_PAGES = 200  # a viewer that never answers 404 must not either
DEFAULT_ATTACHMENT_MAXSIZE = 20 * 1024 * 1024
# Sections whose body lives behind the viewer iframe and in the attachments.
DOCUMENT_SECTIONS = frozenset({"press", "fact"})
# Attachment kinds that can carry a body, best first (BODY_SOURCE_RANK in domain/article.py).
DOCUMENT_KINDS = ("hwpx", "hwp", "pdf")
# A fact-check's body is its list row's text, which the view page's validators do not cover:
# its page is always fetched in full.
UNCONDITIONAL_SECTIONS = frozenset({"fact"})


@dataclass(frozen=True, slots=True)
class BodyStep:
    kind: str  # "viewer", "hwpx", "hwp" or "pdf": also the body_source it yields
    url: str = ""  # the attachment (canonical korea.kr URL)
    viewer: ViewerRef | None = None


@dataclass(frozen=True, slots=True)
class BodyJob:
    """A press release or fact-check waiting for its body: what is left to try, what failed."""

    article: Article
    page_url: str  # the article page as fetched: Referer (and cookie scope) of every follow-up
    etag: str | None
    last_modified: str | None
    steps: tuple[BodyStep, ...]
    tried: tuple[str, ...] = ()

    def failed(self, kind: str, reason: str) -> BodyJob:
        return replace(self, tried=(*self.tried, f"{kind}: {reason}"))


def body_steps(article: Article) -> tuple[BodyStep, ...]:
    """Viewer, then HWPX, then HWP, then PDF: the order in which a body is looked for."""
    steps = []
    if (ref := viewer_ref(article.body_html)) is not None:
        steps.append(BodyStep("viewer", viewer=ref))
    # A viewer page (docViewer.do) is HTML whatever file it names: never a document to parse.
    files = [a for a in article.attachments if not is_viewer_url(a.url)]
    for kind in DOCUMENT_KINDS:
        attachment = next((a for a in files if a.extension == kind), None)
        if attachment is not None:
            steps.append(BodyStep(kind, url=attachment.url))
    return tuple(steps)




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
        # Set from the crawler's settings (from_crawler); these defaults serve direct construction.
        self.database_url: str | None = None
        self.attachment_maxsize = DEFAULT_ATTACHMENT_MAXSIZE
        self.attachment_timeout = 30.0
        self.limits = DocumentLimits(max_input_bytes=self.attachment_maxsize)
        # Article pages that need nothing more from the site go to the writer unparsed (crawler.pages).
        self.parse_in_writer = False
        self._db: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> KoreaKrSpider:
        spider: KoreaKrSpider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        if s.getbool("BRIEFING_CONDITIONAL_REQUESTS", True):
            spider.database_url = s.get("BRIEFING_DATABASE_URL") or None
        spider.attachment_maxsize = s.getint("BRIEFING_ATTACHMENT_MAXSIZE", DEFAULT_ATTACHMENT_MAXSIZE)
        spider.attachment_timeout = s.getfloat(
            "BRIEFING_ATTACHMENT_TIMEOUT", s.getfloat("DOWNLOAD_TIMEOUT", 30)
        )
        spider.limits = DocumentLimits(max_input_bytes=spider.attachment_maxsize)
        spider.parse_in_writer = s.getbool("BRIEFING_PARSE_IN_WRITER", False)
        crawler.signals.connect(spider.closed_database, signal=signals.spider_closed)
        return spider

    # --- lists -----------------------------------------------------------------------------------

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
            yield FailedPage(
                response.url, "layout_changed", "layout changed: list page has no form#mainForm", stage="list"
            )
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

    async def parse_list(self, response: Response, index: int) -> AsyncIterator[Request | FailedPage]:
        page = korea_kr.parse_list_page(response.text, response.url)
        if not korea_kr.echo_matches(page, page_index=index, since=self.since, until=self.until):
            yield FailedPage(
                f"{response.url}#pageIndex={index}",
                "list_mismatch",
                f"list page {index} did not echo the requested page and dates; paging stopped",
                stage="list",
            )
            return
        progress.list_page_ok(response.url)
        count_list(stats_of(self), items=len(page.items), says_empty=page.total == 0)
        if page.is_empty:
            return
        fresh = [item for item in page.items if item.news_id not in self.seen_ids]
        known = await self._stored_validators([item.news_id for item in fresh])
        for item in fresh:
            self.seen_ids.add(item.news_id)
            yield self._article_request(item, known.get(item.news_id))
        if self.progress_events and fresh:
            progress.emit("discovered", count=len(fresh))
        if page.last_page is not None and index < min(page.last_page, MAX_LIST_PAGES):
            yield self._list_request(page, index + 1)

    def _article_request(self, item: korea_kr.ListItem, validators: Any) -> Request:
        headers: dict[str, str] = {}
        if validators is not None and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return Request(
            korea_kr.fetch_url(item.url, self.base_url),
            callback=self.parse_article,
            errback=self.article_failed,
            headers=headers,
            # The page is archived as fetched (crawler.archiving), for `briefing reparse`.
            meta={"handle_httpstatus_list": [304], "briefing_archive": item.url},
            cb_kwargs={"canonical": item.url, "item": item},
        )

    # --- conditional requests --------------------------------------------------------------------

    async def _stored_validators(self, news_ids: Collection[str]) -> dict[str, Any]:
        if not news_ids or self.database_url is None or self.section in UNCONDITIONAL_SECTIONS:
            return {}
        try:
            return await asyncio.to_thread(self._load_validators, news_ids)
        except Exception as exc:  # a failed look-up only costs full fetches
            logger.warning("could not read stored validators, fetching in full: %s", exc)
            return {}

    def _load_validators(self, news_ids: Collection[str]) -> dict[str, Any]:
        from crawler.crawl_state import CrawlState

        if self._db is None:
            assert self.database_url is not None
            self._db = CrawlState(self.database_url)  # read-only sessions: never waits for the writer
        return self._db.validators(korea_kr.SOURCE, news_ids)

    def closed_database(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- article pages ---------------------------------------------------------------------------

    def parse_article(
        self, response: Response, canonical: str, item: korea_kr.ListItem | None = None
    ) -> Iterator[Request | ParsedArticle | NotModified | FailedPage | FetchedPage]:
        if response.status == 304:
            yield NotModified(korea_kr.SOURCE, canonical.rsplit("=", 1)[1], canonical)
            return
        etag, last_modified = header(response, "ETag"), header(response, "Last-Modified")
        offload = self.parse_in_writer and self.section not in DOCUMENT_SECTIONS
        if offload and isinstance(response, TextResponse):
            # Nothing more to fetch for this article: the writer parses it (crawler.pages).
            yield FetchedPage(
                "korea_kr", canonical, response.body, response.encoding, self.section, etag, last_modified,
                ministry=item.ministry if item is not None else None,
                presenter=item.presenter if item is not None else None,
            )  # fmt: skip
            return
        try:
            article = korea_kr.parse_article(response.text, canonical, section=self.section)
        except CrawlError as exc:
            yield FailedPage(canonical, exc.kind, exc.message)
            return
        article = self._with_list_fields(article, item)
        if self.section not in DOCUMENT_SECTIONS:
            yield ParsedArticle(article, etag, last_modified)
            return
        # Best first: text in the page itself (older layout), the fact-check list's full text,
        # then the viewer and the attachments.
        if (own := inline_body(article.body_html)) is not None:
            yield ParsedArticle(article.with_changes(body_html=own, body_source="page"), etag, last_modified)
            return
        if self.section == "fact" and item is not None and (text := fact_text(item.lines)) is not None:
            listed = article.with_changes(
                body_html=text.html,
                contact=text.contact or article.contact,
                ministry=article.ministry or text.ministry,
                body_source="list",
            )
            yield ParsedArticle(listed, etag, last_modified)
            return
        yield from self._next_step(BodyJob(article, response.url, etag, last_modified, body_steps(article)))

    def _with_list_fields(self, article: Article, item: korea_kr.ListItem | None) -> Article:
        """Fields the view page may lack but its list row states (briefings: ministry, presenter)."""
        if item is None:
            return article
        return with_list_fields(article, item.ministry, item.presenter)

    def article_failed(self, failure: Failure) -> Iterator[FailedPage]:
        request = failure.request  # type: ignore[attr-defined]
        url = request.cb_kwargs.get("canonical", request.url)
        kind, reason = failure_kind(failure)
        yield FailedPage(url, kind, reason)

    def list_failed(self, failure: Failure) -> Iterator[FailedPage]:
        kind, reason = failure_kind(failure)
        yield FailedPage(failure.request.url, kind, f"list page: {reason}", stage="list")  # type: ignore[attr-defined]

    # --- bodies of press releases and fact-checks --------------------------------------------------

    def _next_step(self, job: BodyJob) -> Iterator[Request | FailedPage]:
        if not job.steps:
            tried = "; ".join(job.tried) or "no viewer iframe and no HWPX, HWP or PDF attachment"
            yield FailedPage(job.article.url, "no_body", f"no body in any channel: {tried}")
            return
        step, job = job.steps[0], replace(job, steps=job.steps[1:])
        if step.viewer is not None:
            yield self._viewer_request(job, step.viewer, 1, ())
        else:
            yield self._document_request(job, step)

    def _viewer_request(
        self, job: BodyJob, ref: ViewerRef, number: int, paragraphs: tuple[str, ...]
    ) -> Request:
        return Request(
            ref.page_url(number, self.base_url),
            callback=self.parse_viewer,
            errback=self.body_failed,
            headers={"Referer": job.page_url},
            meta={"handle_httpstatus_list": [404]},  # the page after the last one
            cb_kwargs={"job": job, "ref": ref, "number": number, "paragraphs": paragraphs},
            dont_filter=True,
        )

    def _document_request(self, job: BodyJob, step: BodyStep) -> Request:
        # /common/download.do hangs for requests without the page's session cookie and Referer
        # (docs/spec/korea-kr.md §8): the cookie jar is shared with the page, the Referer is set,
        # and a hard deadline and size cap bound every download. No retries: the next channel is
        # the retry.
        return Request(
            site_url(step.url, self.base_url),
            callback=self.parse_document,
            errback=self.body_failed,
            headers={"Referer": job.page_url},
            meta={
                "download_timeout": self.attachment_timeout,
                "download_maxsize": self.attachment_maxsize,
                "dont_retry": True,
            },
            cb_kwargs={"job": job, "kind": step.kind},
            dont_filter=True,
        )

    def parse_viewer(
        self, response: Response, job: BodyJob, ref: ViewerRef, number: int, paragraphs: tuple[str, ...]
    ) -> Iterator[Request | ParsedArticle | FailedPage]:
        if response.status == 404:
            if number == 1:
                yield from self._next_step(job.failed("viewer", "no converted pages (HTTP 404)"))
            else:
                yield from self._finish(job, paragraphs, "viewer")
            return
        paragraphs = (*paragraphs, *viewer_paragraphs(response.text))
        if number < MAX_VIEWER_PAGES:
            yield self._viewer_request(job, ref, number + 1, paragraphs)
        else:
            yield from self._finish(job, paragraphs, "viewer")

    async def parse_document(
        self, response: Response, job: BodyJob, kind: str
    ) -> AsyncIterator[Request | ParsedArticle | FailedPage]:
        try:
            # Off the event loop: a long PDF takes seconds that downloads should not wait for.
            paragraphs = await asyncio.to_thread(document_paragraphs, kind, response.body, self.limits)
        except DocumentError as exc:
            logger.warning("%s: %s attachment unusable: %s (%s)", job.article.url, kind, exc, exc.kind)
            for step in self._next_step(job.failed(kind, f"{exc.kind}: {exc}")):
                yield step
            return
        for out in self._finish(job, tuple(paragraphs), kind):
            yield out

    def _finish(
        self, job: BodyJob, paragraphs: tuple[str, ...], source: str
    ) -> Iterator[Request | ParsedArticle | FailedPage]:
        body = document_body(paragraphs)
        if body is None:
            yield from self._next_step(job.failed(source, "placeholder text only"))
            return
        article = job.article.with_changes(
            body_html=body.html, contact=body.contact or job.article.contact, body_source=source
        )
        yield ParsedArticle(article, job.etag, job.last_modified)

    def body_failed(self, failure: Failure) -> Iterator[Request | FailedPage]:
        request = failure.request  # type: ignore[attr-defined]
        kind, reason = failure_kind(failure)
        channel = request.cb_kwargs.get("kind", "viewer")
        job = request.cb_kwargs["job"]
        logger.warning("%s: %s channel failed: %s: %s", job.article.url, channel, kind, reason)
        yield from self._next_step(job.failed(channel, f"{kind}: {reason}"))
