"""Downloader middleware that keeps article pages in the WARC archive (crawler.archive) as fetched.

A spider marks the requests whose response an article is parsed from with
`meta["briefing_archive"] = <canonical article URL>`; every such response answered 200 is
appended to the crawl's archive file, decoded (it sits after HttpCompressionMiddleware) and
before the spider parses it. That includes pages the parser then fails on (a layout it does
not know yet): after a parser fix, `briefing reparse` recovers them without a request.
Off when BRIEFING_ARCHIVE_DIR is empty. Records are compressed and written on a thread of their
own (zlib and the digests let go of the interpreter lock), one after another in fetch order; the
response goes on to the spider once its page is in the file.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.archive import DEFAULT_MAX_BYTES, ArchivedPage, WarcArchive

logger = logging.getLogger(__name__)
META_KEY = "briefing_archive"
# Process responses after HttpCompressionMiddleware (590) has decoded them: lower runs later.
PRIORITY = 585


class ArchiveMiddleware:
    def __init__(self, archive: WarcArchive, *, target: str, crawler: Crawler | None = None) -> None:
        self.crawler = crawler
        self.archive = archive
        self.target = target  # e.g. "korea_kr:policy"
        self.failed = False
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefing-archive")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        s = crawler.settings
        directory = s.get("BRIEFING_ARCHIVE_DIR")
        if not directory:
            raise NotConfigured("no archive directory")
        archive = WarcArchive(
            directory,
            max_bytes=s.getint("BRIEFING_ARCHIVE_MAX_BYTES", DEFAULT_MAX_BYTES),
            retention_days=s.getint("BRIEFING_ARCHIVE_RETENTION_DAYS", 0),
        )
        middleware = cls(archive, target=s.get("BRIEFING_TARGET", ""), crawler=crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self) -> None:
        try:
            self.archive.open()
        except OSError as exc:
            self._give_up(exc)

    def spider_closed(self) -> None:
        self.writer.shutdown(wait=True)
        self.archive.close()

    async def process_response(self, request: Request, response: Response) -> Any:
        canonical = request.meta.get(META_KEY)
        if not canonical or response.status != 200 or self.failed:
            return response
        spider: Spider | None = self.crawler.spider if self.crawler is not None else None
        section = getattr(spider, "section", "") or self.target.partition(":")[2]
        page = ArchivedPage(
            source=self.target or f"{getattr(spider, 'name', '')}:{section}",
            url=response.url,
            canonical_url=str(canonical),
            section=str(section),
            fetched_at=datetime.now(UTC),
            status=response.status,
            body=response.body,
            headers=tuple(
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, values in response.headers.items()
                for v in values
            ),
        )
        try:
            await asyncio.get_running_loop().run_in_executor(self.writer, self.archive.write, page)
        except OSError as exc:  # a full disk must not stop the crawl: its articles still count
            self._give_up(exc)
        return response

    def _give_up(self, exc: OSError) -> None:
        self.failed = True
        logger.error("archive: cannot write to %s, pages of this crawl are not archived: %s",
                     self.archive.directory, exc)
