"""The crawl's writer in its own process: it stores what the thread writer stores, and goes away."""

from __future__ import annotations

import asyncio
import multiprocessing
import os

import storage
from crawler.items import FailedPage
from crawler.scrapy_settings import writer_kind
from crawler.writer import Batch, Written, start_writer
from storage import Database
from tests.factories import make_article


def write_with(kind: str, db_url: str, batch: Batch) -> Written:
    db = Database(db_url)
    try:
        with db.session() as session:
            run = storage.create_run(session=session, source="korea_kr:policy")
    finally:
        db.dispose()
    writer = start_writer(kind, database_url=db_url, run_id=run.id, profile_path=None)  # type: ignore[arg-type]

    async def go() -> Written:
        try:
            return await writer.write(batch)
        finally:
            writer.close()

    return asyncio.run(go())


def test_the_process_writer_stores_a_batch_and_ends(db_url: str) -> None:
    batch = Batch(articles=[make_article(1), make_article(2)],
                  failures=[FailedPage("https://www.korea.kr/x", "http_500", "HTTP 500")])
    written = write_with("process", db_url, batch)
    assert (written.new, written.updated, written.unchanged, written.failed) == (2, 0, 0, 1)
    db = Database(db_url)
    try:
        with db.session(read_only=True) as session:
            stored = {s.article.external_id: s for s in storage.iter_articles(session=session)}
    finally:
        db.dispose()
    assert set(stored) == {make_article(1).external_id, make_article(2).external_id}
    assert all(s.post_text for s in stored.values())  # rendered in the writer process
    assert multiprocessing.active_children() == []  # closed: no writer left behind


def test_the_thread_writer_answers_the_same(db_url: str) -> None:
    batch = Batch(articles=[make_article(3)])
    written = write_with("thread", db_url, batch)
    assert (written.new, written.failed) == (1, 0)


def test_auto_takes_a_process_only_with_a_second_core() -> None:
    cores = len(os.sched_getaffinity(0))
    assert writer_kind("auto") == ("process" if cores > 1 else "thread")
    assert writer_kind("thread") == "thread" and writer_kind("process") == "process"


def test_the_pipeline_hands_a_slow_writer_at_most_two_batches_at_once() -> None:
    """Items wait while two batches are being written: the pages of a writer that falls behind
    do not pile up in the crawl child's memory, and every item is still written once."""
    from crawler.items import NotModified
    from crawler.pipeline import MAX_BATCHES_WRITING, StoragePipeline

    class SlowWriter:
        def __init__(self) -> None:
            self.active = self.most = 0
            self.items: list[str] = []

        async def write(self, batch: Batch) -> Written:
            self.active += 1
            self.most = max(self.most, self.active)
            await asyncio.sleep(0.01)
            self.items += [n.external_id for n in batch.not_modified]
            self.active -= 1
            return Written(unchanged=len(batch.not_modified))

        async def record_check(self, check: object) -> None: ...

        def close(self) -> None: ...

    pipeline = StoragePipeline(database_url="sqlite://", run_id=None, batch_size=1)
    writer = SlowWriter()
    pipeline.writer = writer

    async def crawl() -> None:
        await asyncio.gather(*(pipeline.process_item(NotModified("korea_kr", str(i), f"https://x/{i}"))
                               for i in range(20)))
        await pipeline.close_spider()

    asyncio.run(crawl())
    assert writer.most == MAX_BATCHES_WRITING == 2
    assert sorted(writer.items, key=int) == [str(i) for i in range(20)]
    assert pipeline.totals.unchanged == 20
