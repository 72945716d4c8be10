"""Candidate search plans measured on a loaded database: the evidence behind figure 4's proposed fixes.

Not a figure. `python -m bench.search_plans sqlite:///PATH` (loads BENCH_SEARCH_ARTICLES
generated articles first when the file does not exist) times, per query of figure 4, the
SQLite plans: the whole-row sort the code used before commit f301747, the id-only sort it uses
now, and a bounded newest-first walk (BENCH_WALK_ROWS rows, LIKE) falling back to the id-only
index route. `python -m bench.search_plans postgresql://…` (a loaded schema in the URL's
search_path) times storage.list_articles per query, and the per-row cost of the walk and the
recheck: ILIKE over the stored (pglz-compressed) text against LIKE and strpos, and against
copies of the column compressed with lz4 and stored uncompressed. Every timing is the median
and/or p95 of BENCH_PLANS_RUNS runs after a warm-up (not a best of 3: caches flatter it).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import env_int, median, percentile, say
from bench.corpus import Vocabulary
from bench.search_latency import ARTICLES, pick_queries

FULL = ("SELECT a.*, s.name FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id IN "
        "(SELECT rowid FROM {t} WHERE {t} MATCH ?) ORDER BY a.published_at DESC, a.id DESC LIMIT 21")
IDS = ("SELECT a.id FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id IN "
       "(SELECT rowid FROM {t} WHERE {t} MATCH ?) ORDER BY a.published_at DESC, a.id DESC LIMIT 21")
ROWS = "SELECT a.*, s.name FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id IN ({})"
WALK = ("SELECT id FROM (SELECT a.id, a.search_text FROM articles a ORDER BY a.published_at DESC, a.id DESC "
        "LIMIT ?) WHERE search_text LIKE ? LIMIT 21")


RUNS = int(os.environ.get("BENCH_PLANS_RUNS") or 7)


def run_ms(work: Callable[[], object], runs: int = RUNS) -> list[float]:
    """Milliseconds of `runs` runs after one untimed warm-up run."""
    work()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95_ms(work: Callable[[], object], runs: int = RUNS) -> float:
    """The 95th percentile of `runs` runs (a cached best-of-3 hides what users wait for)."""
    return percentile(run_ms(work, runs), 95)


def shown(times: list[float]) -> str:
    return f"{median(times):.1f}/{percentile(times, 95):.1f}"


def sqlite_plans(path: str) -> None:
    import sqlite3

    if not Path(path).exists():
        from bench.loader import load

        count = env_int("BENCH_SEARCH_ARTICLES", ARTICLES)
        say(f"loading {count} articles into {path} …")
        load(f"sqlite:///{path}", count)
    walk_rows = env_int("BENCH_WALK_ROWS", 1000)
    conn = sqlite3.connect(path)
    walk_label = f"walk {walk_rows}+ids"
    say(f"{'query':12s} {'rank':>6s} {'whole rows':>11s} {'ids, rows':>10s} {walk_label:>14s}  "
        f"(ms, p95 of {RUNS} runs)")
    worst = [0.0, 0.0, 0.0]
    for query in pick_queries(Vocabulary.build()):
        table = "articles_fts" if len(query.word) >= 3 else "articles_bigram"
        match = '"' + query.word + '"'

        def rows(ids: list[int]) -> None:
            if ids:
                conn.execute(ROWS.format(",".join("?" * len(ids))), ids).fetchall()

        def whole_rows(table: str = table, match: str = match) -> None:
            conn.execute(FULL.format(t=table), (match,)).fetchall()

        def by_ids(table: str = table, match: str = match) -> None:
            rows([r[0] for r in conn.execute(IDS.format(t=table), (match,))])

        def walk_first(table: str = table, match: str = match, word: str = query.word) -> None:
            ids = [r[0] for r in conn.execute(WALK, (walk_rows, f"%{word}%"))]
            if len(ids) < 21:  # fewer than a page among the newest rows: the index route
                ids = [r[0] for r in conn.execute(IDS.format(t=table), (match,))]
            rows(ids)

        times = [p95_ms(whole_rows), p95_ms(by_ids), p95_ms(walk_first)]
        worst = [max(w, t) for w, t in zip(worst, times, strict=True)]
        say(f"{query.word:12s} {query.rank if query.rank is not None else '-':>6} "
            + " ".join(f"{t:>11.1f}" if i == 0 else f"{t:>10.1f}" if i == 1 else f"{t:>14.1f}"
                       for i, t in enumerate(times)))
    say(f"{'worst':12s} {'':>6s} {worst[0]:>11.1f} {worst[1]:>10.1f} {worst[2]:>14.1f}")


def per_query(url: str) -> None:
    """storage.list_articles for each query of figure 4, without HTTP (ms, median/p95)."""
    from storage import ArticleFilter, Database, list_articles

    db = Database(url, create=False)
    try:
        say(f"list_articles per query, no HTTP (ms, median/p95 of {RUNS} runs):")
        for query in pick_queries(Vocabulary.build()):
            def run(word: str = query.word) -> None:
                with db.session(read_only=True) as session:
                    list_articles(session=session, where=ArticleFilter(query=word), limit=20)

            rank = query.rank if query.rank is not None else "-"
            say(f"  {query.word:12s} rank {rank!s:>6s} {shown(run_ms(run)):>14s}")
    finally:
        db.dispose()


def postgres_costs(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    rows = 5000
    try:
        with engine.connect() as conn:
            top = conn.execute(text("SELECT max(id) FROM articles")).scalar() or 0
            conn.execute(text("CREATE TEMP TABLE t_lz4 (id int PRIMARY KEY, "
                              "search_text text COMPRESSION lz4)"))
            conn.execute(text("CREATE TEMP TABLE t_plain (id int PRIMARY KEY, search_text text)"))
            conn.execute(text("ALTER TABLE t_plain ALTER COLUMN search_text SET STORAGE EXTERNAL"))
            for table in ("t_lz4", "t_plain"):
                copy = f"INSERT INTO {table} SELECT id, search_text FROM articles WHERE id > :low"
                conn.execute(text(copy), {"low": top - rows})
            say(f"per {rows} rows (ms, median of {RUNS}): the newest rows' search_text filtered by a word "
                "found nowhere")
            copies = (("articles", "stored (pglz)"), ("t_lz4", "lz4 copy"), ("t_plain", "uncompressed"))
            for table, label in copies:
                cost: dict[str, float] = {}
                for name, condition in (("ILIKE", "search_text ILIKE '%뷁쏼%'"),
                                        ("LIKE", "search_text LIKE '%뷁쏼%'"),
                                        ("strpos", "strpos(search_text, '뷁쏼') > 0"),
                                        ("read only", "length(search_text) > 0")):
                    sql = text(f"SELECT count(*) FROM {table} WHERE id > :low AND {condition}")
                    def count(sql: Any = sql) -> None:
                        conn.execute(sql, {"low": top - rows}).scalar()

                    cost[name] = median(run_ms(count))
                say(f"  {label:14s} ILIKE {cost['ILIKE']:6.1f}  LIKE {cost['LIKE']:6.1f}  "
                    f"strpos {cost['strpos']:6.1f}  "
                    f"read+decompress only {cost['read only']:6.1f}")
            conn.rollback()
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    url = argv[0] if argv else os.environ.get("BENCH_PLANS_URL", "")
    if url.startswith("sqlite:///"):
        sqlite_plans(url.removeprefix("sqlite:///"))
    elif url.startswith("postgresql"):
        per_query(url)
        postgres_costs(url)
    else:
        say("usage: python -m bench.search_plans sqlite:///PATH | postgresql+psycopg://…?options=-csearch_path%3DSCHEMA")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
