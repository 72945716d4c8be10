"""Run a real Scrapy crawl with briefing's settings and report what each layer of the outbound
policy did: `python -m tests.outbound_probe '<json>'`, one JSON line per event on stdout.

The JSON names `base_url` (the configured origin), `urls` (to request), and `without_middleware`
(true: drop OutboundMiddleware, to show the connect-time resolver on its own). The middleware is
replaced by a subclass that also prints every URL it is asked about, so a test sees which
requests (redirects, robots.txt) really pass through it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import scrapy
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.middleware import OutboundMiddleware
from crawler.scrapy_settings import scrapy_settings
from crawler.spiders.failures import failure_kind
from scheduler.crawls import CrawlTarget, crawl_options
from scheduler.settings import Settings


def emit(**event: Any) -> None:
    print(json.dumps(event), flush=True)


class RecordingOutboundMiddleware(OutboundMiddleware):
    async def process_request(self, request: Request) -> None:
        emit(seen=request.url)
        await super().process_request(request)


class ProbeSpider(scrapy.Spider):
    name = "probe"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[Request]:
        for url in self.urls:
            yield Request(url, callback=self.fetched, errback=self.failed, dont_filter=True)

    def fetched(self, response: Response) -> Iterator[Any]:
        emit(ok=response.request.url if response.request else response.url, status=response.status)
        return iter(())

    def failed(self, failure: Failure) -> Iterator[Any]:
        kind, reason = failure_kind(failure)
        request = failure.request  # type: ignore[attr-defined]
        emit(failed=request.url, kind=kind, error=type(failure.value).__name__, reason=reason)
        return iter(())


def main() -> None:
    config = json.loads(sys.argv[1])
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url="sqlite://", crawl_delay=0, crawl_autothrottle=False, crawl_retries=0,
        crawl_timeout=5,
    )
    day = date(2026, 1, 1)
    options = crawl_options(settings, CrawlTarget("probe", "probe", config["base_url"]), day, day, None)
    scrapy = scrapy_settings(options)
    middlewares = dict(scrapy["DOWNLOADER_MIDDLEWARES"])
    middlewares["crawler.middleware.OutboundMiddleware"] = None
    if not config.get("without_middleware"):
        middlewares["tests.outbound_probe.RecordingOutboundMiddleware"] = 50
    scrapy.update(DOWNLOADER_MIDDLEWARES=middlewares, ITEM_PIPELINES={}, LOG_ENABLED=False)
    process = AsyncCrawlerProcess(scrapy)
    process.crawl(ProbeSpider, urls=config["urls"])
    process.start()


if __name__ == "__main__":
    main()
