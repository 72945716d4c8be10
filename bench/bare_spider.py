"""The peer of figure 2: a bare Scrapy spider that fetches a given list of requests and discards them.

Run as a child, like briefing's crawl: `python -m bench.bare_spider` with JSON on stdin
(`{"requests": [[method, url], …], "concurrency": n, "obey_robots": true, "timeout": s}`); it
prints one JSON line with Scrapy's download counters. No item pipeline, no parsing, no storage,
Scrapy's own middlewares only; the same reactor, concurrency and (absent) delays as briefing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any


def settings(concurrency: int, obey_robots: bool, timeout: float) -> dict[str, Any]:
    return {
        "BOT_NAME": "bare",
        "USER_AGENT": "bare-scrapy-bench/1",
        "ROBOTSTXT_OBEY": obey_robots,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_TIMEOUT": timeout,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }


def main() -> int:
    job = json.loads(sys.stdin.read())
    import scrapy
    from scrapy.crawler import AsyncCrawlerProcess

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self) -> AsyncIterator[scrapy.Request]:
            for method, url in job["requests"]:
                yield scrapy.Request(url, method=method, callback=self.parse, dont_filter=True)

        def parse(self, response: Any) -> None:
            return None  # fetched and thrown away

    process = AsyncCrawlerProcess(settings(job["concurrency"], job["obey_robots"], job["timeout"]))
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    process.start()
    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    print(json.dumps({
        "responses": stats.get("downloader/response_count", 0),
        "bytes": stats.get("downloader/response_bytes", 0),
        "status_200": stats.get("downloader/response_status_count/200", 0),
        "finish_reason": stats.get("finish_reason"),
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
