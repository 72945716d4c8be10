"""crawler.crawl_state: the one reader of stored state for spiders, read-only, opened once."""

from __future__ import annotations

import time
from pathlib import Path

from crawler.crawl_state import CrawlState
from storage import Database, record_check, upsert_articles
from storage.validators import HttpValidators, save_validators
from tests.factories import make_article


def test_a_spider_reads_validators_stored_ids_and_the_feed_state(db: Database) -> None:
    with db.session() as session:
        record_check(session=session, name="feed:a", kind="feed", url="http://f/a.xml", status="ok",
                     etag='"v1"')
        upsert_articles(session=session, articles=[
            make_article(1, source="feed:a", external_id="1", body_source="extracted"),
            make_article(2, source="feed:a", external_id="2", body_source="summary"),
        ])
        save_validators(session=session, source="feed:a", validators={"1": HttpValidators('"p1"')})
    state = CrawlState(db.url)
    try:
        assert state.validators("feed:a", ["1", "2", "3"]) == {"1": HttpValidators('"p1"')}
        assert state.ids_with_body("feed:a", ["1", "2", "3"], "extracted") == {"1"}
        found = state.source_state("feed:a")
        assert found is not None and (found.status, found.etag) == ("ok", '"v1"')
        assert state.source_state("feed:none") is None
    finally:
        state.close()
    state.close()  # closing twice is harmless


def test_a_look_up_never_waits_for_the_writer_s_batch_transaction(tmp_path: Path) -> None:
    # SQLite: a session that may write begins with BEGIN IMMEDIATE and would wait (up to the
    # 10 s busy timeout) for the pipeline's open batch transaction; a read-only one does not.
    db = Database(f"sqlite:///{tmp_path / 'state.db'}")
    state = CrawlState(db.url)
    try:
        with db.session() as writer:
            upsert_articles(session=writer, articles=[make_article(1)])
            started = time.monotonic()
            assert state.validators("korea_kr", ["1"]) == {}
            assert state.source_state("korea_kr") is None  # the writer's rows are not committed yet
            assert time.monotonic() - started < 2
    finally:
        state.close()
        db.dispose()
