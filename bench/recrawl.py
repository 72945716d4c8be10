"""Figure 3: an incremental re-crawl of the unchanged 2,000-article replica against the first crawl.

Both crawls are briefing's real crawl child into one SQLite file; the replica's request log
says what each sent and received. The second crawl should walk the list pages again and send
every article request conditionally (If-None-Match / If-Modified-Since), so that every
unchanged article is a 304 without a body.

Whether korea.kr sends ETag or Last-Modified is unknown, so the same two crawls run again into
a fresh database with the replica's validators switched off (`/_control/validators`): no
validator to store, no conditional request, every article page downloaded again. That pair
says what a re-crawl costs when the site gives nothing to be conditional on; the figure's peer
is the first crawl of the same pair. Article pages come in korea.kr-sized chrome unless
BENCH_PAGES_KIND=replica (bench/crawls.start_replica). Environment: BENCH_ARTICLES,
BENCH_CONCURRENCY, BENCH_PAGES_KIND.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from bench.common import env_int, finish, say
from bench.crawls import BriefingCrawl, Traffic, Window, briefing_crawl, start_replica

ARTICLES = 2000
DAYS = 20
CONCURRENCY = 8


def crawl_twice(replica: Any, data_dir: Path, window: Window, concurrency: int, label: str
                ) -> tuple[list[BriefingCrawl], list[Traffic]]:
    url = f"sqlite:///{data_dir / 'briefing.db'}"
    crawls, traffic = [], []
    for which in ("first", "second"):
        replica.clear_requests()
        crawl = briefing_crawl(database_url=url, data_dir=data_dir, base_url=replica.url, window=window,
                               concurrency=concurrency)
        seen = Traffic.of(replica.requests())
        say(f"  {label}, {which} crawl: {crawl.seconds:.2f} s wall, {crawl.cpu_seconds:.1f} s CPU; "
            f"{crawl.summary()}")
        say(f"    {seen.describe()}")
        crawls.append(crawl)
        traffic.append(seen)
    return crawls, traffic


def main() -> None:
    articles = env_int("BENCH_ARTICLES", ARTICLES)
    concurrency = env_int("BENCH_CONCURRENCY", CONCURRENCY)
    window = Window.of_replica(DAYS)
    say(f"recrawl: replica of {articles} articles over {DAYS} days, concurrency {concurrency}; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="bench-recrawl-") as tmp, \
            start_replica(articles, DAYS) as replica:
        (Path(tmp) / "with").mkdir()
        (Path(tmp) / "without").mkdir()
        crawls, traffic = crawl_twice(replica, Path(tmp) / "with", window, concurrency, "with validators")
        replica.validators(False)
        bare_crawls, bare_traffic = crawl_twice(replica, Path(tmp) / "without", window, concurrency,
                                                "without validators")
    first, second = traffic
    bodies_again = second.article_200
    only_lists_and_conditional = (second.article_conditional == second.article_requests
                                  and second.other_requests <= first.other_requests)
    say(f"with validators, second/first: requests {second.requests / first.requests:.1%}, body bytes "
        f"{second.bytes / first.bytes:.1%}, wall time {crawls[1].seconds / crawls[0].seconds:.1%}, "
        f"CPU {crawls[1].cpu_seconds / crawls[0].cpu_seconds:.1%}")
    no_first, no_second = bare_traffic
    wall = bare_crawls[1].seconds / bare_crawls[0].seconds
    say(f"without validators, second/first: requests {no_second.requests / no_first.requests:.1%}, "
        f"body bytes {no_second.bytes / no_first.bytes:.1%}, wall time {wall:.1%}, "
        f"CPU {bare_crawls[1].cpu_seconds / bare_crawls[0].cpu_seconds:.1%}; "
        f"{no_second.article_conditional} conditional article requests, {no_second.article_200} article "
        f"bodies downloaded again; stored: {bare_crawls[1].summary()}")
    say(f"target (only list pages and conditional requests; no article body again where the server "
        f"answers 304): {'met' if only_lists_and_conditional and bodies_again == 0 else 'missed'} "
        f"({second.article_conditional}/{second.article_requests} article requests conditional, "
        f"{second.article_304} answered 304, {bodies_again} article bodies downloaded again)")
    say("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    finish("recrawl_bytes", second.bytes / first.bytes * 100, "% of the first crawl's body bytes",
           f"{second.bytes:,} vs {first.bytes:,} bytes; {second.requests} vs {first.requests} requests; "
           f"{second.article_304}/{second.article_requests} articles 304; {bodies_again} bodies again; "
           f"without validators: {no_second.bytes / no_first.bytes:.0%} of the bytes, wall "
           f"{bare_crawls[1].seconds:.1f} vs {bare_crawls[0].seconds:.1f} s")


if __name__ == "__main__":
    main()
