"""The crawl manager with real child processes: one run per source, crashes, graceful stops."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import storage
from scheduler.crawls import CrawlTarget
from scheduler.manager import AlreadyRunning, CrawlManager, ShuttingDown
from scheduler.settings import Settings
from storage import CrawlRun, Database

POLICY = CrawlTarget("korea_kr", "policy")
DAY = date(2026, 11, 20)

# Stands in for `python -m crawler.run`: behaves as the section of its options says, and
# handles SIGTERM like Scrapy does (stop, exit 3).
FAKE_CHILD = r"""
import json, signal, sys, time
raw = sys.argv[sys.argv.index("--options") + 1]
options = json.loads(sys.stdin.read() if raw == "-" else raw)
mode = options["section"]
def stop(*_):
    sys.exit(3)
signal.signal(signal.SIGTERM, signal.SIG_IGN if mode == "stubborn" else stop)
print("ready", file=sys.stderr, flush=True)
print("some library's stdout noise")
if mode == "crash":  # as crawler.run does: the outcome as an event, then the exit code
    event = {"event": "finished", "status": "failed", "exit_code": 1,
             "reason": "the crawl crashed: RuntimeError: the parser exploded"}
    print("@briefing " + json.dumps(event), flush=True)
    sys.exit(1)
if mode == "dies":  # before it could say anything
    raise RuntimeError("import failed")
if mode in ("slow", "stubborn"):
    time.sleep(60)
sys.exit(0)
"""


@pytest.fixture
def fake_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run FAKE_CHILD instead of the crawler, still as a real subprocess."""
    real = asyncio.create_subprocess_exec

    async def spawn(program: str, *args: str, **kwargs: Any) -> asyncio.subprocess.Process:
        assert args[:2] == ("-m", "crawler.run")
        return await real(sys.executable, "-c", FAKE_CHILD, *args[2:], **kwargs)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spawn)


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(database_url=db.url, data_dir=tmp_path, grace_seconds=1.0)


@pytest.fixture
def manager(db: Database, settings: Settings) -> Iterator[CrawlManager]:
    yield CrawlManager(db, settings)


def run_of(db: Database, run_id: int) -> CrawlRun:
    with db.session() as session:
        found = storage.get_run(session=session, run_id=run_id)
    assert found is not None
    return found


async def until_running(db: Database, run_id: int, timeout: float = 10) -> CrawlRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = await asyncio.to_thread(run_of, db, run_id)
        if run.status == "running":
            return run
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} never started")


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_a_run_is_recorded_from_queued_to_succeeded(db: Database, manager: CrawlManager) -> None:
    run = await manager.submit(CrawlTarget("korea_kr", "ok"), DAY, DAY, "api")
    assert run.status == "queued"
    assert (run.since, run.until, run.trigger) == ("2026-11-20", "2026-11-20", "api")
    await manager.wait_idle()
    done = run_of(db, run.id)
    assert (done.status, done.exit_code, done.reason) == ("succeeded", 0, None)
    assert done.pid is not None and done.finished_at is not None
    assert manager.active_run_ids == {}


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_a_second_submit_during_a_run_gets_the_running_run(db: Database, manager: CrawlManager) -> None:
    slow = CrawlTarget("korea_kr", "slow")
    first = await manager.submit(slow, DAY, DAY, "scheduled")
    with pytest.raises(AlreadyRunning) as busy:
        await manager.submit(slow, DAY, DAY, "api")
    assert busy.value.run.id == first.id
    assert manager.active_run_ids == {"korea_kr:slow": first.id}
    # Another source is not blocked.
    other = await manager.submit(CrawlTarget("korea_kr", "ok"), DAY, DAY, "api")
    assert other.id != first.id
    await manager.stop_all(grace=1)
    with db.session() as session:
        assert len(storage.list_runs(session=session, source="korea_kr:slow")) == 1


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_concurrent_submits_start_exactly_one_run(db: Database, manager: CrawlManager) -> None:
    slow = CrawlTarget("korea_kr", "slow")
    results = await asyncio.gather(
        *(manager.submit(slow, DAY, DAY, "api") for _ in range(5)), return_exceptions=True
    )
    started = [r for r in results if isinstance(r, CrawlRun)]
    refused = [r for r in results if isinstance(r, AlreadyRunning)]
    assert len(started) == 1 and len(refused) == 4
    assert {r.run.id for r in refused} == {started[0].id}
    await manager.stop_all(grace=1)


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_a_run_of_another_live_process_blocks_the_source(db: Database, manager: CrawlManager) -> None:
    with db.session() as session:
        theirs = storage.create_run(session=session, source="korea_kr:policy", trigger="manual")
        storage.mark_running(session=session, run_id=theirs.id, pid=os.getpid())
    with pytest.raises(AlreadyRunning) as busy:
        await manager.submit(POLICY, DAY, DAY, "api")
    assert busy.value.run.id == theirs.id


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_a_run_left_by_a_dead_process_is_closed_not_blocking(
    db: Database, manager: CrawlManager
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with db.session() as session:
        stale = storage.create_run(session=session, source="korea_kr:ok", trigger="scheduled")
        storage.mark_running(session=session, run_id=stale.id, pid=dead.pid)
    run = await manager.submit(CrawlTarget("korea_kr", "ok"), DAY, DAY, "api")
    await manager.wait_idle()
    assert run_of(db, stale.id).status == "interrupted"
    assert run_of(db, run.id).status == "succeeded"


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_a_crashing_child_fails_its_run_with_the_reason_and_the_manager_goes_on(
    db: Database, manager: CrawlManager
) -> None:
    crash = CrawlTarget("korea_kr", "crash")
    run = await manager.submit(crash, DAY, DAY, "scheduled")
    await manager.wait_idle()
    failed = run_of(db, run.id)
    assert failed.status == "failed"
    assert failed.exit_code == 1
    assert failed.reason is not None
    assert failed.reason == "the crawl crashed: RuntimeError: the parser exploded"  # the child's event
    again = await manager.submit(crash, DAY, DAY, "api")  # the source is free again
    await manager.wait_idle()
    assert run_of(db, again.id).status == "failed"


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_a_child_that_dies_without_an_event_fails_by_its_exit_code(
    db: Database, manager: CrawlManager, settings: Settings
) -> None:
    run = await manager.submit(CrawlTarget("korea_kr", "dies"), DAY, DAY, "scheduled")
    await manager.wait_idle()
    failed = run_of(db, run.id)
    assert (failed.status, failed.exit_code) == ("failed", 1)
    # The traceback is in the run log for people; the reason never comes from parsing it.
    assert failed.reason == "crawl process exited with code 1 (crashed); see the run log"
    assert "RuntimeError: import failed" in (settings.log_dir / f"run-{run.id}.log").read_text()
    with db.session() as session:
        state = storage.get_source_state(session=session, name="korea_kr:dies")
    assert state is not None and (state.status, state.error) == ("error", failed.reason)


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_a_child_killed_from_outside_fails_its_run(db: Database, manager: CrawlManager) -> None:
    run = await manager.submit(CrawlTarget("korea_kr", "slow"), DAY, DAY, "api")
    running = await until_running(db, run.id)
    assert running.pid is not None
    os.kill(running.pid, signal.SIGKILL)
    await manager.wait_idle()
    failed = run_of(db, run.id)
    assert (failed.status, failed.exit_code) == ("failed", -signal.SIGKILL)
    assert failed.reason == "crawl process killed by signal SIGKILL"


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_stop_all_interrupts_running_children_gracefully(db: Database, manager: CrawlManager) -> None:
    run = await manager.submit(CrawlTarget("korea_kr", "slow"), DAY, DAY, "api")
    await until_running(db, run.id)
    await asyncio.sleep(0.3)  # let the child install its SIGTERM handler
    started = time.monotonic()
    await manager.stop_all(grace=5)
    assert time.monotonic() - started < 3
    stopped = run_of(db, run.id)
    assert (stopped.status, stopped.exit_code, stopped.reason) == ("interrupted", 3, "stopped on request")
    with pytest.raises(ShuttingDown):
        await manager.submit(POLICY, DAY, DAY, "api")


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_child")
async def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(
    db: Database, manager: CrawlManager
) -> None:
    run = await manager.submit(CrawlTarget("korea_kr", "stubborn"), DAY, DAY, "api")
    await until_running(db, run.id)
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await manager.stop_all(grace=1)
    assert 0.9 < time.monotonic() - started < 4
    killed = run_of(db, run.id)
    assert (killed.status, killed.exit_code) == ("interrupted", -signal.SIGKILL)


@pytest.mark.asyncio
async def test_a_child_that_cannot_start_fails_its_run(
    db: Database, manager: CrawlManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_spawn(*_: Any, **__: Any) -> None:
        raise FileNotFoundError(2, "No such file or directory", "python")

    monkeypatch.setattr(asyncio, "create_subprocess_exec", no_spawn)
    run = await manager.submit(POLICY, DAY, DAY, "api")
    await manager.wait_idle()
    failed = run_of(db, run.id)
    assert failed.status == "failed"
    assert failed.reason is not None and failed.reason.startswith(
        "could not start the crawl: FileNotFoundError"
    )
    assert manager.active_run_ids == {}


@pytest.mark.asyncio
async def test_the_real_child_with_an_unknown_source_kind_fails_with_its_reason(
    db: Database, manager: CrawlManager
) -> None:
    # No fake here: `python -m crawler.run` itself refuses the options and exits non-zero.
    run = await manager.submit(CrawlTarget("nowhere", "policy"), DAY, DAY, "api")
    await manager.wait_idle()
    failed = run_of(db, run.id)
    assert failed.status == "failed"
    assert failed.exit_code not in (0, None)
    assert failed.reason is not None and "nowhere" in failed.reason
