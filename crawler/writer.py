"""The crawl's writer: renders posts and stores batches, away from the reactor.

Every batch the pipeline collects is written by one `BatchWriter`: articles not stored yet are
rendered outside any transaction, the batch is upserted in one transaction (an article the
database refuses is that item's error), then the posts of what changed are rendered and stored
with the run's errors and counts.

By default the writer runs in a process of its own (`WriterProcess`), as the crawl child runs
apart from the service: fetching holds the reactor's thread, rendering and storing hold a writer,
and in one process both would take turns under one interpreter lock; in two they use two cores.
A writer process also parses the article pages the spider hands over unparsed (crawler.pages):
a batch's pages become its articles, or failed items, before anything is stored.
The writer process ignores the crawl's stop signals: the crawl child tells it when to finish, so
a stopped crawl still stores what it has and never loses a batch half-written. If the crawl
child dies, the writer sees its pipe close and exits. `WriterThread` keeps the writer in the
crawl's own process (tests that hand in their own renderer; machines with one core).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from crawler.items import FailedPage, ItemNote, NotModified, ParsedArticle, SourceCheck
from crawler.pages import FetchedPage, parse_page, yield_counts
from crawler.posts.render import PostRenderer
from domain.article import Article
from domain.text import clean_article, decoding_damage
from storage import Database, add_counts, record_check, record_errors, upsert_articles
from storage.articles import known_ids, store_posts
from storage.types import PostWanted
from storage.validators import HttpValidators, mark_not_modified, save_validators

logger = logging.getLogger(__name__)

WriterKind = Literal["process", "thread"]


@dataclass(slots=True)
class Batch:
    """Items waiting for the writer."""

    articles: list[Article] = field(default_factory=list)
    failures: list[FailedPage] = field(default_factory=list)
    notes: list[ItemNote] = field(default_factory=list)
    not_modified: list[NotModified] = field(default_factory=list)
    # The article pages' HTTP validators by (source, external_id).
    validators: dict[tuple[str, str], HttpValidators] = field(default_factory=dict)
    # Article pages the writer parses (crawler.pages); each becomes an article or a failure.
    pages: list[FetchedPage] = field(default_factory=list)

    def __len__(self) -> int:
        return (len(self.articles) + len(self.failures) + len(self.notes) + len(self.not_modified)
                + len(self.pages))

    def admit(self, item: ParsedArticle) -> FailedPage | None:
        """The one place articles enter storage: cleaned, and refused when wrongly decoded."""
        article = clean_article(item.article)
        if (damage := decoding_damage(article)) is not None:
            return FailedPage(article.url, "encoding", damage, stage="article")
        self.articles.append(article)
        validators = HttpValidators(item.etag, item.last_modified)
        if validators:  # a channel without validators (an API) must not erase the page's
            self.validators[(article.source, article.external_id)] = validators
        return None


@dataclass(slots=True)
class Written:
    """What one batch (or the whole crawl, summed) did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0  # every failed item: in the spider, wrongly decoded, refused, not rendered
    # The failed ones that the spider delivered as articles (not yet reported to the crawl child).
    rejected: list[FailedPage] = field(default_factory=list)
    # Drift counters (crawler.drift) of the pages this batch parsed, for the crawl's stats.
    yield_counts: Counter[str] = field(default_factory=Counter)

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


class BatchWriter:
    """Writes batches of one crawl run into the database, rendering posts with one profile."""

    def __init__(self, database_url: str, run_id: int | None, renderer: PostRenderer) -> None:
        self.db = Database(database_url)
        self.run_id = run_id
        self.renderer = renderer

    def write(self, batch: Batch) -> Written:
        """Store a batch and its run's errors and counts.

        Articles not stored yet are rendered first, outside any transaction: one the renderer
        cannot take is a failed item and is not stored. The rest are written in one transaction
        (an article the database refuses is a failed item); then the posts of what changed are
        rendered, again outside the transaction, and stored with the run's errors and counts.
        Pages not parsed yet are parsed first; one the parser refuses is a failed item.
        """
        parse_failures, counts = self._parse_pages(batch)
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
            *parse_failures,
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
                    seen=(len(batch.articles) + len(batch.failures) + len(batch.not_modified)
                          + len(parse_failures)),
                    new=result.new,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    failed=len(failures),
                )
        return Written(result.new, result.updated, result.unchanged, len(failures), rejected, counts)

    def _parse_pages(self, batch: Batch) -> tuple[list[FailedPage], Counter[str]]:
        """Parse the batch's pages into its articles (crawler.pages); returns the failures, which
        the spider would have yielded, and the parsed items' drift counters."""
        failures: list[FailedPage] = []
        counted: list[ParsedArticle | FailedPage] = []
        for page in batch.pages:
            item = parse_page(page)
            if isinstance(item, ParsedArticle) and (refused := batch.admit(item)) is not None:
                failures.append(refused)  # wrongly decoded: failed, not counted in the yield
                continue
            if isinstance(item, FailedPage):
                failures.append(item)
            counted.append(item)
        batch.pages = []
        return failures, yield_counts(counted) if counted else Counter()

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

    def record_check(self, check: SourceCheck) -> None:
        with self.db.session() as session:
            record_check(session=session, name=check.source, kind=check.kind, url=check.url,
                         status=check.status, error=check.error, etag=check.etag,
                         last_modified=check.last_modified, keep_validators=check.not_modified)

    def close(self) -> None:
        self.db.dispose()


def _render_failure(article: Article, exc: Exception) -> FailedPage:
    reason = f"the post could not be rendered: {type(exc).__name__}: {exc}".splitlines()[0][:500]
    logger.warning("failed %s: %s (normalize)", article.url, reason)
    return FailedPage(article.url, "normalize_error", reason, stage="normalize")


# --- where the writer runs ---------------------------------------------------------------------


class Writer(Protocol):
    async def write(self, batch: Batch) -> Written: ...
    async def record_check(self, check: SourceCheck) -> None: ...
    def close(self) -> None: ...


class WriterThread:
    """The writer on one thread of the crawl's own process."""

    def __init__(self, writer: BatchWriter) -> None:
        self.writer = writer
        self.executor: Executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefing-writer")

    async def write(self, batch: Batch) -> Written:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.writer.write, batch)

    async def record_check(self, check: SourceCheck) -> None:
        await asyncio.get_running_loop().run_in_executor(self.executor, self.writer.record_check, check)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.writer.close()


# The writer process's own BatchWriter (one per process, built by `_start`).
_writer: BatchWriter | None = None
PARENT_CHECK_SECONDS = 0.2


def _start(
    parent: int, database_url: str, run_id: int | None, profile_path: str | None, log_format: str | None
) -> None:
    global _writer
    # The crawl child decides when the writer stops; a terminal's Ctrl-C or the service's
    # SIGTERM reaches the whole process group, and must not cut a batch in half.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # The crawl child's stdout carries its protocol events to the service: the writer has
    # nothing to say there, and holding it open would keep the service waiting after the
    # crawl child died.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    threading.Thread(target=_exit_with, args=(parent,), name="briefing-writer-watch", daemon=True).start()
    if log_format is not None:  # the crawl child's log format: the same lines in the same run log
        from crawler.logs import add_crawl_handler
        from crawler.redact import install_log_redaction

        install_log_redaction()
        add_crawl_handler(log_format, run_id)
    _writer = BatchWriter(database_url, run_id, PostRenderer.from_path(profile_path))
    # What start-up made lives as long as the process: out of the collector's full walks.
    gc.collect()
    gc.freeze()


def _exit_with(parent: int) -> None:
    """End the writer when the crawl child is gone (killed: it could not close the writer). An
    open transaction dies with it and is rolled back; the crawl's next run fetches the batch again."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _write(batch: Batch) -> Written:
    assert _writer is not None
    return _writer.write(batch)


def _record_check(check: SourceCheck) -> None:
    assert _writer is not None
    _writer.record_check(check)


def _close() -> None:
    if _writer is not None:
        _writer.close()


class WriterProcess:
    """The writer in a process of its own (spawned: the crawl child runs threads and a reactor,
    which a fork would copy in whatever state they are)."""

    def __init__(
        self, database_url: str, run_id: int | None, profile_path: str | None, log_format: str | None
    ) -> None:
        self.executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(os.getpid(), database_url, run_id, profile_path, log_format),
        )

    async def write(self, batch: Batch) -> Written:
        return await asyncio.get_running_loop().run_in_executor(self.executor, _write, batch)

    async def record_check(self, check: SourceCheck) -> None:
        await asyncio.get_running_loop().run_in_executor(self.executor, _record_check, check)

    def close(self) -> None:
        try:
            self.executor.submit(_close).result()
        except Exception as exc:  # a writer that died has nothing left to close
            logger.debug("writer process: %s", exc)
        self.executor.shutdown(wait=True)


def start_writer(
    kind: WriterKind,
    *,
    database_url: str,
    run_id: int | None,
    profile_path: str | None,
    renderer: PostRenderer | None = None,
    log_format: str | None = None,
) -> Writer:
    """The writer of one crawl: in its own process, or on a thread (given a `renderer`, the
    thread writer uses it; a process builds its own from `profile_path`)."""
    if kind == "process":
        return WriterProcess(database_url, run_id, profile_path, log_format)
    return WriterThread(BatchWriter(database_url, run_id, renderer or PostRenderer.from_path(profile_path)))


__all__ = ["Batch", "BatchWriter", "Writer", "WriterKind", "Written", "start_writer"]
