"""Figure 5: articles stored per second by `storage.upsert_articles` into SQLite and PostgreSQL.

New articles from the generated Korean corpus (bench/corpus.py, ~1,000 characters of text
each), in batches of 200 (the crawl pipeline's batch), one transaction per batch, into a fresh
database (SQLite file with WAL / a new PostgreSQL schema): rows, revisions, search indexes.
Post rendering is left out (figure 1 measures it). Then the same batches again: unchanged
articles, the re-crawl case. Each backend is measured twice in the same run: into an empty
database, and into one already grown to BENCH_STORE_PREFILL articles the same way (a service
in use stores into full tables and indexes; the empty database flatters). Rates are over the
whole pass, with the median and p95 of the batches' own times beside them. Beside them, the
budget the search indexes must fit in: SQLite's two FTS5 tables written alone (no table, no
ORM), and the same store into an empty database with no search index written, and on SQLite
with the 2-gram table but not the trigram table.
Environment: BENCH_STORE_ARTICLES (5000), BENCH_STORE_PREFILL (20000).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from typing import TYPE_CHECKING
from unittest import mock

from bench.common import env_int, finish, median, percentile, pg_base_url, pg_schema, postgres_version, say
from bench.corpus import corpus
from bench.loader import grow

if TYPE_CHECKING:
    from storage import Database

ARTICLES = 5000
PREFILL = 20000
BATCH = 200
TARGET_SQLITE = 2000


def timed_pass(db: Database, articles: list) -> tuple[float, int, list[float]]:  # type: ignore[type-arg]
    """One pass of `articles` through upsert_articles in batches: (seconds, new articles, each
    batch's milliseconds)."""
    from storage import upsert_articles

    started = time.perf_counter()
    new = 0
    batches = []
    for i in range(0, len(articles), BATCH):
        began = time.perf_counter()
        with db.session() as session:
            new += upsert_articles(session=session, articles=articles[i:i + BATCH]).new
        batches.append((time.perf_counter() - began) * 1000)
    return time.perf_counter() - started, new, batches


def store_rate(url: str, articles: list, prefill: int = 0) -> tuple[float, float]:  # type: ignore[type-arg]
    """(new articles/s, unchanged articles/s) through upsert_articles; `prefill` articles already
    stored (grown the same way, not timed)."""
    from sqlalchemy import text

    from storage import Database, count_articles

    db = Database(url)
    try:
        rates = []
        for expect_new in (True, False):
            seconds, new, batches = timed_pass(db, articles)
            rates.append(len(articles) / seconds)
            say(f"    {'new' if expect_new else 'unchanged'} pass over {prefill:,} stored: batch of {BATCH} "
                f"median {median(batches):.0f} ms, p95 {percentile(batches, 95):.0f} ms")
            if new != (len(articles) if expect_new else 0):
                raise SystemExit(f"expected {'all' if expect_new else 'no'} new articles, got {new}")
        with db.session() as session:
            assert count_articles(session=session) == len(articles) + prefill
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


def rate_without_search(url: str, articles: list, *, grams: bool) -> float:  # type: ignore[type-arg]
    """New articles/s of the same store into an empty database with search indexes left
    unwritten: none (`grams` False), or all but SQLite's trigram table (True). What the rest of
    the store costs: the budget a search index must fit in for a target to be reachable."""
    from sqlalchemy import text

    import storage.search
    from storage import Database

    db = Database(url)
    try:
        if db.dialect == "sqlite":
            with db.engine.begin() as conn:
                conn.execute(text("DROP TRIGGER articles_fts_ai"))  # the trigram table's writes
        with contextlib.ExitStack() as stack:
            if not grams:
                unwritten = mock.patch.object(storage.search, "index_grams", lambda session, changes: None)
                stack.enter_context(unwritten)
            seconds, new, _ = timed_pass(db, articles)
        if new != len(articles):
            raise SystemExit(f"expected all new articles, got {new}")
        return len(articles) / seconds
    finally:
        db.dispose()


def index_floor(url: str, articles: list) -> float:  # type: ignore[type-arg]
    """Articles/s SQLite's two search indexes alone take (the migrations' own FTS5 tables, written
    directly: trigram table + 2-gram terms computed as upsert_articles does), a ceiling for any store."""
    from storage import Database
    from storage.search import grams, search_text

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
                            ((i, grams(t)) for i, t in enumerate(texts, 1)))
            raw.execute("COMMIT")
            return len(texts) / (time.perf_counter() - started)
    finally:
        db.dispose()


def main() -> None:
    count = env_int("BENCH_STORE_ARTICLES", ARTICLES)
    prefill = env_int("BENCH_STORE_PREFILL", PREFILL)
    # The measured articles come after the prefill's in the corpus: all of them new.
    articles = list(corpus().articles(count, start=prefill))
    say(f"bulk_store: {count} new generated articles in batches of {BATCH}, then the same again (unchanged), "
        f"into an empty database and into one of {prefill:,}; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    results: dict[str, dict[int, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        results["SQLite"] = {0: store_rate(f"sqlite:///{tmp}/empty.db", articles)}
        grow(f"sqlite:///{tmp}/full.db", prefill)
        results["SQLite"][prefill] = store_rate(f"sqlite:///{tmp}/full.db", articles, prefill)
        floor = index_floor(f"sqlite:///{tmp}/floor.db", articles)
        bare = rate_without_search(f"sqlite:///{tmp}/bare.db", articles, grams=False)
        grams_only = rate_without_search(f"sqlite:///{tmp}/grams.db", articles, grams=True)
    say("  SQLite: its two search indexes alone (FTS5 trigram + 2-grams, no table, no ORM): "
        f"{floor:.0f} articles/s")
    say(f"  SQLite: the same store into an empty file with no search index written: {bare:.0f} new/s; "
        f"with the 2-gram table but no trigram table: {grams_only:.0f} new/s")
    if postgres_version(pg_base_url()) is None:
        say("  PostgreSQL: unreachable, skipped (set BENCH_DATABASE_URL)")
    else:
        results["PostgreSQL"] = {}
        with pg_schema() as url:
            results["PostgreSQL"][0] = store_rate(url, articles)
        with pg_schema() as url:
            grow(url, prefill)
            results["PostgreSQL"][prefill] = store_rate(url, articles, prefill)
        with pg_schema() as url:
            say("  PostgreSQL: the same store into an empty schema with no search terms written: "
                f"{rate_without_search(url, articles, grams=False):.0f} new/s")
    for backend, by_size in results.items():
        for size, (new, same) in by_size.items():
            say(f"  {backend:10s} into {size:>7,} stored: {new:6.0f} new articles/s, {same:6.0f} unchanged/s")
    sqlite_new = results["SQLite"][prefill][0]
    met = "met" if sqlite_new >= TARGET_SQLITE else "missed"
    say(f"target {TARGET_SQLITE}/s on SQLite (into {prefill:,}): {met}; "
        "load average at the end " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    peer = "; ".join(f"{b} {r[0][0]:.0f}/s empty, {r[prefill][0]:.0f}/s into {prefill:,}"
                     for b, r in results.items())
    finish("bulk_store_sqlite", sqlite_new, f"new articles/s into {prefill:,} stored", peer)


if __name__ == "__main__":
    main()
