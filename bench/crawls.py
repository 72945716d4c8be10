"""Crawling the replica for figures 2 and 3: briefing's real crawl child, the bare peer, the request log."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import REPLICA_START, REPO, children_cpu_seconds

ARTICLE_PATH = "/news/policyNewsView.do"
LIST_PATH = "/news/policyNewsList.do"


@dataclass(frozen=True, slots=True)
class Window:
    since: date
    until: date

    @classmethod
    def of_replica(cls, days: int) -> Window:
        return cls(REPLICA_START, REPLICA_START + timedelta(days=days - 1))


def start_replica(articles: int, days: int, *, press: int = 0, chrome: bool | None = None) -> Any:
    """A replica of `articles` policy-news articles and `press` press releases (no briefings or
    fact-checks), started as a child. `chrome` (default: BENCH_PAGES_KIND is not "replica")
    serves the article pages in korea.kr-sized chrome (bench/chrome_replica.py)."""
    from tests.replica.fixture import URL_PREFIX, Replica

    if chrome is None:
        chrome = os.environ.get("BENCH_PAGES_KIND", "korea") != "replica"
    if not chrome:
        return Replica.start(articles=articles, start=REPLICA_START, days=days, seed=1,
                             press=press, briefings=0, facts=0, timeout=60)
    args = ["--articles", str(articles), "--start", REPLICA_START.isoformat(), "--days", str(days),
            "--seed", "1", "--port", "0", "--press", str(press), "--briefings", "0", "--facts", "0"]
    return Replica.spawn("bench.chrome_replica", args, prefix=URL_PREFIX, timeout=60)


@dataclass(frozen=True, slots=True)
class BriefingCrawl:
    seconds: float
    cpu_seconds: float  # the crawl child's user + system time
    status: str
    seen: int
    new: int
    updated: int
    unchanged: int
    failed: int

    def summary(self) -> str:
        return (f"{self.status}: seen {self.seen}, new {self.new}, updated {self.updated}, "
                f"unchanged {self.unchanged}, failed {self.failed}")


def briefing_crawl(*, database_url: str, data_dir: Path, base_url: str, window: Window,
                   concurrency: int, target_name: str = "korea_kr:policy",
                   delay: float = 0.0) -> BriefingCrawl:
    """One run of `target_name` (korea_kr:policy unless told), `delay` seconds between requests,
    through scheduler.crawls.execute_run (the CLI's and service's path).

    The wall time covers the child from spawn to exit: start-up, list pages, article pages,
    parsing, normalizing and storing. The schema is created before the clock starts.
    """
    from scheduler.crawls import crawl_options, execute_run
    from scheduler.settings import Settings
    from scheduler.targets import parse_target
    from storage import Database, create_run

    # Validated from these values alone (no BRIEFING_* environment, no .env); the database URL
    # goes by its alias, the only name the field accepts.
    settings = Settings.model_validate({
        "BRIEFING_DATABASE_URL": database_url,
        "data_dir": data_dir,
        "korea_kr_base_url": base_url,
        "sources_file": data_dir / "sources.toml",
        "crawl_delay": delay,
        "crawl_autothrottle": False,
        "crawl_concurrency": concurrency,
        # BENCH_WRITER=process|thread measures one writer placement against the other
        "crawl_writer": os.environ.get("BENCH_WRITER", "auto"),
    })
    if settings.database_url != database_url:
        raise RuntimeError(f"settings ignored the database URL {database_url!r}")
    db = Database(database_url)
    try:
        target = parse_target(target_name, settings=settings)
        with db.session() as session:
            run = create_run(session=session, source=target.name, trigger="manual",
                             since=window.since.isoformat(), until=window.until.isoformat())
        options = crawl_options(settings, target, window.since, window.until, run.id)
        cpu, started = children_cpu_seconds(), time.perf_counter()
        finished = asyncio.run(execute_run(db=db, settings=settings, run=run, options=options))
        seconds, cpu = time.perf_counter() - started, children_cpu_seconds() - cpu
    finally:
        db.dispose()
    return BriefingCrawl(seconds, cpu, finished.status, finished.seen, finished.new, finished.updated,
                         finished.unchanged, finished.failed)


@dataclass(frozen=True, slots=True)
class BareCrawl:
    seconds: float
    cpu_seconds: float
    responses: int
    bytes: int
    status_200: int


def bare_crawl(*, requests: list[tuple[str, str]], concurrency: int, log: Path,
               obey_robots: bool = True, timeout: float = 30.0) -> BareCrawl:
    """The bare Scrapy peer as a child process, timed from spawn to exit like briefing's."""
    job = json.dumps({"requests": requests, "concurrency": concurrency, "obey_robots": obey_robots,
                      "timeout": timeout})
    with log.open("wb") as stderr:
        cpu, started = children_cpu_seconds(), time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "bench.bare_spider"], input=job.encode(), cwd=REPO,
                              stdout=subprocess.PIPE, stderr=stderr, timeout=600, check=True)
        seconds, cpu = time.perf_counter() - started, children_cpu_seconds() - cpu
    stats = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return BareCrawl(seconds, cpu, stats["responses"], stats["bytes"], stats["status_200"])


def replay_requests(log: list[dict[str, Any]], base_url: str) -> list[tuple[str, str]]:
    """The (method, URL) of every page briefing requested, for the bare peer to fetch in turn.

    robots.txt is left out: Scrapy fetches it itself when robots are obeyed. The list form's
    POSTs are replayed as POSTs without their form body (the replica then answers page 1,
    the same template at the same size).
    """
    out = []
    for entry in log:
        if entry["path"] == "/robots.txt":
            continue
        query = f"?{entry['query']}" if entry["query"] else ""
        out.append((entry["method"], f"{base_url}{entry['path']}{query}"))
    return out


@dataclass(frozen=True, slots=True)
class Traffic:
    """What one crawl asked of the replica, from the replica's request log."""

    requests: int
    bytes: int
    list_requests: int
    article_requests: int
    article_conditional: int  # sent with If-None-Match or If-Modified-Since
    article_304: int
    article_200: int
    article_body_bytes: int
    other_requests: int

    @classmethod
    def of(cls, log: list[dict[str, Any]]) -> Traffic:
        articles = [e for e in log if e["path"] == ARTICLE_PATH]
        lists = [e for e in log if e["path"] == LIST_PATH]

        def conditional(entry: dict[str, Any]) -> bool:
            names = {k.lower() for k in entry["headers"]}
            return "if-none-match" in names or "if-modified-since" in names

        return cls(
            requests=len(log),
            bytes=sum(int(e["bytes"]) for e in log),
            list_requests=len(lists),
            article_requests=len(articles),
            article_conditional=sum(1 for e in articles if conditional(e)),
            article_304=sum(1 for e in articles if e["status"] == 304),
            article_200=sum(1 for e in articles if e["status"] == 200),
            article_body_bytes=sum(int(e["bytes"]) for e in articles),
            other_requests=len(log) - len(articles) - len(lists),
        )

    def describe(self) -> str:
        return (f"{self.requests} requests, {self.bytes:,} body bytes: {self.list_requests} list pages, "
                f"{self.article_requests} article pages ({self.article_conditional} conditional, "
                f"{self.article_304} answered 304, {self.article_200} answered 200 with "
                f"{self.article_body_bytes:,} bytes), {self.other_requests} other")
