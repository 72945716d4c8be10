"""Replicas on one database: slot claims, leases and take-over, concurrent upserts, and two real
`briefing run` processes on PostgreSQL crawling one replica site."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import storage
from domain.article import KST
from scheduler.crawls import CrawlTarget
from scheduler.manager import AlreadyRunning, CrawlManager, scheduled_slot
from scheduler.schedule import SourceJob
from scheduler.settings import Settings
from storage import CrawlRun, Database
from storage.runs import SlotTaken, busy_run, heartbeat, last_slot
from storage.stats import slot_of, slot_time
from tests.crawl_helpers import briefing_env
from tests.factories import make_article
from tests.replica.fixture import Replica
from tests.test_service_e2e import Service, wait_for

POLICY = CrawlTarget("korea_kr", "policy")
DAY = date(2026, 11, 20)
T0 = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


# --- slot claims ----------------------------------------------------------------------------


def test_a_slot_is_claimed_once(db: Database) -> None:
    with db.session() as session:
        first = storage.create_run(session=session, source="korea_kr:policy", trigger="scheduled", slot=1000)
        storage.finish_run(session=session, run_id=first.id, status="succeeded")
    with db.session() as session, pytest.raises(SlotTaken) as taken:
        storage.create_run(session=session, source="korea_kr:policy", trigger="scheduled", slot=1000)
    assert taken.value.slot == 1000
    with db.session() as session:
        # Another slot, another source's same slot, and unslotted (manual) runs are all free.
        storage.create_run(session=session, source="korea_kr:press", trigger="scheduled", slot=1000)
        second = storage.create_run(session=session, source="korea_kr:policy", trigger="scheduled", slot=2000)
        storage.finish_run(session=session, run_id=second.id, status="succeeded")
        for _ in range(2):
            manual = storage.create_run(session=session, source="korea_kr:policy")
            storage.finish_run(session=session, run_id=manual.id, status="succeeded")
        assert last_slot(session=session, source="korea_kr:policy") == 2000


def test_a_busy_source_refuses_a_new_slot_without_claiming_it(db: Database) -> None:
    with db.session() as session:
        running = storage.create_run(session=session, source="korea_kr:policy", slot=1000)
    with db.session() as session, pytest.raises(storage.SourceBusy):
        storage.create_run(session=session, source="korea_kr:policy", slot=2000)
    with db.session() as session:
        storage.finish_run(session=session, run_id=running.id, status="succeeded")
        # Slot 2000 was not used up by the refusal: a replica free later may still crawl it.
        storage.create_run(session=session, source="korea_kr:policy", slot=2000)


def job(minutes: float | None = 30, cron: str | None = None) -> SourceJob:
    return SourceJob(POLICY, minutes, cron, jitter_seconds=0, window_days=3)


def test_interval_slots_follow_the_newest_claimed_slot() -> None:
    anchor = slot_of(T0)
    thirty = job(30)
    assert thirty.slot(T0, None) == anchor  # nothing claimed yet: the tick itself
    # Two replicas whose timers are a little apart name the same next slot.
    assert thirty.slot(T0 + timedelta(minutes=30, seconds=-2), anchor) == anchor + 1_800_000
    assert thirty.slot(T0 + timedelta(minutes=30, seconds=3), anchor) == anchor + 1_800_000
    # A tick in a period already claimed names that period again (and the claim refuses it).
    assert thirty.slot(T0 + timedelta(minutes=12), anchor) == anchor
    # After a long gap: the period the tick falls in.
    assert thirty.slot(T0 + timedelta(hours=5, minutes=7), anchor) == anchor + 10 * 1_800_000


def test_cron_slots_are_the_cron_times() -> None:
    quarter = job(None, "*/15 * * * *")
    tick = datetime(2026, 11, 21, 12, 15, 0, 300_000, tzinfo=KST)  # 0.3 s late
    assert slot_time(quarter.slot(tick, None)) == datetime(2026, 11, 21, 12, 15, tzinfo=KST)
    assert quarter.slot(tick, None) == quarter.slot(tick - timedelta(seconds=1), 123)


# --- leases and take-over -------------------------------------------------------------------


def _running_elsewhere(db: Database, *, beat: datetime, host: str = "replica-b") -> CrawlRun:
    with db.session() as session:
        run = storage.create_run(session=session, source="korea_kr:policy", now=beat)
        storage.mark_running(session=session, run_id=run.id, pid=4242, host=host, now=beat)
    return run


def test_a_run_elsewhere_with_a_fresh_lease_keeps_the_source(db: Database) -> None:
    run = _running_elsewhere(db, beat=T0)
    with db.session() as session:
        busy = busy_run(
            session=session,
            source="korea_kr:policy",
            is_alive=lambda pid: False,  # a pid elsewhere means nothing here
            lease=timedelta(minutes=2),
            now=T0 + timedelta(seconds=90),
            host="replica-a",
        )
    assert busy is not None and busy.id == run.id


def test_heartbeats_renew_the_lease(db: Database) -> None:
    run = _running_elsewhere(db, beat=T0)
    with db.session() as session:
        assert heartbeat(session=session, run_ids=[run.id], now=T0 + timedelta(minutes=2)) == 1
    with db.session() as session:
        busy = busy_run(
            session=session,
            source="korea_kr:policy",
            is_alive=lambda pid: False,
            lease=timedelta(minutes=2),
            now=T0 + timedelta(minutes=3),
            host="replica-a",
        )
    assert busy is not None


def test_a_crawl_that_writes_renews_its_lease(db: Database) -> None:
    # The pipeline's batch counts renew the lease even without a manager (CLI crawls).
    run = _running_elsewhere(db, beat=T0)
    with db.session() as session:
        storage.add_counts(session=session, run_id=run.id, seen=5, new=5, now=T0 + timedelta(minutes=3))
    with db.session() as session:
        busy = busy_run(
            session=session,
            source="korea_kr:policy",
            is_alive=lambda pid: False,
            lease=timedelta(minutes=2),
            now=T0 + timedelta(minutes=4),
            host="replica-a",
        )
    assert busy is not None and busy.id == run.id


def test_an_expired_lease_is_taken_over(db: Database) -> None:
    run = _running_elsewhere(db, beat=T0)
    with db.session() as session:
        busy = busy_run(
            session=session,
            source="korea_kr:policy",
            is_alive=lambda pid: True,
            lease=timedelta(minutes=2),
            now=T0 + timedelta(minutes=2, seconds=1),
            host="replica-a",
        )
        assert busy is None
        closed = storage.get_run(session=session, run_id=run.id)
    assert closed is not None and closed.status == "interrupted"
    assert closed.reason == "lease expired: no heartbeat from replica-b for 121 s"
    with db.session() as session:  # the source is free for the new owner
        storage.create_run(session=session, source="korea_kr:policy")


def test_close_orphaned_runs_judges_other_hosts_by_lease(db: Database) -> None:
    stale = _running_elsewhere(db, beat=T0 - timedelta(minutes=10), host="gone")
    with db.session() as session:
        fresh = storage.create_run(session=session, source="korea_kr:press", now=T0)
        storage.mark_running(session=session, run_id=fresh.id, pid=1, host="alive", now=T0)
    with db.session() as session:
        closed = storage.close_orphaned_runs(
            session=session, is_alive=lambda pid: True, now=T0, host="here", lease=timedelta(minutes=2)
        )
    assert closed == [stale.id]


class FakeChild:
    """What the manager sees of a child: a pid, an exit code, a stop request."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.pid = 999_999
        self.stop_requested = False
        self.process = type("P", (), {"returncode": None})()

    async def stop(self, grace: float) -> None:
        self.stop_requested = True


def fake_executor(seconds: float) -> Any:
    """An executor that 'crawls' for `seconds` without a process and records success."""

    async def execute(
        *, db: Database, settings: Settings, run: CrawlRun, options: Any, **hooks: Any
    ) -> CrawlRun:
        with db.session() as session:
            storage.mark_running(session=session, run_id=run.id, pid=999_999)
        if hooks.get("on_start"):
            hooks["on_start"](FakeChild(run.id))
        await asyncio.sleep(seconds)
        with db.session() as session:
            return storage.finish_run(session=session, run_id=run.id, status="succeeded", exit_code=0)

    return execute


@pytest.mark.asyncio
async def test_two_managers_claim_one_slot_once(db: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    a = CrawlManager(db, settings, execute=fake_executor(0.05), host="a")
    b = CrawlManager(db, settings, execute=fake_executor(0.05), host="b")
    token = scheduled_slot.set(7000)
    try:
        run = await a.submit(POLICY, DAY, DAY, "scheduled")
        with pytest.raises(AlreadyRunning):  # the same tick while a's run is active
            await b.submit(POLICY, DAY, DAY, "scheduled")
        await a.wait_idle()
        with pytest.raises(SlotTaken):  # the same tick after it finished
            await b.submit(POLICY, DAY, DAY, "scheduled")
    finally:
        scheduled_slot.reset(token)
    with db.session() as session:
        assert [r.id for r in storage.list_runs(session=session)] == [run.id]


@pytest.mark.asyncio
async def test_a_running_crawl_renews_its_lease(db: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, lease_seconds=2)  # a beat every 0.5 s
    manager = CrawlManager(db, settings, execute=fake_executor(1.6))
    run = await manager.submit(POLICY, DAY, DAY, "api")
    await asyncio.sleep(0.2)
    with db.session() as session:
        started = session.execute(text("SELECT heartbeat_at FROM crawl_runs")).scalar()
    await asyncio.sleep(1.2)
    with db.session() as session:
        renewed = session.execute(text("SELECT heartbeat_at FROM crawl_runs")).scalar()
    await manager.wait_idle()
    assert started is not None and renewed is not None and renewed > started
    with db.session() as session:
        assert storage.get_run(session=session, run_id=run.id).status == "succeeded"  # type: ignore[union-attr]


# --- concurrent upserts ---------------------------------------------------------------------


def _race(db: Database, editions: tuple[int, int, int]) -> list[BaseException]:
    """Writer A stores one edition of article 1 and holds its transaction open while writers B and
    C try theirs; then A commits. B and C meet A's uncommitted work, then each other."""
    errors: list[BaseException] = []

    def write(edition: int) -> None:
        try:
            with db.session() as session:
                storage.upsert_articles(
                    session=session, articles=[make_article(1, body_html=f"<p>판 {edition}</p>")]
                )
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    first, *others = editions
    with db.session() as session:
        storage.upsert_articles(session=session, articles=[make_article(1, body_html=f"<p>판 {first}</p>")])
        threads = [threading.Thread(target=write, args=(e,)) for e in others]
        for thread in threads:
            thread.start()
        time.sleep(0.5)  # B and C are now waiting on A's transaction
    for thread in threads:
        thread.join()
    return errors


def _consistent(db: Database) -> tuple[int, int, int]:
    """(rows, revision_count, revisions) of article 1, checking the row is its newest revision."""
    with db.session() as session:
        (stored,) = list(storage.iter_articles(session=session))
        revisions = storage.count_revisions(session=session, article_id=stored.id)
        last = session.execute(
            text("SELECT data FROM article_revisions WHERE article_id = :id ORDER BY number DESC"),
            {"id": stored.id},
        ).scalar()
    data = json.loads(last) if isinstance(last, str) else last
    assert stored.article.body_html == data["body_html"]
    return 1, stored.revision_count, revisions


def test_concurrent_upserts_of_the_same_article(db: Database) -> None:
    # A new article: three writers, three editions; then the same once it exists.
    assert _race(db, (0, 1, 2)) == []
    assert _consistent(db) == (1, 3, 3)
    assert _race(db, (3, 4, 5)) == []
    assert _consistent(db) == (1, 6, 6)


# --- two real services on PostgreSQL ----------------------------------------------------------

ARTICLES = 40
INTERVAL_MINUTES = 0.05  # a tick every 3 s


@pytest.fixture
def site() -> Iterator[Replica]:
    today = datetime.now(KST).date()
    with Replica.start(articles=ARTICLES, start=today - timedelta(days=2), days=3) as replica:
        yield replica


def _runs(db: Database) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, trigger, status, slot, host, pid, started_at, finished_at, reason "
                "FROM crawl_runs ORDER BY id"
            )
        )
        return [dict(row._mapping) for row in rows]


@pytest.mark.slow
def test_two_services_on_postgresql_crawl_each_slot_once(
    site: Replica, pg_schema_url: str, tmp_path: Path
) -> None:
    env = briefing_env(
        pg_schema_url,
        tmp_path / "data",
        site.url,
        BRIEFING_SCHEDULES=json.dumps(
            {"korea_kr:policy": {"minutes": INTERVAL_MINUTES, "jitter_seconds": 0}}
        ),
        BRIEFING_SCHEDULE_WINDOW_DAYS="3",
        BRIEFING_OBEY_ROBOTS="false",
        BRIEFING_GRACE_SECONDS="3",
    )
    db = Database(pg_schema_url)
    first = Service(env)
    second: Service | None = None
    try:
        wait_for("the first service's catch-up run", lambda: _runs(db), service=first)
        second = Service(env)  # reads the same rhythm from the database: both tick together
        time.sleep(5 * INTERVAL_MINUTES * 60 + 1)
        assert first.terminate(timeout=30)[0] == 0, first.stderr()
        assert second.terminate(timeout=30)[0] == 0, second.stderr()
        runs = _runs(db)
        logs = first.stderr() + second.stderr()
        # Each slot was crawled once: one run per slot, and never two runs at the same time.
        slots = [r["slot"] for r in runs]
        assert len(slots) == len(set(slots)) and None not in slots, runs
        assert len(runs) >= 3, runs  # a catch-up and scheduled slots (fewer when crawls run long)
        spans = sorted((r["started_at"], r["finished_at"]) for r in runs if r["started_at"])
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end is not None and end <= start, runs
        assert {r["status"] for r in runs} <= {"succeeded", "interrupted"}, runs
        assert sum(r["status"] == "succeeded" for r in runs) >= 2, runs
        # Both replicas ticked for every slot: for each scheduled run, the other one skipped.
        skipped = ("slot skipped: another replica claimed it", "slot skipped: source busy")
        skips = sum(logs.count(line) for line in skipped)
        assert skips >= sum(r["trigger"] == "scheduled" for r in runs) - 1, logs
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*), count(DISTINCT external_id) FROM articles")).one()
        assert tuple(stored) == (ARTICLES, ARTICLES)
        assert len(site.truth()) == ARTICLES
    finally:
        first.stop()
        if second is not None:
            second.stop()
        db.dispose()
