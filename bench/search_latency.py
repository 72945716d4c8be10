"""Figure 4: latency of `GET /articles?q=` at 100,000 stored articles, SQLite and PostgreSQL.

The articles are generated Korean text (bench/corpus.py), loaded as upsert_articles would
store them (bench/loader.py; SQLite in a child process while PostgreSQL loads here). Each
backend is then served by a real `briefing run` process and queried over HTTP on loopback
with 2-, 3- and 5-character words: for each length, words from the most common to the
rarest of the vocabulary plus words that occur nowhere. One untimed pass warms the caches,
then BENCH_SEARCH_PASSES timed passes. Every answer is checked against a full LIKE scan.
Environment: BENCH_SEARCH_ARTICLES (100000), BENCH_SEARCH_PASSES (5).
"""

from __future__ import annotations

import contextlib
import math
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    REPO,
    briefing_environment,
    env_int,
    finish,
    percentile,
    pg_base_url,
    pg_schema,
    postgres_version,
    say,
    stop_process,
)
from bench.corpus import Vocabulary
from bench.loader import load

ARTICLES = 100_000
PASSES = 5
LENGTHS = (2, 3, 5)
PRESENT, ABSENT = 10, 2
LIMIT = 20
TARGET_P95_MS = 25.0
# Syllables the corpus never uses: words made of them have no hit at all.
UNUSED = "뷁쀍똠햏휑퓌꿹쏼"


@dataclass(frozen=True, slots=True)
class Query:
    word: str
    rank: int | None  # in the vocabulary (0 = most common); None: occurs nowhere


def pick_queries(vocabulary: Vocabulary) -> list[Query]:
    """For each length: PRESENT words at log-spaced ranks from the most common down, ABSENT others."""
    rng = random.Random(5)
    out: list[Query] = []
    for length in LENGTHS:
        ranked = [w for w in vocabulary.words if len(w) == length]
        steps = (math.exp(k * math.log(len(ranked)) / (PRESENT - 1)) for k in range(PRESENT))
        positions = sorted({round(step) - 1 for step in steps})
        out += [Query(ranked[p], vocabulary.rank(ranked[p])) for p in positions]
        out += [Query("".join(rng.choice(UNUSED) for _ in range(length)), None) for _ in range(ABSENT)]
    return out


class Service:
    """A `briefing run` process on port 0 over one database, with nothing scheduled to crawl."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        env = briefing_environment(
            database_url, data_dir, "http://127.0.0.1:9",  # never crawled: no schedule fires
            BRIEFING_SCHEDULES='{"korea_kr:policy": {"minutes": 1000000}}',
            BRIEFING_CATCH_UP="false",
        )
        self.log = (data_dir / "service.log").open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "scheduler", "run", "--port", "0"], cwd=REPO,
                                        env=env, stdout=subprocess.PIPE, stderr=self.log,
                                        stdin=subprocess.DEVNULL)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line.startswith("SERVICE_URL "):
            self.stop()
            raise SystemExit(f"briefing run did not start ({line!r}); see {data_dir / 'service.log'}")
        self.url = line.split()[1]

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


def expected(database_url: str, word: str) -> list[str]:
    """The newest LIMIT matching external ids by a full scan (no search index involved)."""
    from sqlalchemy import text

    from storage import Database

    db = Database(database_url, create=False)
    try:
        with db.session() as session:
            rows = session.execute(text(
                "SELECT external_id FROM articles WHERE search_text LIKE :p "
                "ORDER BY published_at DESC, id DESC LIMIT :n"), {"p": f"%{word}%", "n": LIMIT})
            return [r[0] for r in rows]
    finally:
        db.dispose()


def measure(
    name: str, database_url: str, data_dir: Path, queries: list[Query], passes: int
) -> dict[int, list[float]]:
    """Milliseconds per request by query length, over HTTP to a real service."""
    import httpx

    service = Service(database_url, data_dir)
    latencies: dict[int, list[float]] = {length: [] for length in LENGTHS}
    answers: dict[str, list[str]] = {}
    try:
        with httpx.Client(base_url=service.url, timeout=30) as http:
            rng = random.Random(9)
            for n in range(passes + 1):  # pass 0 warms up
                order = list(queries)
                rng.shuffle(order)
                for query in order:
                    started = time.perf_counter()
                    response = http.get("/articles", params={"q": query.word, "limit": LIMIT})
                    elapsed = (time.perf_counter() - started) * 1000
                    response.raise_for_status()
                    answers[query.word] = [item["external_id"] for item in response.json()["items"]]
                    if n:
                        latencies[len(query.word)].append(elapsed)
    finally:
        service.stop()
    wrong = [q.word for q in queries if answers[q.word] != expected(database_url, q.word)]
    if wrong:
        raise SystemExit(f"{name}: search answers differ from a full scan for {wrong}")
    hits = {q.word: len(answers[q.word]) for q in queries}
    say(f"  {name}: every answer equals a full LIKE scan; hits per query (max {LIMIT}): "
        + " ".join(f"{w}={h}" for w, h in hits.items()))
    return latencies


def main() -> None:
    count = env_int("BENCH_SEARCH_ARTICLES", ARTICLES)
    passes = env_int("BENCH_SEARCH_PASSES", PASSES)
    vocabulary = Vocabulary.build()
    queries = pick_queries(vocabulary)
    say(f"search_latency: {count} generated articles; {len(queries)} queries "
        f"({PRESENT} present + {ABSENT} absent words of each length {LENGTHS}), {passes} timed passes")
    have_pg = postgres_version(pg_base_url()) is not None
    results: dict[str, dict[int, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp, \
            (pg_schema() if have_pg else contextlib.nullcontext("")) as pg_url:
        sqlite_url = f"sqlite:///{tmp}/briefing.db"
        started = time.perf_counter()
        # SQLite loads in a child while PostgreSQL loads here: the two share the machine's cores.
        child = subprocess.Popen([sys.executable, "-m", "bench.loader", str(count)], cwd=REPO,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(sqlite_url)
        child.stdin.close()
        pg_rate = load(pg_url, count) if have_pg else None
        out = child.stdout.read()
        if child.wait() != 0:
            raise SystemExit("loading SQLite failed")
        say(f"  loaded in {time.perf_counter() - started:.0f} s (concurrently; SQLite {float(out):.0f}/s"
            + (f", PostgreSQL {pg_rate:.0f}/s incl. GIN build)" if pg_rate else ")"))
        results["SQLite"] = measure("SQLite", sqlite_url, Path(tmp), queries, passes)
        if have_pg:
            results["PostgreSQL"] = measure("PostgreSQL", pg_url, Path(tmp), queries, passes)
        else:
            say("  PostgreSQL: unreachable, skipped (set BENCH_DATABASE_URL)")
    worst = 0.0
    for backend, by_length in results.items():
        for length, values in by_length.items():
            p50, p95 = percentile(values, 50), percentile(values, 95)
            worst = max(worst, p95)
            say(f"  {backend:10s} {length}-character queries: p50 {p50:6.2f} ms, p95 {p95:6.2f} ms, "
                f"max {max(values):6.2f} ms ({len(values)} requests)")
    say(f"target p95 under {TARGET_P95_MS:g} ms: {'met' if worst < TARGET_P95_MS else 'missed'}")
    summary = "; ".join(f"{b} p95 " + "/".join(f"{percentile(v, 95):.1f}" for v in r.values()) + " ms"
                        for b, r in results.items())
    finish("search_p95_worst", worst, "ms", f"{summary} for 2/3/5 characters at {count:,} articles")


if __name__ == "__main__":
    main()
