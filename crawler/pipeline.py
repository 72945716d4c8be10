"""Item pipeline: buffers items and hands each batch to the crawl's writer, item by item isolated.

Every article is cleaned (control characters, bidirectional overrides) where it enters here
(`Batch.admit`), and one whose text was decoded in the wrong encoding becomes that item's error;
an article page handed over unparsed (crawler.pages) is parsed and admitted by the writer. The writer
(crawler/writer.py: its own process by default) stores a batch in one transaction; an article
the database refuses is that item's error and the rest of the batch is stored. Posts are
rendered outside the write transaction, and a rendering that fails is that item's error too.
A killed crawl loses at most its unflushed batch, which the next crawl fetches again. Writes
never run on the event loop thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, cast

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler import progress
from crawler.drift import count_item, stats_of
from crawler.items import FailedPage, ItemNote, NotModified, ParsedArticle, SourceCheck
from crawler.pages import FetchedPage
from crawler.posts.render import PostRenderer
from crawler.protocol import ItemFailed
from crawler.writer import Batch, Writer, WriterKind, Written, start_writer

logger = logging.getLogger(__name__)

# Batches handed to the writer and not written yet. Items wait for room beyond that, and Scrapy
# stops taking responses while they wait: a writer slower than the fetching (article pages it
# parses are 60-70 KiB each) never has more than this many batches queued in memory.
MAX_BATCHES_WRITING = 2


class StoragePipeline:
    def __init__(
        self,
        *,
        database_url: str,
        run_id: int | None,
        profile_path: str | None = None,
        batch_size: int = 200,
        flush_seconds: float = 2.0,
        progress_events: bool = False,
        crawler: Crawler | None = None,
        writer_kind: WriterKind = "thread",
        log_format: str | None = None,
    ) -> None:
        self.crawler = crawler
        self.storage_error: str | None = None
        self.database_url = database_url
        self.run_id = run_id
        self.profile_path = profile_path
        self.renderer = PostRenderer.from_path(profile_path)  # a bad profile fails here, before a fetch
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.progress_events = progress_events
        self.batch = Batch()
        self.totals = Written()
        self.noted = 0
        self.check: SourceCheck | None = None
        self.last_flush = time.monotonic()
        self.writer_kind = writer_kind
        self.log_format = log_format
        self.writer: Writer | None = None
        self.writing = 0  # batches handed to the writer, not written yet
        self.written = asyncio.Event()  # set whenever one is

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        s = crawler.settings
        pipeline = cls(
            database_url=s["BRIEFING_DATABASE_URL"],
            run_id=s.getint("BRIEFING_RUN_ID") or None,
            profile_path=s.get("BRIEFING_PROFILE_PATH"),
            batch_size=s.getint("BRIEFING_BATCH_SIZE", 200),
            flush_seconds=s.getfloat("BRIEFING_FLUSH_SECONDS", 2.0),
            progress_events=s.getbool("BRIEFING_PROGRESS"),
            crawler=crawler,
            writer_kind=cast(WriterKind, s.get("BRIEFING_WRITER", "process")),
            log_format=s.get("BRIEFING_LOG_FORMAT"),
        )
        # The close reason comes with spider_closed, after close_spider: the source check waits for it.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.writer = start_writer(
            self.writer_kind, database_url=self.database_url, run_id=self.run_id,
            profile_path=self.profile_path, renderer=self.renderer, log_format=self.log_format,
        )  # fmt: skip

    async def process_item(self, item: Any) -> Any:
        while self.writing >= MAX_BATCHES_WRITING and self.storage_error is None:
            self.written.clear()
            await self.written.wait()
        ok, counted_here = True, True
        if isinstance(item, ParsedArticle):
            ok = self._accept(item)
        elif isinstance(item, FetchedPage):
            # Parsed by the writer: a page it cannot parse comes back as a rejected item, and
            # its yield (crawler.drift) with the batch's result.
            self.batch.pages.append(item)
            counted_here = False
        elif isinstance(item, NotModified):
            self.batch.not_modified.append(item)
        elif isinstance(item, FailedPage):
            ok = False
            self.batch.failures.append(item)  # crawler.run counts and logs it (item_scraped)
        elif isinstance(item, ItemNote):
            self.batch.notes.append(item)
            self.noted += 1
            logger.warning("note %s: %s (%s)", item.url, item.reason, item.kind)
            return item
        elif isinstance(item, SourceCheck):
            self.check = item
            return item
        else:
            raise DropItem(f"unexpected item type {type(item).__name__}")
        if counted_here and (ok or isinstance(item, FailedPage)):  # the run's yield, for the drift alarm
            count_item(stats_of(self), item)
        if self.progress_events:
            progress.emit("item", ok=ok)
        if len(self.batch) >= self.batch_size or time.monotonic() - self.last_flush >= self.flush_seconds:
            await self.flush()
        return item

    def _accept(self, item: ParsedArticle) -> bool:
        """Articles enter storage through `Batch.admit`: cleaned, and refused when wrongly decoded."""
        failure = self.batch.admit(item)
        if failure is not None:
            self.batch.failures.append(failure)
            self._reject([failure])
            return False
        return True

    def _reject(self, failures: list[FailedPage]) -> None:
        """Items the spider delivered that failed here (decoding, rendering, the database): the
        crawl child counts them as failed and logs them, through the protocol's event."""
        if not self.progress_events:
            return
        for f in failures:
            progress.emit(ItemFailed(url=f.url, stage=f.stage, kind=f.kind, reason=f.reason, rejected=True))

    async def flush(self) -> None:
        batch, self.batch = self.batch, Batch()
        self.last_flush = time.monotonic()
        if not len(batch) or self.storage_error is not None:
            return  # nothing to write, or the database already failed and the crawl is stopping
        assert self.writer is not None, "open_spider starts the writer"
        self.writing += 1
        try:
            result = await self.writer.write(batch)
        except Exception as exc:  # the database itself failed; stop the crawl, it cannot store
            await self._storage_failed(exc)
            return
        finally:
            self.writing -= 1
            self.written.set()
        self.totals.add(result)
        if result.yield_counts and (stats := stats_of(self)) is not None:
            for key, n in result.yield_counts.items():
                stats.inc_value(key, n)
        self._reject(result.rejected)
        if self.progress_events:
            progress.emit("stored", new=result.new, updated=result.updated,
                          unchanged=result.unchanged, failed=result.failed)

    async def _storage_failed(self, exc: Exception) -> None:
        self.storage_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        logger.error("storage failed, stopping the crawl: %s", self.storage_error)
        if self.crawler is not None:
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("briefing/storage_error", self.storage_error)
            if self.crawler.engine is not None and self.crawler.engine.running:
                asyncio.get_running_loop().create_task(
                    self.crawler.engine.close_spider_async(reason="storage_error")
                )

    async def close_spider(self) -> None:
        await self.flush()  # the database stays open for spider_closed, which knows the reason

    async def spider_closed(self, reason: str) -> None:
        """Store what the crawl learnt about its source, then let the database go (connected
        in from_crawler; a pipeline built directly is closed by calling it)."""
        try:
            check = self._check_to_store(reason)
            if check is not None and self.writer is not None:
                await self.writer.record_check(check)
        finally:
            self._release()

    def _check_to_store(self, reason: str) -> SourceCheck | None:
        """The source check to store, or None when this crawl must leave the stored state alone."""
        if self.check is None or reason != "finished" or self.storage_error is not None:
            return None  # the items were not (all) stored: keep the old validators so they come again
        if (self.totals.failed or self.noted) and not self.check.not_modified:
            # Some items failed or were kept with a fallback: no validators, so the next crawl
            # gets the whole source again and retries them.
            return SourceCheck(self.check.source, self.check.kind, self.check.url, self.check.status,
                               self.check.error)
        return self.check

    def _release(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
