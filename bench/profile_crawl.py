"""Where a crawl child's time goes: py-spy over `python -m crawler.run` crawling the replica.

Not a figure: the profile behind figure 2 (docs/benchmarks.md). Needs py-spy
(`pip install -e '.[bench]'`). Prints the samples of each process and thread (the crawl child
and the writer process it starts, which parses and stores), then the functions with the most
samples, inclusive and self, over all of them. Environment: BENCH_ARTICLES (default 2000), BENCH_CONCURRENCY,
BENCH_PROFILE_RAW (a path to keep py-spy's raw output at).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.common import REPO, env_int, say
from bench.crawls import Window, start_replica

DAYS = 20


def collapse(raw: Path) -> tuple[Counter[str], Counter[str], int, Counter[str]]:
    """(inclusive, self) sample counts per function from py-spy's raw (collapsed) output, the
    total, and the samples of each process and thread (its first two frames)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        threads[_owner(stack)] += n
        frames = [_short(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    return inclusive, own, total, threads


def _owner(stack: str) -> str:
    """'child MainThread', 'writer MainThread', …: the innermost process of a stack and its thread."""
    process, thread = "child", "?"
    for frame in stack.split(";"):
        if frame.startswith("process "):
            process = ("writer" if "spawn_main" in frame else
                       "resource tracker" if "resource_tracker" in frame else "child")
        elif frame.startswith("thread "):
            thread = frame.partition(")")[2].strip(": ") or frame
            break
    return f"{process} {thread}"


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py)"; line numbers split hot spots.
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", str(REPO) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def main() -> None:
    if shutil.which("py-spy") is None:
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    from scheduler.crawls import CrawlTarget, crawl_options
    from scheduler.settings import Settings
    from storage import Database, create_run

    articles = env_int("BENCH_ARTICLES", 2000)
    concurrency = env_int("BENCH_CONCURRENCY", 8)
    window = Window.of_replica(DAYS)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp, \
            start_replica(articles, DAYS) as replica:
        url = f"sqlite:///{tmp}/briefing.db"
        db = Database(url)
        with db.session() as session:
            run = create_run(session=session, source="korea_kr:policy", trigger="manual")
        db.dispose()
        settings = Settings.model_validate({"BRIEFING_DATABASE_URL": url, "korea_kr_base_url": replica.url,
                                            "crawl_delay": 0, "crawl_concurrency": concurrency,
                                            "crawl_autothrottle": False})
        options = crawl_options(settings, CrawlTarget("korea_kr", "policy"), window.since, window.until,
                                run.id)
        raw = Path(tmp) / "profile.txt"
        command = ["py-spy", "record", "--rate", "250", "--format", "raw", "--output", str(raw),
                   "--threads", "--subprocesses", "--", sys.executable, "-m", "crawler.run", "--options", "-"]
        with open(Path(tmp) / "child.log", "wb") as log:
            subprocess.run(command, input=options.to_json().encode(), cwd=REPO, stdout=subprocess.DEVNULL,
                           stderr=log, check=True, timeout=900)
        inclusive, own, total, threads = collapse(raw)
        if keep := os.environ.get("BENCH_PROFILE_RAW"):
            shutil.copyfile(raw, keep)  # for flamegraph.pl or speedscope
    say(f"profile_crawl: {total} samples of the crawl child ({articles} articles, concurrency {concurrency})")
    say("samples by process and thread:")
    for owner, n in threads.most_common(12):
        say(f"  {n / total:6.1%}  {owner}")
    say("inclusive (share of all samples, every thread):")
    for frame, n in inclusive.most_common(40):
        say(f"  {n / total:6.1%}  {frame}")
    say("self:")
    for frame, n in own.most_common(25):
        say(f"  {n / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
