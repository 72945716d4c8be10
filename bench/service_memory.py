"""Figure 6: resident memory of `briefing run` after 100 scheduled crawls, against after the first.

A real `briefing run` process (SQLite) schedules korea_kr:policy every BENCH_SCHEDULE_SECONDS
against a small replica whose articles are dated today (the scheduled window is the last day);
every crawl is a child process, so the service itself only schedules, records runs and serves
the API, which a monitor polls meanwhile (GET /healthz, /metrics and /crawls every 0.5 s). Its
VmRSS is read from /proc when the 1st, 10th, 25th, 50th and 100th run have finished.
Environment: BENCH_CRAWLS (100), BENCH_SCHEDULE_SECONDS (1.5).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.common import REPO, briefing_environment, env_int, finish, rss_kib, say, stop_process

CRAWLS = 100
CHECKPOINTS = (1, 10, 25, 50, 100)
TARGET_GROWTH_MB = 20.0
DEADLINE_SECONDS = 480.0
FINAL = ("succeeded", "failed", "interrupted")


def finished_runs(db_path: Path) -> tuple[int, int]:
    """(finished runs, of which succeeded), read without writing."""
    if not db_path.exists():
        return 0, 0
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
            rows = dict(conn.execute("SELECT status, count(*) FROM crawl_runs GROUP BY status").fetchall())
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0, 0
    return sum(rows.get(s, 0) for s in FINAL), rows.get("succeeded", 0)


def peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))


def main() -> None:
    from domain.article import KST
    from tests.replica.fixture import Replica

    crawls = env_int("BENCH_CRAWLS", CRAWLS)
    interval = float(os.environ.get("BENCH_SCHEDULE_SECONDS", "1.5"))
    checkpoints = sorted({c for c in CHECKPOINTS if c < crawls} | {1, crawls})
    say(f"service_memory: briefing run, korea_kr:policy every {interval:g} s, until {crawls} crawls have run")
    today = datetime.now(KST).date()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, \
            Replica.start(articles=5, start=today, days=1, press=0, briefings=0, facts=0) as replica:
        data_dir = Path(tmp)
        db_path = data_dir / "briefing.db"
        env = briefing_environment(
            f"sqlite:///{db_path}", data_dir, replica.url,
            BRIEFING_SCHEDULES=f'{{"korea_kr:policy": {{"minutes": {interval / 60!r}, '
                               '"jitter_seconds": 0, "window_days": 1}}',
        )
        with (data_dir / "service.log").open("wb") as log:
            service = subprocess.Popen([sys.executable, "-m", "scheduler", "run", "--port", "0"], cwd=REPO,
                                       env=env, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
            try:
                rss = watch(service, db_path, checkpoints)
            finally:
                stop_process(service)
    first, last = rss[checkpoints[0]], rss[checkpoints[-1]]
    growth = (last - first) / 1024
    say(f"growth {growth:+.1f} MB from the 1st to the {checkpoints[-1]}th crawl (target under "
        f"{TARGET_GROWTH_MB:g} MB: {'met' if growth < TARGET_GROWTH_MB else 'missed'})")
    finish("service_memory_growth", growth, "MB",
           f"RSS {first / 1024:.1f} MB after crawl 1, {last / 1024:.1f} MB after crawl {checkpoints[-1]}")


def watch(service: subprocess.Popen[bytes], db_path: Path, checkpoints: list[int]) -> dict[int, int]:
    """The service's RSS (KiB) when each checkpoint's run has finished."""
    import httpx

    assert service.stdout is not None
    line = service.stdout.readline().decode()
    if not line.startswith("SERVICE_URL "):
        raise SystemExit(f"briefing run did not start ({line!r}); see service.log")
    say(f"  service pid {service.pid}, RSS {rss_kib(service.pid) / 1024:.1f} MB at start")
    http = httpx.Client(base_url=line.split()[1], timeout=10)
    polled = 0.0
    started = time.monotonic()
    rss: dict[int, int] = {}
    pending = list(checkpoints)
    while pending:
        if service.poll() is not None:
            raise SystemExit(f"briefing run exited with {service.returncode}")
        if time.monotonic() - started > DEADLINE_SECONDS:
            raise SystemExit(f"only {finished_runs(db_path)[0]} crawls after {DEADLINE_SECONDS:g} s")
        if time.monotonic() - polled >= 0.5:  # a monitor watching the service
            for path in ("/healthz", "/metrics", "/crawls?limit=20"):
                http.get(path).raise_for_status()
            polled = time.monotonic()
        done, succeeded = finished_runs(db_path)
        if done >= pending[0]:
            # Right after the run is recorded: its child has exited and the service is idle.
            rss[pending[0]] = rss_kib(service.pid)
            elapsed = time.monotonic() - started
            say(f"  after crawl {pending[0]:3d} ({succeeded} succeeded, {elapsed:5.1f} s): "
                f"RSS {rss[pending[0]] / 1024:.1f} MB, peak {peak_kib(service.pid) / 1024:.1f} MB")
            if succeeded < done:
                raise SystemExit(f"{done - succeeded} crawl(s) did not succeed; see the run logs")
            pending.pop(0)
        time.sleep(0.05)
    http.close()
    return rss


if __name__ == "__main__":
    main()
