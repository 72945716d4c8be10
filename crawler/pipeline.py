"""Item pipeline: buffers items and writes each batch in one transaction on one writer thread.

A batch is stored whole or not at all, so a killed crawl loses at most its unflushed batch,
which the next crawl fetches again. Writes never run on the event loop thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler import progress
from crawler.items import FailedPage, NotModified, ParsedArticle
from crawler.posts.render import PostRenderer
from domain.article import Article
from storage import Database, UpsertResult, add_counts, record_errors, upsert_articles
from storage.validators import HttpValidators, mark_not_modified, save_validators

logger = logging.getLogger(__name__)


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
    ) -> None:
        self.crawler = crawler
        self.storage_error: str | None = None
        self.database_url = database_url
        self.run_id = run_id
        self.renderer = PostRenderer.from_path(profile_path)
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.progress_events = progress_events
        self.articles: list[Article] = []
        self.failures: list[FailedPage] = []
        self.not_modified: list[NotModified] = []
        self.validators: dict[tuple[str, str], HttpValidators] = {}
        self.totals = UpsertResult()
        self.failed = 0
        self.last_flush = time.monotonic()
        self.db: Database | None = None
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefing-writer")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        s = crawler.settings
        return cls(
            database_url=s["BRIEFING_DATABASE_URL"],
            run_id=s.getint("BRIEFING_RUN_ID") or None,
            profile_path=s.get("BRIEFING_PROFILE_PATH"),
            batch_size=s.getint("BRIEFING_BATCH_SIZE", 200),
            flush_seconds=s.getfloat("BRIEFING_FLUSH_SECONDS", 2.0),
            progress_events=s.getbool("BRIEFING_PROGRESS"),
            crawler=crawler,
        )

    def open_spider(self) -> None:
        self.db = Database(self.database_url)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ParsedArticle):
            self.articles.append(item.article)
            validators = HttpValidators(item.etag, item.last_modified)
            if validators:  # a channel without validators (an API) must not erase the page's
                self.validators[(item.article.source, item.article.external_id)] = validators
        elif isinstance(item, NotModified):
            self.not_modified.append(item)
        elif isinstance(item, FailedPage):
            self.failures.append(item)
            # crawler.run logs the one line per failed item (url, stage, kind, reason).
        else:
            raise DropItem(f"unexpected item type {type(item).__name__}")
        if self.progress_events:
            progress.emit("item", ok=not isinstance(item, FailedPage))
        pending = len(self.articles) + len(self.failures) + len(self.not_modified)
        if pending >= self.batch_size or time.monotonic() - self.last_flush >= self.flush_seconds:
            await self.flush()
        return item

    async def flush(self) -> None:
        articles, failures, not_modified = self.articles, self.failures, self.not_modified
        validators = self.validators
        self.articles, self.failures, self.not_modified, self.validators = [], [], [], {}
        self.last_flush = time.monotonic()
        if not articles and not failures and not not_modified:
            return
        if self.storage_error is not None:
            return  # the database already failed; the crawl is stopping
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self.writer, self._write, articles, failures, not_modified, validators
            )
        except Exception as exc:  # the batch rolled back whole; stop the crawl, it cannot store
            await self._storage_failed(exc)
            return
        self.totals.add(result)
        self.failed += len(failures)
        if self.progress_events:
            progress.emit(
                "stored",
                new=result.new,
                updated=result.updated,
                unchanged=result.unchanged,
                failed=len(failures),
            )

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

    def _write(
        self,
        articles: list[Article],
        failures: list[FailedPage],
        not_modified: list[NotModified] | None = None,
        validators: dict[tuple[str, str], HttpValidators] | None = None,
    ) -> UpsertResult:
        assert self.db is not None
        not_modified = not_modified or []
        with self.db.session() as session:
            result = upsert_articles(
                session=session, articles=articles, run_id=self.run_id, render_post=self.renderer.render
            )
            # Same transaction: validators are never stored without the article they describe.
            for source in {s for s, _ in validators or {}}:
                save_validators(
                    session=session,
                    source=source,
                    validators={i: v for (s, i), v in (validators or {}).items() if s == source},
                )
            for source in {n.source for n in not_modified}:
                ids = [n.external_id for n in not_modified if n.source == source]
                mark_not_modified(session=session, source=source, external_ids=ids)
            result.unchanged += len(not_modified)  # a 304 is an unchanged article
            if self.run_id is not None:
                record_errors(
                    session=session,
                    run_id=self.run_id,
                    errors=[(f.url, f.kind, f.reason, f.stage) for f in failures],
                )
                add_counts(
                    session=session,
                    run_id=self.run_id,
                    seen=len(articles) + len(failures) + len(not_modified),
                    new=result.new,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    failed=len(failures),
                )
        return result

    async def close_spider(self) -> None:
        try:
            await self.flush()
        finally:
            self.writer.shutdown(wait=True)
            if self.db is not None:
                self.db.dispose()
