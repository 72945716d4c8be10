"""Backfill: one run per day, resumable from the first day not done, never alongside another crawl."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import storage
from scheduler.backfill import BackfillReporter, run_backfill, wants_backfill
from scheduler.crawls import CrawlTarget
from scheduler.settings import Settings
from storage import Backfill, CrawlRun, Database
from tests.crawl_helpers import REPO, briefing, briefing_env

POLICY = CrawlTarget("korea_kr", "policy")
SINCE = date(2024, 1, 1)


class Recorder(BackfillReporter):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def started(self, backfill: Backfill, resumed: bool) -> None:
        self.events.append(("started", backfill.next_day, resumed))

    def waiting(self, busy: CrawlRun, day: date) -> None:
        self.events.append(("waiting", busy.id, day))

    def day_done(self, backfill: Backfill, run: CrawlRun, day: date) -> None:
        self.events.append(("day", day))


class FakeCrawl:
    """Stands in for execute_run: records each day's window, fails on the days it is told to."""

    def __init__(self, fail_on: set[date] | None = None) -> None:
        self.windows: list[tuple[date, date]] = []
        self.fail_on = fail_on or set()

    async def __call__(self, *, db: Database, settings: Settings, run: CrawlRun, options: Any,
                       **_: Any) -> CrawlRun:
        self.windows.append((options.since, options.until))
        status = "failed" if options.since in self.fail_on else "succeeded"
        with db.session() as session:
            storage.mark_running(session=session, run_id=run.id, pid=os.getpid())
            return storage.finish_run(session=session, run_id=run.id, status=status, exit_code=0)


def backfill(db: Database, until: date, crawl: FakeCrawl, reporter: Recorder, **extra: Any):  # type: ignore[no-untyped-def]
    settings = Settings(database_url="sqlite://", backfill_retry_seconds=0.05, **extra)
    return asyncio.run(run_backfill(db=db, settings=settings, target=POLICY, since=SINCE, until=until,
                                    reporter=reporter, execute=crawl))


def test_one_run_per_day_in_order(db: Database) -> None:
    crawl, reporter = FakeCrawl(), Recorder()
    outcome = backfill(db, SINCE + timedelta(days=2), crawl, reporter)
    days = [SINCE + timedelta(days=n) for n in range(3)]
    assert crawl.windows == [(d, d) for d in days]
    assert outcome.failed_run is None and outcome.backfill.status == "done"
    assert outcome.backfill.next_day is None
    assert reporter.events == [("started", SINCE, False), *[("day", d) for d in days]]
    with db.session() as session:
        runs = storage.list_runs(session=session, source="korea_kr:policy")
    assert {r.trigger for r in runs} == {"backfill"} and len(runs) == 3


def test_a_failed_day_stops_and_the_same_command_resumes_there(db: Database) -> None:
    bad = SINCE + timedelta(days=1)
    first = backfill(db, SINCE + timedelta(days=3), FakeCrawl(fail_on={bad}), Recorder())
    assert first.backfill.status == "failed" and first.backfill.next_day == bad
    assert first.failed_run is not None and first.failed_run.status == "failed"
    crawl, reporter = FakeCrawl(), Recorder()
    again = backfill(db, SINCE + timedelta(days=3), crawl, reporter)
    assert reporter.events[0] == ("started", bad, True)
    assert [w[0] for w in crawl.windows] == [bad, bad + timedelta(days=1), bad + timedelta(days=2)]
    assert again.backfill.id == first.backfill.id and again.backfill.status == "done"


def test_failed_days_in_a_row_stop_the_backfill_and_it_resumes_at_the_first_failed_day(db: Database) -> None:
    days = [SINCE + timedelta(days=n) for n in range(8)]
    # One failed day alone does not stop the walk; three in a row do (the default limit).
    crawl, reporter = FakeCrawl(fail_on={days[1], days[3], days[4], days[5]}), Recorder()
    outcome = backfill(db, days[-1], crawl, reporter)
    assert [w[0] for w in crawl.windows] == days[:6]  # days 7 and 8 were never tried
    assert outcome.failed_days == (days[1], days[3], days[4], days[5])
    assert outcome.stopped == "stopped after 3 failed days in a row (BRIEFING_BACKFILL_MAX_FAILED_DAYS=3)"
    assert outcome.backfill.status == "failed" and outcome.backfill.next_day == days[1]
    assert outcome.failed_run is not None and outcome.failed_run.since == days[5].isoformat()
    assert not outcome.ok and outcome.describe().startswith(outcome.stopped)
    assert "failed days: 2024-01-02, 2024-01-04, 2024-01-05, 2024-01-06" in outcome.describe()


def test_the_failed_days_limit_is_a_setting(db: Database) -> None:
    crawl = FakeCrawl(fail_on={SINCE + timedelta(days=n) for n in range(10)})
    outcome = backfill(db, SINCE + timedelta(days=9), crawl, Recorder(), backfill_max_failed_days=1)
    assert len(crawl.windows) == 1 and outcome.backfill.status == "failed"
    assert "stopped after 1 failed days in a row" in (outcome.stopped or "")


def test_a_walk_with_a_failed_day_ends_failed_not_done(db: Database) -> None:
    bad = SINCE + timedelta(days=2)
    crawl = FakeCrawl(fail_on={bad})
    outcome = backfill(db, SINCE + timedelta(days=4), crawl, Recorder())
    assert len(crawl.windows) == 5 and outcome.stopped is None
    assert (outcome.backfill.status, outcome.backfill.next_day) == ("failed", bad)
    assert outcome.failed_days == (bad,)
    assert outcome.describe().startswith("failed days: 2024-01-03")


def test_a_busy_source_is_waited_for_not_crawled_alongside(db: Database) -> None:
    with db.session() as session:
        busy = storage.create_run(session=session, source="korea_kr:policy", trigger="scheduled")
        storage.mark_running(session=session, run_id=busy.id, pid=os.getpid())  # a live process

    async def main() -> Any:
        crawl, reporter = FakeCrawl(), Recorder()
        settings = Settings(database_url="sqlite://", backfill_retry_seconds=0.05)
        task = asyncio.create_task(run_backfill(db=db, settings=settings, target=POLICY, since=SINCE,
                                                until=SINCE, reporter=reporter, execute=crawl))
        await asyncio.sleep(0.3)
        assert crawl.windows == []  # still waiting: the scheduled crawl is running
        with db.session() as session:
            storage.finish_run(session=session, run_id=busy.id, status="succeeded")
        return await asyncio.wait_for(task, 10), crawl, reporter

    outcome, crawl, reporter = asyncio.run(main())
    assert ("waiting", busy.id, SINCE) in reporter.events
    assert crawl.windows == [(SINCE, SINCE)] and outcome.backfill.status == "done"


@pytest.mark.parametrize(
    ("target", "days", "flag", "expected"),
    [
        (POLICY, 7, None, False),
        (POLICY, 8, None, True),
        (POLICY, 30, False, False),
        (POLICY, 2, True, True),
        (CrawlTarget("feed", "x", "http://x/"), 30, None, False),
    ],
)
def test_which_windows_are_walked_day_by_day(
    target: CrawlTarget, days: int, flag: bool | None, expected: bool
) -> None:
    assert wants_backfill(target, SINCE, SINCE + timedelta(days=days - 1), flag) is expected


def test_a_feed_cannot_be_backfilled() -> None:
    with pytest.raises(ValueError, match="no date window"):
        wants_backfill(CrawlTarget("feed", "x", "http://x/"), SINCE, SINCE, True)


# --- end to end: 30 days of the replica, killed half-way, run again -----------------------------


def backfill_row(db_url: str) -> Backfill | None:
    db = Database(db_url)
    try:
        with db.session() as session:
            found = storage.list_backfills(session=session, limit=1)
            return found[0] if found else None
    except Exception:  # the schema is not there yet
        return None
    finally:
        db.dispose()


@pytest.fixture
def one_backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """PostgreSQL when configured (replicas and hosts share it), else SQLite: this test is long."""
    if os.environ.get("TEST_DATABASE_URL"):
        return str(request.getfixturevalue("pg_schema_url"))
    return f"sqlite:///{tmp_path / 'backfill.db'}"


@pytest.mark.slow
def test_a_killed_backfill_resumes_and_stores_every_article_once(
    replica_factory, one_backend_url: str, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    db_url = one_backend_url
    days = 30
    site = replica_factory(articles=60, start=SINCE, days=days)
    until = SINCE + timedelta(days=days - 1)
    env = briefing_env(db_url, tmp_path, site.url, BRIEFING_BACKFILL_RETRY_SECONDS="0.2",
                       BRIEFING_SOURCES_FILE=str(tmp_path / "none.toml"))
    args = ["crawl", "korea_kr", "--section", "policy", "--since", SINCE.isoformat(),
            "--until", until.isoformat()]
    process = subprocess.Popen([sys.executable, "-m", "scheduler", *args], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = backfill_row(db_url)
            if row is not None and row.done_days >= days // 2:
                break
            assert process.poll() is None, "the backfill ended before it could be killed"
            time.sleep(0.1)
        else:
            pytest.fail("the backfill did not get half-way in time")
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the CLI's whole process group, mid-way
        process.wait()
    killed_at = backfill_row(db_url)
    assert killed_at is not None and killed_at.status == "running" and killed_at.next_day is not None
    resume_day = killed_at.next_day

    result = briefing(*args, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    done_days = (resume_day - SINCE).days
    assert (f"backfill {killed_at.id} of korea_kr:policy {SINCE}..{until}: resuming from {resume_day} "
            f"({done_days} of {days} days done)") in result.stdout
    resumed_days = re.findall(r"^  (\d{4}-\d{2}-\d{2}): run", result.stdout, re.M)
    assert resumed_days[0] == resume_day.isoformat() and len(resumed_days) == days - done_days
    assert f"backfill {killed_at.id} of korea_kr:policy done: {days} days" in result.stdout

    db = Database(db_url)
    try:
        with db.session() as session:
            stored = [s.article.external_id for s in storage.iter_articles(session=session)]
            runs = storage.list_runs(session=session, source="korea_kr:policy", limit=1000)
    finally:
        db.dispose()
    truth = {a["news_id"] for a in site.truth()}
    assert len(stored) == len(set(stored)) == len(truth) == 60
    assert set(stored) == truth
    # Days before the resume point were never crawled again; the killed day at most twice.
    per_day: dict[str, int] = {}
    for run in runs:
        per_day[run.since or ""] = per_day.get(run.since or "", 0) + 1
    assert all(count == 1 for day, count in per_day.items() if day < resume_day.isoformat())
    assert set(per_day) == {(SINCE + timedelta(days=n)).isoformat() for n in range(days)}
