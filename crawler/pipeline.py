"""Item pipeline: buffers items and writes each batch on one writer thread, item by item isolated.

Every article is cleaned (control characters, bidirectional overrides) where it enters here,
and one whose text was decoded in the wrong encoding becomes that item's error. A batch is
written in one transaction; an article the database refuses is that item's error and the rest
of the batch is stored. Posts are rendered outside the write transaction, and a rendering that
fails is that item's error too. A killed crawl loses at most its unflushed batch, which the
next crawl fetches again. Writes never run on the event loop thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler import progress
from crawler.items import FailedPage, ItemNote, NotModified, ParsedArticle, SourceCheck
from crawler.posts.render import PostRenderer
from crawler.protocol import ItemFailed
from domain.article import Article
from domain.text import clean_article, decoding_damage
from storage import Database, add_counts, record_check, record_errors, upsert_articles
from storage.articles import known_ids, store_posts
from storage.types import PostWanted
from storage.validators import HttpValidators, mark_not_modified, save_validators

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Batch:
    """Items waiting for the writer."""

    articles: list[Article] = field(default_factory=list)
    failures: list[FailedPage] = field(default_factory=list)
    notes: list[ItemNote] = field(default_factory=list)
    not_modified: list[NotModified] = field(default_factory=list)
    # The article pages' HTTP validators by (source, external_id).
    validators: dict[tuple[str, str], HttpValidators] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.articles) + len(self.failures) + len(self.notes) + len(self.not_modified)


@dataclass(slots=True)
class Written:
    """What one batch (or the whole crawl, summed) did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0  # every failed item: in the spider, wrongly decoded, refused, not rendered
    # The failed ones that the spider delivered as articles (not yet reported to the crawl child).
    rejected: list[FailedPage] = field(default_factory=list)

    def add(self, other: Written) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed


@dataclass(frozen=True, slots=True)
class Prerendered:
    article: Article
    post: tuple[str, str]  # (text, hash)


@dataclass(slots=True)
class Rendered:
    posts: dict[int, tuple[str, str] | None] = field(default_factory=dict)  # None: rendering failed
    failures: list[FailedPage] = field(default_factory=list)
    failed_statuses: list[str] = field(default_factory=list)  # what the upsert counted each one as
    refused: set[tuple[str, str]] = field(default_factory=set)  # (source, external_id) not to store


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
        self.batch = Batch()
        self.totals = Written()
        self.noted = 0
        self.check: SourceCheck | None = None
        self.last_flush = time.monotonic()
        self.db: Database | None = None
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefing-writer")

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
        )
        # The close reason comes with spider_closed, after close_spider: the source check waits for it.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.db = Database(self.database_url)

    async def process_item(self, item: Any) -> Any:
        ok = True
        if isinstance(item, ParsedArticle):
            ok = self._accept(item)
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
        if self.progress_events:
            progress.emit("item", ok=ok)
        if len(self.batch) >= self.batch_size or time.monotonic() - self.last_flush >= self.flush_seconds:
            await self.flush()
        return item

    def _accept(self, item: ParsedArticle) -> bool:
        """The one place articles enter storage: cleaned, and refused when wrongly decoded."""
        article = clean_article(item.article)
        if (damage := decoding_damage(article)) is not None:
            failure = FailedPage(article.url, "encoding", damage, stage="article")
            self.batch.failures.append(failure)
            self._reject([failure])
            return False
        self.batch.articles.append(article)
        validators = HttpValidators(item.etag, item.last_modified)
        if validators:  # a channel without validators (an API) must not erase the page's
            self.batch.validators[(article.source, article.external_id)] = validators
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
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self.writer, self._write, batch)
        except Exception as exc:  # the database itself failed; stop the crawl, it cannot store
            await self._storage_failed(exc)
            return
        self.totals.add(result)
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

    def _write(self, batch: Batch) -> Written:
        """Store a batch (writer thread) and its run's errors and counts.

        Articles not stored yet are rendered first, outside any transaction: one the renderer
        cannot take is a failed item and is not stored. The rest are written in one transaction
        (an article the database refuses is a failed item); then the posts of what changed are
        rendered, again outside the transaction, and stored with the run's errors and counts.
        """
        assert self.db is not None
        with self.db.session(read_only=True) as session:
            known = known_ids(session=session, keys=[(a.source, a.external_id) for a in batch.articles])
        ready, early = self._render_new([a for a in batch.articles if (a.source, a.external_id) not in known])
        storable = [a for a in batch.articles if (a.source, a.external_id) not in early.refused]
        with self.db.session() as session:
            result = upsert_articles(session=session, articles=storable, run_id=self.run_id)
            refused = {(f.source, f.external_id) for f in result.failed} | early.refused
            self._store_validators(session, batch, refused=refused)
        late = self._render(result.posts, ready)  # outside the write transaction
        rejected = [
            *early.failures,
            *(FailedPage(f.url, "store_error", f.reason, stage="store") for f in result.failed),
            *late.failures,
        ]
        failures = [*batch.failures, *rejected]
        for status in late.failed_statuses:  # stored, but without its post: a failed item
            setattr(result, status, getattr(result, status) - 1)
        result.unchanged += len(batch.not_modified)  # a 304 is an unchanged article
        with self.db.session() as session:
            store_posts(session=session, posts=late.posts)
            if self.run_id is not None:
                notes = [(n.url, n.kind, n.reason, n.stage) for n in batch.notes]
                record_errors(
                    session=session,
                    run_id=self.run_id,
                    errors=[(f.url, f.kind, f.reason, f.stage) for f in failures] + notes,
                )
                add_counts(
                    session=session,
                    run_id=self.run_id,
                    seen=len(batch.articles) + len(batch.failures) + len(batch.not_modified),
                    new=result.new,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    failed=len(failures),
                )
        return Written(result.new, result.updated, result.unchanged, len(failures), rejected)

    def _store_validators(self, session: Any, batch: Batch, *, refused: set[tuple[str, str]]) -> None:
        # Same transaction as the articles: validators are never stored without what they describe.
        kept = {key: v for key, v in batch.validators.items() if key not in refused}
        for source in {s for s, _ in kept}:
            save_validators(
                session=session, source=source, validators={i: v for (s, i), v in kept.items() if s == source}
            )
        for source in {n.source for n in batch.not_modified}:
            ids = [n.external_id for n in batch.not_modified if n.source == source]
            mark_not_modified(session=session, source=source, external_ids=ids)

    def _render_new(self, articles: list[Article]) -> tuple[dict[tuple[str, str], Prerendered], Rendered]:
        """Render articles about to be stored for the first time; the ones the renderer cannot
        take are failed items (`refused`), never stored half (an article without its post)."""
        ready: dict[tuple[str, str], Prerendered] = {}
        rendered = Rendered()
        for article in articles:
            key = (article.source, article.external_id)
            try:
                ready[key] = Prerendered(article, self.renderer.render(article))
            except Exception as exc:  # any bug or input the normalizer cannot take
                rendered.failures.append(_render_failure(article, exc))
                rendered.refused.add(key)
        return ready, rendered

    def _render(self, wanted: list[PostWanted], ready: dict[tuple[str, str], Prerendered]) -> Rendered:
        """The posts of what the upsert changed: rendered before when the stored article is the
        one rendered (a new article), else now; a failure is that article's error."""
        rendered = Rendered()
        for post in {p.id: p for p in wanted}.values():  # an article merged twice: its last state
            early = ready.get((post.article.source, post.article.external_id))
            if early is not None and early.article == post.article:
                rendered.posts[post.id] = early.post
                continue
            try:
                rendered.posts[post.id] = self.renderer.render(post.article)
            except Exception as exc:
                rendered.posts[post.id] = None  # no stale post; the next crawl tries again
                rendered.failures.append(_render_failure(post.article, exc))
                rendered.failed_statuses.append(post.status)
        return rendered

    async def close_spider(self) -> None:
        await self.flush()  # the database stays open for spider_closed, which knows the reason

    async def spider_closed(self, reason: str) -> None:
        """Store what the crawl learnt about its source, then let the database go (connected
        in from_crawler; a pipeline built directly is closed by calling it)."""
        try:
            check = self._check_to_store(reason)
            if check is not None and self.db is not None:
                await asyncio.get_running_loop().run_in_executor(self.writer, self._record_check, check)
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

    def _record_check(self, check: SourceCheck) -> None:
        assert self.db is not None
        with self.db.session() as session:
            record_check(session=session, name=check.source, kind=check.kind, url=check.url,
                         status=check.status, error=check.error, etag=check.etag,
                         last_modified=check.last_modified, keep_validators=check.not_modified)

    def _release(self) -> None:
        self.writer.shutdown(wait=True)
        if self.db is not None:
            self.db.dispose()
            self.db = None


def _render_failure(article: Article, exc: Exception) -> FailedPage:
    reason = f"the post could not be rendered: {type(exc).__name__}: {exc}".splitlines()[0][:500]
    logger.warning("failed %s: %s (normalize)", article.url, reason)
    return FailedPage(article.url, "normalize_error", reason, stage="normalize")
