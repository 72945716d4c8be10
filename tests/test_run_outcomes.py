"""Honest run outcomes (issue 12.1, 12.4): a source that cannot be read fails its run with the
reason, the source's state turns to error until a run succeeds, `briefing crawl` exits non-zero,
a backfill stops after too many failed days, and errors are visible (stage, run log, one summary
line per run). Real crawl children against the replica, the feed stand-in and a closed port.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import storage
from crawler.protocol import ExitCode
from scheduler.crawls import CrawlTarget, crawl_options, execute_run
from scheduler.manager import CrawlManager
from scheduler.settings import Settings
from storage import CrawlRun, Database
from storage.runs import failure_kinds
from tests.crawl_helpers import briefing, briefing_env
from tests.replica.fixture import Replica
from tests.standins import feeds_fixture

feed_standin_server = feeds_fixture.feed_standin_server
feed_standin = feeds_fixture.feed_standin

pytestmark = pytest.mark.slow

POLICY = CrawlTarget("korea_kr", "policy")
DAY = date(2026, 11, 19)  # a day of the shared replica (2026-11-18 + 5 days)


def closed_port() -> str:
    """A loopback URL where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def answering(replica: Replica, status: int) -> str:
    """A base URL under which every page of the replica answers `status` (its ?status= fault):
    the spider appends its list path after the `#`, which is never sent."""
    return f"{replica.url}/?status={status}#"


def settings_for(db: Database, tmp_path: Path, **values: Any) -> Settings:
    return Settings.model_validate({
        "BRIEFING_DATABASE_URL": db.url,
        "data_dir": tmp_path,
        "sources_file": tmp_path / "none.toml",
        "crawl_delay": 0,
        "crawl_autothrottle": False,
        "crawl_concurrency": 4,
        "crawl_retry_backoff": 0.05,
        "crawl_timeout": 5,
        "crawl_retries": 1,
        **values,
    })


def crawl(db: Database, settings: Settings, target: CrawlTarget, day: date = DAY) -> CrawlRun:
    with db.session() as session:
        run = storage.create_run(session=session, source=target.name, since=day.isoformat(),
                                 until=day.isoformat())
    options = crawl_options(settings, target, day, day, run.id)
    return asyncio.run(execute_run(db=db, settings=settings, run=run, options=options))


def state(db: Database, name: str) -> storage.SourceState:
    with db.session() as session:
        found = storage.get_source_state(session=session, name=name)
    assert found is not None
    return found


def errors(db: Database, run_id: int) -> list[storage.CrawlErrorRecord]:
    with db.session() as session:
        return storage.list_errors(session=session, run_id=run_id)


def run_log(settings: Settings, run: CrawlRun) -> str:
    return (settings.log_dir / f"run-{run.id}.log").read_text(encoding="utf-8")


def test_a_site_where_nothing_answers_fails_the_crawl_within_its_retries(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'b.db'}"
    env = briefing_env(db_url, tmp_path, closed_port(), BRIEFING_CRAWL_RETRIES="2",
                       BRIEFING_SOURCES_FILE=str(tmp_path / "none.toml"))
    began = time.monotonic()
    result = briefing("crawl", "korea_kr:policy", "--since", "2026-11-19", "--until", "2026-11-19", env=env)
    elapsed = time.monotonic() - began
    assert result.returncode == 1, result.stdout + result.stderr  # the CLI's "run failed"
    assert elapsed < 60
    assert "korea_kr:policy failed" in result.stdout
    assert "could not read the source: list page: connection refused" in result.stdout

    db = Database(db_url)
    try:
        (run,) = _runs(db)
        assert (run.status, run.exit_code) == ("failed", ExitCode.SOURCE_FAILED)
        (error,) = errors(db, run.id)
        assert (error.stage, error.kind) == ("list", "connection")
        current = state(db, "korea_kr:policy")
        assert (current.status, current.error) == ("error", run.reason)
    finally:
        db.dispose()
    log = (tmp_path / "logs" / f"run-{run.id}.log").read_text(encoding="utf-8")
    # The configured retries, then one line for the failed list page, and no Scrapy boilerplate.
    assert "(failed 3 times)" in log
    line = r'msg="failed list connection http://127\.0\.0\.1:\d+/\S+: list page: connection refused'
    assert re.search(line, log)
    assert "Dumping Scrapy stats" not in log and "Traceback" not in log
    assert all(len(line) < 2000 for line in log.splitlines())

    listed = briefing("sources", "list", "--format", "json", env=env)
    (source,) = json.loads(listed.stdout)
    assert source["name"] == "korea_kr:policy" and source["state"] == "error"


def _runs(db: Database) -> list[CrawlRun]:
    with db.session() as session:
        return storage.list_runs(session=session, limit=5)


@pytest.mark.parametrize("status", [404, 500])
def test_a_list_page_answering_an_error_fails_the_run(
    replica: Replica, db: Database, tmp_path: Path, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(db, tmp_path, korea_kr_base_url=answering(replica, status))

    async def through_the_service() -> CrawlRun:
        manager = CrawlManager(db, settings)
        run = await manager.submit(POLICY, DAY, DAY, "api")
        await manager.wait_idle()
        with db.session() as session:
            found = storage.get_run(session=session, run_id=run.id)
        assert found is not None
        return found

    with caplog.at_level(logging.INFO, logger="scheduler.manager"):
        run = asyncio.run(through_the_service())
    assert (run.status, run.exit_code) == ("failed", ExitCode.SOURCE_FAILED)
    assert run.reason == f"could not read the source: list page: HTTP {status} after retries"
    (error,) = errors(db, run.id)
    assert (error.stage, error.kind) == ("list", f"http_{status}")
    assert state(db, "korea_kr:policy").status == "error"
    # The service's one line for the run: what failed, by kind, and why the run failed.
    assert (f"run {run.id} korea_kr:policy failed: 1 of 1 items failed (1 http_{status}); "
            f"could not read the source") in caplog.text
    # A 500 is retried as configured (it may pass), a 404 is not.
    tries = [r for r in replica.requests() if r["path"] == "/" and r["status"] == status]
    assert len(tries) == 1 + (settings.crawl_retries if status == 500 else 0)
    assert f"failed list http_{status}" in run_log(settings, run)


def test_the_source_state_returns_to_ok_after_a_good_run(
    replica: Replica, db: Database, tmp_path: Path
) -> None:
    broken = settings_for(db, tmp_path, korea_kr_base_url=answering(replica, 500), crawl_retries=0)
    failed = crawl(db, broken, POLICY)
    assert failed.status == "failed" and state(db, "korea_kr:policy").status == "error"
    good = crawl(db, settings_for(db, tmp_path, korea_kr_base_url=replica.url), POLICY)
    assert (good.status, good.exit_code, good.reason) == ("succeeded", 0, None)
    assert good.new > 0 and good.failed == 0
    current = state(db, "korea_kr:policy")
    assert (current.status, current.error) == ("ok", None)


def test_too_many_failed_items_fail_the_run_by_the_share_limit(
    replica: Replica, db: Database, tmp_path: Path
) -> None:
    day = [a for a in replica.truth() if a["published_at"].startswith(DAY.isoformat())]
    assert len(day) >= 4
    for article in day[:2]:
        replica.fault(article["news_id"], "status:404")
    strict_settings = settings_for(db, tmp_path, korea_kr_base_url=replica.url, failed_share_limit=0.1)
    strict = crawl(db, strict_settings, POLICY)
    assert (strict.status, strict.exit_code) == ("failed", ExitCode.SOURCE_FAILED)
    assert strict.reason == f"2 of {len(day)} items failed (2 http_404): more than 10%"
    with db.session() as session:
        assert failure_kinds(session=session, run_id=strict.id) == {"http_404": 2}
    assert {e.stage for e in errors(db, strict.id)} == {"article"}
    # The same run under the default limit (0.5) is a success with two failed items.
    lenient = crawl(db, settings_for(db, tmp_path, korea_kr_base_url=replica.url), POLICY)
    assert (lenient.status, lenient.failed) == ("succeeded", 2)
    assert state(db, "korea_kr:policy").status == "ok"


@pytest.mark.parametrize(
    ("path", "kind", "says"),
    [
        ("/feed.xml?delay=4", "timeout", "feed: timed out"),
        ("/news/policyNewsList.do", "not_a_feed", ""),  # a web page
        ("/feed.xml?status=500", "http_500", "feed: HTTP 500 after retries"),
    ],
)
def test_a_feed_that_times_out_or_is_not_a_feed_fails_the_run(
    replica: Replica, db: Database, tmp_path: Path, path: str, kind: str, says: str
) -> None:
    settings = settings_for(db, tmp_path, crawl_timeout=1, crawl_retries=0)
    target = CrawlTarget("feed", "broken", replica.url + path)
    run = crawl(db, settings, target)
    assert (run.status, run.exit_code) == ("failed", ExitCode.SOURCE_FAILED)
    assert (run.reason or "").startswith("could not read the source: " + says)
    (error,) = errors(db, run.id)
    assert (error.stage, error.kind) == ("list", kind)
    current = state(db, "feed:broken")
    assert (current.status, current.error) == ("error", run.reason)


def test_a_good_feed_succeeds_and_counts_its_document(db: Database, tmp_path: Path, feed_standin) -> None:  # type: ignore[no-untyped-def]
    run = crawl(db, settings_for(db, tmp_path), CrawlTarget("feed", "atom", feed_standin.url + "/atom.xml"))
    assert (run.status, run.new, run.failed) == ("succeeded", 2, 0)
    assert state(db, "feed:atom").status == "ok"


def test_a_backfill_stops_after_the_configured_failed_days_in_a_row(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'b.db'}"
    env = briefing_env(db_url, tmp_path, closed_port(), BRIEFING_CRAWL_RETRIES="0",
                       BRIEFING_BACKFILL_MAX_FAILED_DAYS="2",
                       BRIEFING_SOURCES_FILE=str(tmp_path / "none.toml"))
    since = date(2026, 11, 1)
    result = briefing("crawl", "korea_kr:policy", "--since", since.isoformat(), "--until", "2026-11-20",
                      "--backfill", env=env)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "stopped after 2 failed days in a row (BRIEFING_BACKFILL_MAX_FAILED_DAYS=2)" in result.stdout
    assert "done" not in result.stdout
    assert f"resume from {since}" in result.stdout
    db = Database(db_url)
    try:
        runs = _runs(db)
        with db.session() as session:
            (row,) = storage.list_backfills(session=session)
    finally:
        db.dispose()
    assert [r.since for r in reversed(runs)] == [since.isoformat(), (since + timedelta(days=1)).isoformat()]
    assert {r.status for r in runs} == {"failed"}
    assert (row.status, row.next_day) == ("failed", since)


def test_a_crashing_child_reports_why_in_its_finished_event(db: Database, tmp_path: Path) -> None:
    settings = settings_for(db, tmp_path)
    run = crawl(db, settings, CrawlTarget("no_such_kind", "x"))
    assert (run.status, run.exit_code) == ("failed", ExitCode.CRASHED)
    assert (run.reason or "").startswith("the crawl crashed: ValueError: unknown source kind 'no_such_kind'")


def test_a_host_that_does_not_resolve_fails_the_run_as_dns(db: Database, tmp_path: Path) -> None:
    settings = settings_for(db, tmp_path, korea_kr_base_url="http://briefing-test.invalid", crawl_retries=0)
    run = crawl(db, settings, POLICY)
    assert (run.status, run.exit_code) == ("failed", ExitCode.SOURCE_FAILED)
    assert (run.reason or "").startswith("could not read the source: list page: DNS lookup failed")
    (error,) = errors(db, run.id)
    assert (error.stage, error.kind) == ("list", "dns")
    assert state(db, "korea_kr:policy").status == "error"
