"""Backfill: press releases from the replica at the production politeness, in items per hour.

A public five-year backfill of korea.kr's press releases (docs/spec/korea-kr.md §13: 174,351
items, 2021-04 → 2026-04, through the Open API) reports 9,569 items/hour with at least 0.3 s
between requests. briefing's real crawl child (`korea_kr:press`, through
scheduler.crawls.execute_run as the CLI runs it) crawls the replica's press releases at the same
spacing (crawl_delay 0.3 s, no AutoThrottle, concurrency 1 as in production), attachments
included (every document the spider downloads: HWPX, HWP or PDF), into SQLite.

A year at 0.3 s a request takes hours, so the figure crawls a representative slice
(BENCH_BACKFILL_DAYS days at the year's rate of ~23,000 releases, 63 a day) and reports the
*rate* only; the hours a year would take are the year's count over that rate, an extrapolation
of the rate, not a measurement of a year. Environment: BENCH_BACKFILL_DAYS (14),
BENCH_BACKFILL_DELAY (0.3), BENCH_BACKFILL_PER_DAY (63).
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench.common import REPLICA_START, env_int, finish, say
from bench.crawls import Window, briefing_crawl, start_replica

DAYS = 14
PER_DAY = 63  # ~23,000 press releases a year (spec §13: 21–25k)
DELAY = 0.3
PEER_ITEMS_PER_HOUR = 9569
YEAR = 23_000


def kind(path: str) -> str:
    if path.endswith("List.do"):
        return "list pages"
    if path.endswith("View.do"):
        return "release pages"
    if path == "/common/download.do":
        return "attachments"
    if path.startswith("/docViewer/") or path == "/common/docViewer.do":
        return "document viewer pages"
    if path.startswith("/newsWeb/resources/attaches/"):
        return "images"
    if path == "/robots.txt":
        return "robots.txt"
    return "other"


def main() -> None:
    days = env_int("BENCH_BACKFILL_DAYS", DAYS)
    per_day = env_int("BENCH_BACKFILL_PER_DAY", PER_DAY)
    delay = float(os.environ.get("BENCH_BACKFILL_DELAY") or DELAY)
    count = days * per_day
    window = Window(REPLICA_START, REPLICA_START + timedelta(days=days - 1))
    say(f"backfill: {count} press releases over {days} days, {delay:g} s between requests, concurrency 1; "
        "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp, \
            start_replica(1, days, press=count) as replica:
        crawl = briefing_crawl(database_url=f"sqlite:///{Path(tmp) / 'briefing.db'}", data_dir=Path(tmp),
                               base_url=replica.url, window=window, concurrency=1,
                               target_name="korea_kr:press", delay=delay)
        log = replica.requests()
    kinds = Counter(kind(str(e["path"])) for e in log)
    stored = crawl.new + crawl.updated + crawl.unchanged
    rate = stored / crawl.seconds * 3600
    spacing = crawl.seconds / max(len(log), 1)
    say(f"  {crawl.seconds:.1f} s wall, {crawl.cpu_seconds:.1f} s CPU; {crawl.summary()}")
    say(f"  {len(log)} requests (" + ", ".join(f"{n} {k}" for k, n in kinds.most_common())
        + f"): {len(log) / max(stored, 1):.2f} requests per item, one every {spacing:.3f} s on average")
    say(f"  {rate:,.0f} items/hour against the public backfill's {PEER_ITEMS_PER_HOUR:,} at the same spacing "
        f"({rate / PEER_ITEMS_PER_HOUR:.0%}); a year of ~{YEAR:,} releases at this rate: "
        f"{YEAR / rate:.1f} hours (extrapolated from the rate of this {days}-day slice, not measured)")
    say("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    finish("backfill", rate, "items/hour",
           f"public korea.kr backfill {PEER_ITEMS_PER_HOUR:,}/h at >= 0.3 s; {days}-day slice of "
           f"{stored} items, "
           f"{len(log) / max(stored, 1):.2f} requests per item, delay {delay:g} s")


if __name__ == "__main__":
    main()
