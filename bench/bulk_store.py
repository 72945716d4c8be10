"""Figure 5: articles stored per second by `storage.upsert_articles` into SQLite and PostgreSQL.

New articles from the generated Korean corpus (bench/corpus.py, ~1,000 characters of text
each), in batches of 200 (the crawl pipeline's batch), one transaction per batch, into a fresh
database (SQLite file with WAL / a new PostgreSQL schema): rows, revisions, search indexes.
Post rendering is left out (figure 1 measures it). Then the same batches again: unchanged
articles, the re-crawl case. Environment: BENCH_STORE_ARTICLES (5000).
"""

from __future__ import annotations

import tempfile
import time

from bench.common import env_int, finish, pg_base_url, pg_schema, postgres_version, say
from bench.corpus import corpus

ARTICLES = 5000
BATCH = 200
TARGET_SQLITE = 2000


def store_rate(url: str, articles: list) -> tuple[float, float]:  # type: ignore[type-arg]
    """(new articles/s, unchanged articles/s) through upsert_articles."""
    from sqlalchemy import text

    from storage import Database, count_articles, upsert_articles

    db = Database(url)
    try:
        rates = []
        for expect_new in (True, False):
            started = time.perf_counter()
            new = 0
            for i in range(0, len(articles), BATCH):
                with db.session() as session:
                    new += upsert_articles(session=session, articles=articles[i:i + BATCH]).new
            rates.append(len(articles) / (time.perf_counter() - started))
            if new != (len(articles) if expect_new else 0):
                raise SystemExit(f"expected {'all' if expect_new else 'no'} new articles, got {new}")
        with db.session() as session:
            assert count_articles(session=session) == len(articles)
        if db.dialect == "postgresql":
            time.sleep(1.5)  # table statistics reach pg_stat_user_tables within a second
            with db.session() as session:
                updates, hot = session.execute(text(
                    "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                    "WHERE relname = 'articles' AND schemaname = current_schema()")).one()
            say(f"  PostgreSQL: {updates} article row updates (the unchanged pass touches last_seen_at), "
                f"{hot} of them HOT (no index entries rewritten)")
        return rates[0], rates[1]
    finally:
        db.dispose()


def index_floor(url: str, articles: list) -> float:  # type: ignore[type-arg]
    """Articles/s SQLite's two search indexes alone take (the migrations' own FTS5 tables, written
    directly: trigram table + 2-grams computed as upsert_articles does), a ceiling for any store."""
    from storage import Database
    from storage.search import bigrams, search_text

    texts = [search_text(a.title, a.subtitle, a.body_html, a.ministry, " ".join(a.tags)) for a in articles]
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            started = time.perf_counter()
            raw.execute("BEGIN")
            raw.executemany("INSERT INTO articles_fts(rowid, search_text) VALUES (?, ?)", enumerate(texts, 1))
            raw.executemany("INSERT INTO articles_bigram(rowid, grams) VALUES (?, ?)",
                            ((i, bigrams(t)) for i, t in enumerate(texts, 1)))
            raw.execute("COMMIT")
            return len(texts) / (time.perf_counter() - started)
    finally:
        db.dispose()


def main() -> None:
    count = env_int("BENCH_STORE_ARTICLES", ARTICLES)
    articles = list(corpus().articles(count))
    say(f"bulk_store: {count} new generated articles in batches of {BATCH}, then the same again (unchanged)")
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        sqlite_new, sqlite_same = store_rate(f"sqlite:///{tmp}/briefing.db", articles)
        floor = index_floor(f"sqlite:///{tmp}/floor.db", articles)
    say(f"  SQLite: {sqlite_new:.0f} new articles/s, {sqlite_same:.0f} unchanged articles/s; "
        f"its two search indexes alone (FTS5 trigram + 2-grams, no table, no ORM): {floor:.0f} articles/s")
    peer = ""
    if postgres_version(pg_base_url()) is None:
        say("  PostgreSQL: unreachable, skipped (set BENCH_DATABASE_URL)")
    else:
        with pg_schema() as url:
            pg_new, pg_same = store_rate(url, articles)
        say(f"  PostgreSQL: {pg_new:.0f} new articles/s, {pg_same:.0f} unchanged articles/s")
        peer = f"PostgreSQL {pg_new:.0f}/s; unchanged: SQLite {sqlite_same:.0f}/s, PostgreSQL {pg_same:.0f}/s"
    say(f"target {TARGET_SQLITE}/s on SQLite: {'met' if sqlite_new >= TARGET_SQLITE else 'missed'}")
    finish("bulk_store_sqlite", sqlite_new, "new articles/s", peer or None)


if __name__ == "__main__":
    main()
