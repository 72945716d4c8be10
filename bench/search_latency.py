"""Figure 4: latency of `GET /articles?q=` at 100,000 stored articles, SQLite and PostgreSQL.

The articles are generated Korean text (bench/corpus.py), grown as the service grows them:
upsert_articles in batches of 200 into migrated tables, indexes growing row by row
(bench/loader.py; SQLite in a child process while PostgreSQL grows here). Each backend is
then served by a real `briefing run` process and queried over HTTP on loopback with 1-, 2-,
3- and 5-character words: for each length, words (single syllables for 1) from the most
common to the rarest plus words that occur nowhere. One untimed pass warms the caches, then
BENCH_SEARCH_PASSES timed passes; medians and p95 per length, and per half (frequent: the
more common half of the present words; rare: the rest and the absent ones). Every answer is
checked against a full LIKE scan.
Environment: BENCH_SEARCH_ARTICLES (100000), BENCH_SEARCH_PASSES (5), BENCH_SEARCH_KEEP (a
directory: the grown databases are kept there and reused by the next run with the same
size, so two trees can be measured on the same data).
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    REPO,
    briefing_environment,
    env_int,
    finish,
    median,
    percentile,
    pg_base_url,
    pg_schema,
    postgres_version,
    say,
    stop_process,
)
from bench.corpus import Vocabulary
from bench.loader import grow

ARTICLES = 100_000
PASSES = 5
LENGTHS = (1, 2, 3, 5)
PRESENT, ABSENT = 10, 2
LIMIT = 20
TARGET_P95_MS = 25.0
# Syllables the corpus never uses: words made of them have no hit at all.
UNUSED = "뷁쀍똠햏휑퓌꿹쏼"


@dataclass(frozen=True, slots=True)
class Query:
    word: str
    rank: int | None  # in the vocabulary (0 = most common); None: occurs nowhere


def syllables_by_frequency(vocabulary: Vocabulary) -> list[str]:
    """Every syllable of the vocabulary, most common first (weighted as the corpus draws words)."""
    weight: dict[str, float] = {}
    for rank, word in enumerate(vocabulary.words):
        for syllable in set(word):
            weight[syllable] = weight.get(syllable, 0.0) + 1.0 / (rank + 1)
    return sorted(weight, key=lambda s: -weight[s])


def pick_queries(vocabulary: Vocabulary, lengths: tuple[int, ...] = LENGTHS) -> list[Query]:
    """For each length: PRESENT words at log-spaced ranks from the most common down, ABSENT others.

    1-character queries are syllables ranked by how often the corpus uses them (rank in that
    list)."""
    rng = random.Random(5)
    out: list[Query] = []
    for length in lengths:
        if length == 1:
            ranked = syllables_by_frequency(vocabulary)
            steps = (math.exp(k * math.log(len(ranked)) / (PRESENT - 1)) for k in range(PRESENT))
            positions = sorted({round(step) - 1 for step in steps})
            out += [Query(ranked[p], p) for p in positions]
            out += [Query(c, None) for c in UNUSED[:ABSENT]]
            continue
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
) -> dict[str, list[float]]:
    """Milliseconds per request by query word, over HTTP to a real service."""
    import httpx

    service = Service(database_url, data_dir)
    # The peer in the same passes: the same request without q (the newest page, no search).
    latencies: dict[str, list[float]] = {w: [] for w in ["", *(q.word for q in queries)]}
    answers: dict[str, list[str]] = {}
    try:
        with httpx.Client(base_url=service.url, timeout=60) as http:
            rng = random.Random(9)
            for n in range(passes + 1):  # pass 0 warms up
                order = [*queries, *(Query("", None) for _ in range(len(LENGTHS)))]
                rng.shuffle(order)
                for query in order:
                    params: dict[str, str | int] = {"limit": LIMIT}
                    if query.word:
                        params["q"] = query.word
                    started = time.perf_counter()
                    response = http.get("/articles", params=params)
                    elapsed = (time.perf_counter() - started) * 1000
                    response.raise_for_status()
                    answers[query.word] = [item["external_id"] for item in response.json()["items"]]
                    if n:
                        latencies[query.word].append(elapsed)
    finally:
        service.stop()
    wrong = [q.word for q in queries if answers[q.word] != expected(database_url, q.word)]
    if wrong:
        raise SystemExit(f"{name}: search answers differ from a full scan for {wrong}")
    hits = {q.word: len(answers[q.word]) for q in queries}
    say(f"  {name}: every answer equals a full LIKE scan; hits per query (max {LIMIT}): "
        + " ".join(f"{w}={h}" for w, h in hits.items()))
    return latencies


def groups(queries: list[Query]) -> dict[str, list[str]]:
    """Words by '<length> all|frequent|rare': frequent is the more common half of the present
    words of a length, rare the other half and the absent words."""
    out: dict[str, list[str]] = {}
    for length in sorted({len(q.word) for q in queries}):
        same = [q for q in queries if len(q.word) == length]
        present = [q for q in same if q.rank is not None]
        half = (len(present) + 1) // 2
        out[f"{length} all"] = [q.word for q in same]
        out[f"{length} frequent"] = [q.word for q in present[:half]]
        out[f"{length} rare"] = [q.word for q in present[half:]] + [q.word for q in same if q.rank is None]
    return out


@contextlib.contextmanager
def databases(count: int, have_pg: bool) -> Iterator[tuple[str, str | None, Path]]:
    """(SQLite URL, PostgreSQL URL or None, a work directory) holding `count` grown articles.

    With BENCH_SEARCH_KEEP the databases live on (a directory, and a schema named after the
    size) and the next run reuses them."""
    keep = os.environ.get("BENCH_SEARCH_KEEP")
    if keep:
        root = Path(keep)
        root.mkdir(parents=True, exist_ok=True)
        sqlite_path = root / f"search-{count}.db"
        schema = f"bench_keep_search_{count}"
        pg_url = None
        if have_pg:
            from sqlalchemy import create_engine, text

            admin = create_engine(pg_base_url())
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            admin.dispose()
            base = pg_base_url()
            pg_url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
        fresh = not (root / f"search-{count}.done").exists()
        if fresh:
            sqlite_path.unlink(missing_ok=True)
        _grow_both(f"sqlite:///{sqlite_path}", pg_url, count, fresh)
        (root / f"search-{count}.done").touch()
        yield f"sqlite:///{sqlite_path}", pg_url, root
        return
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp, \
            (pg_schema() if have_pg else contextlib.nullcontext(None)) as pg_url:
        sqlite_url = f"sqlite:///{tmp}/briefing.db"
        _grow_both(sqlite_url, pg_url, count, True)
        yield sqlite_url, pg_url, Path(tmp)


def _grow_both(sqlite_url: str, pg_url: str | None, count: int, fresh: bool) -> None:
    if not fresh:
        say("  reusing the databases grown by an earlier run (BENCH_SEARCH_KEEP)")
        return
    started = time.perf_counter()
    # SQLite grows in a child while PostgreSQL grows here: the two share the machine's cores.
    child = subprocess.Popen([sys.executable, "-m", "bench.loader", str(count)], cwd=REPO,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(sqlite_url)
    child.stdin.close()
    pg_rate = grow(pg_url, count) if pg_url else None
    out = child.stdout.read()
    if child.wait() != 0:
        raise SystemExit("growing SQLite failed")
    say(f"  grown through upsert_articles in batches of 200 in {time.perf_counter() - started:.0f} s "
        f"(concurrently; SQLite {float(out):.0f}/s" + (f", PostgreSQL {pg_rate:.0f}/s)" if pg_rate else ")"))


def main() -> None:
    count = env_int("BENCH_SEARCH_ARTICLES", ARTICLES)
    passes = env_int("BENCH_SEARCH_PASSES", PASSES)
    vocabulary = Vocabulary.build()
    queries = pick_queries(vocabulary)
    say(f"search_latency: {count} generated articles; {len(queries)} queries "
        f"({PRESENT} present + {ABSENT} absent words of each length {LENGTHS}), {passes} timed passes; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    have_pg = postgres_version(pg_base_url()) is not None
    results: dict[str, dict[str, list[float]]] = {}
    with databases(count, have_pg) as (sqlite_url, pg_url, work):
        results["SQLite"] = measure("SQLite", sqlite_url, work, queries, passes)
        if pg_url:
            results["PostgreSQL"] = measure("PostgreSQL", pg_url, work, queries, passes)
        else:
            say("  PostgreSQL: unreachable, skipped (set BENCH_DATABASE_URL)")
    worst = 0.0
    by_group = groups(queries)
    for backend, by_word in results.items():
        for label, words in by_group.items():
            values = [v for w in words for v in by_word[w]]
            p50, p95 = median(values), percentile(values, 95)
            if label.endswith("all"):
                worst = max(worst, p95)
            say(f"  {backend:10s} {label:11s}: median {p50:7.2f} ms, p95 {p95:7.2f} ms, "
                f"max {max(values):7.2f} ms ({len(values)} requests)")
        peer = by_word[""]
        say(f"  {backend:10s} peer, no q  : median {median(peer):7.2f} ms, p95 "
            f"{percentile(peer, 95):7.2f} ms ({len(peer)} requests in the same passes)")
        slowest = max((w for w in by_word if w), key=lambda w: median(by_word[w]))
        say(f"  {backend:10s} slowest word by median: {slowest} {median(by_word[slowest]):.1f} ms")
    say(f"target p95 under {TARGET_P95_MS:g} ms: {'met' if worst < TARGET_P95_MS else 'missed'}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    summary = "; ".join(
        f"{b} p95 " + "/".join(f"{percentile([v for w in by_group[f'{n} all'] for v in r[w]], 95):.1f}"
                               for n in LENGTHS) + f" ms (no q: {percentile(r[''], 95):.1f})"
        for b, r in results.items())
    lengths = "/".join(str(n) for n in LENGTHS)
    finish("search_p95_worst", worst, "ms", f"{summary} for {lengths} characters at {count:,} articles")


if __name__ == "__main__":
    main()
