"""Probe spiders for `briefing check`: the newest list page of a source and its first item, nothing stored.

Each probe is the source's crawl spider with its callbacks narrowed: the same requests (form,
POST, headers, outbound policy, robots.txt, politeness), but it reads one list page, fetches
one item, and records what it saw in `ProbeResult` (crawler.contract judges it). Run in a
crawl child (`python -m crawler.run` with the probe flag), never in the service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.contract import PROBE_PREFIX, ProbeResult
from crawler.errors import CrawlError
from crawler.sites import korea_kr
from crawler.sites.feed import FeedEntry, extract_body, page_text, parse_feed
from crawler.spiders.failures import failure_kind
from crawler.spiders.feed import FeedSpider
from crawler.spiders.korea_kr import KoreaKrSpider


class _Seen:
    """What a probe saw so far (turned into a ProbeResult at the end)."""

    def __init__(self, target: str, *, layout_required: bool) -> None:
        self.target = target
        self.layout_required = layout_required
        self.values: dict[str, Any] = {}
        self.list_errors: list[str] = []
        self.list_pages = 0

    def result(self) -> ProbeResult:
        return ProbeResult(
            target=self.target,
            list_pages=self.list_pages,
            list_errors=tuple(self.list_errors),
            layout_required=self.layout_required,
            **self.values,
        )

    def listed(self, ids: list[str]) -> None:
        self.list_pages += 1
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        self.values.update(list_items=len(ids), duplicate_ids=tuple(repeated))

    def item(self, url: str, *, title: str, published_at: datetime | None, body: str,
             layout: str | None) -> None:
        self.values.update(item_url=url, title=title, published_at=published_at,
                           body_chars=len(body.strip()), layout=layout)


class KoreaKrProbe(KoreaKrSpider):
    name = "korea_kr_probe"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen = _Seen(f"korea_kr:{self.section}", layout_required=True)

    async def parse_list(self, response: Response, index: int) -> AsyncIterator[Request]:
        page = korea_kr.parse_list_page(response.text, response.url)
        # Items by their newsId: one listed under two hosts (www and admin2) is listed twice.
        self.seen.listed([item.news_id for item in page.items])
        if page.items:
            yield self._article_request(page.items[0], None)

    def parse_article(  # type: ignore[override]
        self, response: Response, canonical: str, item: korea_kr.ListItem | None = None
    ) -> Iterator[Any]:
        try:
            article = korea_kr.parse_article(response.text, canonical, section=self.section)
        except CrawlError as exc:
            why = exc.message if exc.message.startswith(exc.kind) else f"{exc.kind}: {exc.message}"
            self.seen.values.update(item_url=canonical, item_error=why)
            return
        self.seen.item(canonical, title=article.title, published_at=article.published_at,
                       body=article.body_html, layout=article.layout)
        yield from ()

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        kind, reason = failure_kind(failure)
        self.seen.values.update(item_url=request.cb_kwargs.get("canonical", request.url),
                                item_error=f"{kind}: {reason}")
        yield from ()

    def list_failed(self, failure: Failure) -> Iterator[Any]:
        kind, reason = failure_kind(failure)
        self.seen.list_errors.append(f"{kind}: list page: {reason}")
        yield from ()

    def parse_form(self, response: Response) -> Iterator[Any]:
        for out in super().parse_form(response):
            if isinstance(out, Request):
                yield out
            else:  # the list page has no form: the list layout changed
                self.seen.list_errors.append(f"{out.kind}: {out.reason}")


class FeedProbe(FeedSpider):
    """A feed's contract: the document is a feed with entries, ids once, the first entry whole."""

    name = "feed_probe"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = None
        self.seen = _Seen(self.source, layout_required=False)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> FeedProbe:
        spider: FeedProbe = super(FeedSpider, cls).from_crawler(crawler, *args, **kwargs)
        return spider  # no stored validators: a probe always fetches the whole feed

    async def parse_feed(self, response: Response) -> AsyncIterator[Any]:
        if response.status != 200:
            self.seen.list_errors.append(f"http_{response.status}: feed: HTTP {response.status}")
            return
        content_type = response.headers.get("Content-Type")
        feed = parse_feed(response.body, url=response.url, fetched_at=datetime.now(UTC),
                          content_type=content_type.decode("latin-1") if content_type else None)
        if not feed.is_feed:
            self.seen.list_errors.append(f"not_a_feed: {feed.problem}")
            return
        self.seen.listed([entry.external_id for entry in feed.entries])
        if not feed.entries:
            return
        first = max(feed.entries, key=lambda e: e.published_at)
        if first.full or first.body_html.strip():
            self.seen.item(first.url, title=first.title, published_at=first.published_at,
                           body=first.body_html, layout=None)
            return
        # A summary-only feed: the body is the entry's page, as the crawl reads it.
        yield Request(first.url, callback=self.probe_page, errback=self.probe_page_failed,
                      cb_kwargs={"entry": first})

    def probe_page(self, response: Response, entry: FeedEntry) -> Iterator[Any]:
        content_type = response.headers.get("Content-Type")
        html = page_text(response.body, content_type.decode("latin-1") if content_type else None)
        body = extract_body(html, url=response.url, title=entry.title)
        self.seen.item(entry.url, title=entry.title, published_at=entry.published_at, body=body, layout=None)
        yield from ()

    def probe_page_failed(self, failure: Failure) -> Iterator[Any]:
        kind, reason = failure_kind(failure)
        self.seen.values.update(item_url=failure.request.url,  # type: ignore[attr-defined]
                                item_error=f"{kind}: the entry's page: {reason}")
        yield from ()

    def feed_failed(self, failure: Failure) -> Iterator[Any]:
        kind, reason = failure_kind(failure)
        self.seen.list_errors.append(f"{kind}: feed: {reason}")
        yield from ()

    def closed(self, reason: str) -> None:
        return None


PROBES: dict[str, type[KoreaKrProbe] | type[FeedProbe]] = {"korea_kr": KoreaKrProbe, "feed": FeedProbe}



def main(argv: list[str] | None = None) -> int:
    """`python -m crawler.probe --options -`: probe one source, print its ProbeResult as one line
    (`@briefing-probe {json}`) on stdout. Exit 0 when the probe ran (the contract is the
    caller's to judge), 2 on bad options."""
    import argparse
    import json
    import sys

    from crawler.protocol import CrawlOptions

    parser = argparse.ArgumentParser(prog="python -m crawler.probe", description=main.__doc__)
    parser.add_argument("--options", required=True, help="CrawlOptions as JSON, or - for standard input")
    args = parser.parse_args(argv)
    try:
        options = CrawlOptions.from_json(sys.stdin.read() if args.options == "-" else args.options)
    except ValueError as exc:  # never print the options: they hold the database URL
        print(f"crawler.probe: bad options: {type(exc).__name__}", file=sys.stderr)
        return 2
    probe = PROBES.get(options.source)
    if probe is None:
        print(f"crawler.probe: no probe for source kind {options.source}", file=sys.stderr)
        return 2
    from crawler.redact import install_log_redaction

    install_log_redaction()
    from scrapy.crawler import AsyncCrawlerProcess

    from crawler.scrapy_settings import scrapy_settings

    settings = scrapy_settings(options) | {
        "ITEM_PIPELINES": {},  # a probe stores nothing
        "BRIEFING_CONDITIONAL_REQUESTS": False,  # and asks for whole pages
        "BRIEFING_DATABASE_URL": "",
        "BRIEFING_ARCHIVE_DIR": "",  # nor archives: its pages are not the crawl's
    }
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(probe)
    process.crawl(crawler, section=options.section, since=options.since, until=options.until,
                  base_url=options.base_url)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, KoreaKrProbe | FeedProbe)
    print(PROBE_PREFIX + json.dumps(spider.seen.result().to_json(), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
