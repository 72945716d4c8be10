"""Fast loading of many generated articles for the search figure: the rows upsert_articles writes, in bulk.

At 100,000 articles, `storage.upsert_articles` (figure 5's subject, about 500 articles/s on
SQLite) would take minutes per backend, so figure 4 loads its data here: the same row values
(`storage.articles._row_values`), one revision each, and on SQLite the same 2-gram rows
(`storage.search.bigrams`), written with executemany in chunks. The search indexes are the
migrations' own (FTS5 triggers, pg_trgm and 2-gram GIN), maintained as rows arrive.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, text

from bench.corpus import corpus
from domain.article import Article, content_hash
from storage import Database
from storage.articles import _row_values, source_id
from storage.models import ArticleRevisionRow, ArticleRow, utcnow
from storage.search import bigrams

CHUNK = 2000


def bulk_load(db: Database, articles: Iterable[Article], *, now: datetime | None = None) -> int:
    """Store `articles` (all new, one source) with ids following the current maximum; returns the count."""
    now = now or utcnow()
    with db.session() as session:
        sid = source_id(session, "korea_kr")
        next_id = (session.scalar(select(ArticleRow.id).order_by(ArticleRow.id.desc()).limit(1)) or 0) + 1
    count = 0
    chunk: list[Article] = []
    for article in articles:
        chunk.append(article)
        if len(chunk) == CHUNK:
            count += _write(db, sid, next_id + count, chunk, now)
            chunk = []
    if chunk:
        count += _write(db, sid, next_id + count, chunk, now)
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE articles"))
            conn.commit()
    return count


def _write(db: Database, sid: int, first_id: int, chunk: list[Article], now: datetime) -> int:
    rows: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []
    for offset, article in enumerate(chunk):
        digest = content_hash(article)
        values = _row_values(article, digest)
        rows.append(values | {
            "id": first_id + offset, "source_id": sid, "external_id": article.external_id,
            "revision_count": 1, "first_seen_at": now, "last_seen_at": now, "updated_at": now,
        })
        revisions.append({"article_id": first_id + offset, "number": 1, "content_hash": digest,
                          "data": values["data"], "crawl_run_id": None, "created_at": now})
    with db.session() as session:
        session.execute(insert(cast(Table, ArticleRow.__table__)), rows)
        session.execute(insert(cast(Table, ArticleRevisionRow.__table__)), revisions)
        if db.dialect == "sqlite":
            session.execute(text("INSERT INTO articles_bigram(rowid, grams) VALUES (:id, :grams)"),
                            [{"id": r["id"], "grams": bigrams(r["search_text"])} for r in rows])
    return len(chunk)


@contextmanager
def without_gin_indexes(db: Database) -> Iterator[None]:
    """PostgreSQL: drop the articles' GIN indexes for a bulk load and build them again after it.

    Building a GIN index once is several times faster than growing it row by row. The indexes
    are recreated from their own definitions (pg_get_indexdef), so they are exactly the
    migrations' indexes. Elsewhere this does nothing.
    """
    if db.dialect != "postgresql":
        yield
        return
    with db.engine.connect() as conn:
        found = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'articles' AND indexdef ILIKE '% USING gin %'")).all()
        for name, _ in found:
            conn.execute(text(f'DROP INDEX "{name}"'))
        conn.commit()
    yield

    def build(definition: str) -> None:
        with db.engine.connect() as conn:
            conn.execute(text("SET maintenance_work_mem = '256MB'"))  # this session only
            conn.execute(text("SET statement_timeout = 0"))
            conn.execute(text(definition))
            conn.commit()

    # One index per connection at once: each build is single-threaded in the server.
    with ThreadPoolExecutor(max_workers=len(found) or 1) as pool:
        list(pool.map(build, [definition for _, definition in found]))
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE articles"))
        conn.commit()


def load(url: str, count: int) -> float:
    """Load `count` corpus articles into the database at `url`; returns articles per second."""
    db = Database(url)
    try:
        started = time.perf_counter()
        with without_gin_indexes(db):
            loaded = bulk_load(db, corpus().articles(count))
        return loaded / (time.perf_counter() - started)
    finally:
        db.dispose()


if __name__ == "__main__":  # python -m bench.loader COUNT, the URL on stdin (kept out of ps)
    print(f"{load(sys.stdin.read().strip(), int(sys.argv[1])):.1f}", flush=True)
