"""Figure 3: an incremental re-crawl of the unchanged 2,000-article replica against the first crawl.

Both crawls are briefing's real crawl child into one SQLite file; the replica's request log
says what each sent and received. The second crawl should walk the list pages again and send
every article request conditionally (If-None-Match / If-Modified-Since), so that every
unchanged article is a 304 without a body. Environment: BENCH_ARTICLES, BENCH_CONCURRENCY.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import env_int, finish, say
from bench.crawls import Traffic, Window, briefing_crawl, start_replica

ARTICLES = 2000
DAYS = 20
CONCURRENCY = 8


def main() -> None:
    articles = env_int("BENCH_ARTICLES", ARTICLES)
    concurrency = env_int("BENCH_CONCURRENCY", CONCURRENCY)
    window = Window.of_replica(DAYS)
    say(f"recrawl: replica of {articles} articles over {DAYS} days, concurrency {concurrency}")
    with tempfile.TemporaryDirectory(prefix="bench-recrawl-") as tmp, \
            start_replica(articles, DAYS) as replica:
        data_dir = Path(tmp)
        url = f"sqlite:///{data_dir / 'briefing.db'}"
        crawls, traffic = [], []
        for label in ("first", "second"):
            replica.clear_requests()
            crawl = briefing_crawl(database_url=url, data_dir=data_dir, base_url=replica.url, window=window,
                                   concurrency=concurrency)
            seen = Traffic.of(replica.requests())
            say(f"  {label} crawl: {crawl.seconds:.2f} s wall, {crawl.cpu_seconds:.1f} s CPU; "
                f"{crawl.summary()}")
            say(f"    {seen.describe()}")
            crawls.append(crawl)
            traffic.append(seen)
    first, second = traffic
    bodies_again = second.article_200
    only_lists_and_conditional = (second.article_conditional == second.article_requests
                                  and second.other_requests <= first.other_requests)
    say(f"second/first: requests {second.requests / first.requests:.1%}, body bytes "
        f"{second.bytes / first.bytes:.1%}, wall time {crawls[1].seconds / crawls[0].seconds:.1%}, "
        f"CPU {crawls[1].cpu_seconds / crawls[0].cpu_seconds:.1%}")
    say(f"target (only list pages and conditional requests; no article body again where the server "
        f"answers 304): {'met' if only_lists_and_conditional and bodies_again == 0 else 'missed'} "
        f"({second.article_conditional}/{second.article_requests} article requests conditional, "
        f"{second.article_304} answered 304, {bodies_again} article bodies downloaded again)")
    finish("recrawl_bytes", second.bytes / first.bytes * 100, "% of the first crawl's body bytes",
           f"{second.bytes:,} vs {first.bytes:,} bytes; {second.requests} vs {first.requests} requests; "
           f"{second.article_304}/{second.article_requests} articles 304; {bodies_again} bodies again")


if __name__ == "__main__":
    main()
