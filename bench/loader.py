"""Databases grown the way the service grows them, for the search figure.

The crawl pipeline stores articles through `storage.upsert_articles` in batches of 200, one
transaction each, into migrated tables whose search indexes (FTS5 triggers and the 2-gram
table on SQLite, the GIN index of 2-grams and characters on PostgreSQL) grow row by row. `grow` does exactly
that, so the indexes measured are the ones a service has after months of crawling: nothing is
dropped and bulk-built. PostgreSQL's autovacuum decides when to analyse, as it would in use;
`grow` only waits for the table to have statistics before returning, like a service that has
been running a while.
"""

from __future__ import annotations

import sys
import time

from bench.corpus import corpus
from storage import Database, upsert_articles

BATCH = 200


def grow(url: str, count: int, *, start: int = 0, batch: int = BATCH) -> float:
    """Store corpus articles `start` .. `start + count - 1` at `url` through upsert_articles in
    batches; returns new articles per second."""
    db = Database(url)
    try:
        started = time.perf_counter()
        chunk = []
        new = 0
        for article in corpus().articles(count, start=start):
            chunk.append(article)
            if len(chunk) == batch:
                with db.session() as session:
                    new += upsert_articles(session=session, articles=chunk).new
                chunk = []
        if chunk:
            with db.session() as session:
                new += upsert_articles(session=session, articles=chunk).new
        rate = new / (time.perf_counter() - started)
        if new != count:
            raise SystemExit(f"expected {count} new articles, stored {new}")
        if db.dialect == "postgresql":
            _wait_for_statistics(db)
        return rate
    finally:
        db.dispose()


def _wait_for_statistics(db: Database, timeout: float = 120.0) -> None:
    """Until autovacuum has analysed `articles` once (a service in use has statistics); after
    `timeout`, ANALYZE by hand and say so."""
    from sqlalchemy import text

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            analysed = conn.scalar(text(
                "SELECT coalesce(last_autoanalyze, last_analyze) IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname = 'articles' AND schemaname = current_schema()"))
        if analysed:
            return
        time.sleep(2)
    print("  (autovacuum had not analysed articles yet: ANALYZE by hand)", file=sys.stderr, flush=True)
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE articles"))
        conn.commit()


# The old name: figure scripts and search_plans load through it.
def load(url: str, count: int) -> float:
    return grow(url, count)


if __name__ == "__main__":  # python -m bench.loader COUNT, the URL on stdin (kept out of ps)
    print(f"{grow(sys.stdin.read().strip(), int(sys.argv[1])):.1f}", flush=True)
