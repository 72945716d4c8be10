"""Schedules from the settings, catch-up after downtime (fake clock), and the live scheduler."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

import storage
from domain.article import KST
from scheduler.crawls import CrawlTarget
from scheduler.manager import AlreadyRunning
from scheduler.schedule import Schedule, SourceJob, due_for_catch_up, jobs_from_settings
from scheduler.settings import Settings, SourceSchedule
from storage import CrawlRun, Database

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # 12:00 KST


def job(minutes: float | None = 30, cron: str | None = None) -> SourceJob:
    return SourceJob(CrawlTarget("korea_kr", "policy"), minutes, cron, jitter_seconds=0, window_days=3)


def last(minutes_ago: float, status: str = "succeeded") -> dict[str, tuple[datetime, str]]:
    return {"korea_kr:policy": (NOW - timedelta(minutes=minutes_ago), status)}


@dataclass
class FakeManager:
    """Creates run rows like the real manager but starts no child."""

    db: Database
    busy: CrawlRun | None = None
    submitted: list[tuple[str, date, date, str]] = field(default_factory=list)

    async def submit(self, target: CrawlTarget, since: date, until: date, trigger: str) -> CrawlRun:
        if self.busy is not None:
            raise AlreadyRunning(self.busy)
        self.submitted.append((target.name, since, until, trigger))
        with self.db.session() as session:
            return storage.create_run(
                session=session, source=target.name, trigger=trigger, since=str(since), until=str(until)
            )


def settings_for(db: Database, tmp_path: Path, **changes: object) -> Settings:
    return Settings(database_url=db.url, data_dir=tmp_path, schedule_jitter_seconds=0, **changes)  # type: ignore[arg-type]


def make_schedule(settings: Settings, manager: FakeManager, now: datetime | None = NOW) -> Schedule:
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    return Schedule(settings, manager, now=clock)  # type: ignore[arg-type]  # a duck of CrawlManager


def add_run(db: Database, trigger: str, created: datetime, status: str = "succeeded") -> int:
    with db.session() as session:
        run = storage.create_run(session=session, source="korea_kr:policy", trigger=trigger, now=created)
        storage.finish_run(session=session, run_id=run.id, status=status, now=created + timedelta(minutes=1))
    return run.id


# --- jobs from settings ---------------------------------------------------------------------


def test_default_is_korea_kr_policy_every_schedule_minutes(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, schedule_minutes=30, schedule_jitter_seconds=60, default_window_days=3
    )
    (only,) = jobs_from_settings(settings)
    assert only == SourceJob(CrawlTarget("korea_kr", "policy"), 30, None, jitter_seconds=60, window_days=3)
    assert only.describe() == "every 30 min"


def test_per_source_schedules_from_env_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "BRIEFING_SCHEDULES",
        '{"korea_kr": {"cron": "*/15 7-22 * * mon-fri", "jitter_seconds": 5, "window_days": 1}}',
    )
    monkeypatch.setenv("BRIEFING_SCHEDULE_WINDOW_DAYS", "7")
    (only,) = jobs_from_settings(Settings(data_dir=tmp_path))
    assert only.target.name == "korea_kr:policy"
    assert (only.minutes, only.cron, only.jitter_seconds, only.window_days) == (
        None,
        "*/15 7-22 * * mon-fri",
        5,
        1,
    )
    assert only.describe() == "cron '*/15 7-22 * * mon-fri' (KST)"


def test_schedule_window_days_is_the_default_window_of_scheduled_crawls(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, schedule_window_days=7, default_window_days=3)
    assert jobs_from_settings(settings)[0].window_days == 7


@pytest.mark.parametrize(
    "schedules, message",
    [
        ({"nowhere": SourceSchedule(minutes=5)}, "BRIEFING_SCHEDULES['nowhere']: unknown source 'nowhere'"),
        ({"korea_kr": SourceSchedule(cron="* * *")}, "needs 5 fields"),
        ({"korea_kr": SourceSchedule(cron="0 9 * * 1-5")}, "write the day of week as names"),
        ({"korea_kr": SourceSchedule(cron="0 25 * * *")}, "BRIEFING_SCHEDULES['korea_kr']"),
        (
            {"korea_kr": SourceSchedule(minutes=5), "korea_kr:policy": SourceSchedule(minutes=9)},
            "names korea_kr:policy twice",
        ),
    ],
)
def test_bad_schedules_are_refused_with_the_entry_named(
    tmp_path: Path, schedules: dict[str, SourceSchedule], message: str
) -> None:
    with pytest.raises(ValueError, match=None) as error:
        jobs_from_settings(Settings(data_dir=tmp_path, schedules=schedules))
    assert message in str(error.value)


@pytest.mark.parametrize(
    "spec",
    [{}, {"minutes": 5, "cron": "* * * * *"}, {"minutes": 0}, {"minutes": 5, "window_days": 0}],
)
def test_a_schedule_needs_exactly_one_positive_kind(spec: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SourceSchedule.model_validate(spec)


# --- catch-up, with a frozen clock ----------------------------------------------------------


def test_a_source_that_never_ran_is_due() -> None:
    assert due_for_catch_up([job()], {}, NOW) == [job()]


def test_a_recent_scheduled_run_is_not_due_again() -> None:
    assert due_for_catch_up([job(30)], last(29), NOW) == []


def test_a_missed_slot_is_due() -> None:
    assert due_for_catch_up([job(30)], last(31), NOW) == [job(30)]


def test_five_missed_slots_coalesce_into_one_catch_up() -> None:
    # The answer is per job, not per slot: one run however long the service was down.
    assert due_for_catch_up([job(30)], last(5 * 30 + 1), NOW) == [job(30)]


def test_a_scheduled_run_cut_short_is_redone() -> None:
    assert due_for_catch_up([job(30)], last(1, status="interrupted"), NOW) == [job(30)]


def test_cron_jobs_are_due_when_a_slot_passed_since_the_last_run() -> None:
    hourly = job(None, "0 * * * *")
    # 11:50 KST -> 12:00 KST slot passed (NOW is 12:00 KST).
    assert due_for_catch_up([hourly], last(10), NOW) == [hourly]
    # 12:00 KST itself ran: the next slot (13:00) has not come.
    assert due_for_catch_up([hourly], last(0), NOW) == []


@pytest.mark.asyncio
async def test_start_submits_one_catch_up_run_after_downtime(db: Database, tmp_path: Path) -> None:
    add_run(db, "scheduled", NOW - timedelta(hours=5, minutes=7))  # down for 10 slots of 30 minutes
    add_run(db, "api", NOW - timedelta(minutes=5))  # manual runs do not count as slots
    manager = FakeManager(db)
    schedule = make_schedule(settings_for(db, tmp_path, schedule_minutes=30, default_window_days=2), manager)
    await schedule.start()
    try:
        # The window is the last 2 KST days of the (frozen) clock.
        assert manager.submitted == [("korea_kr:policy", date(2026, 11, 20), date(2026, 11, 21), "catch_up")]
        assert [r.trigger for r in schedule.catch_up_runs] == ["catch_up"]
        # Slots now count from the catch-up run (NOW), not from the old run 7 minutes off the
        # grid, so the next scheduled run is never right after the catch-up.
        next_run = schedule.next_run_times()["korea_kr:policy"]
        assert next_run is not None
        assert (next_run - NOW) % timedelta(minutes=30) == timedelta(0)
    finally:
        await schedule.stop()
    assert not schedule.running


@pytest.mark.asyncio
async def test_start_keeps_the_slot_rhythm_when_nothing_was_missed(db: Database, tmp_path: Path) -> None:
    add_run(db, "scheduled", NOW - timedelta(minutes=10))
    manager = FakeManager(db)
    schedule = make_schedule(settings_for(db, tmp_path, schedule_minutes=30), manager)
    await schedule.start()
    try:
        assert manager.submitted == []
        next_run = schedule.next_run_times()["korea_kr:policy"]
        assert next_run is not None
        # Slots continue from the last scheduled run (real time has moved past NOW, so allow a
        # whole number of further intervals).
        assert (next_run - (NOW - timedelta(minutes=10))) % timedelta(minutes=30) == timedelta(0)
    finally:
        await schedule.stop()


@pytest.mark.asyncio
async def test_catch_up_can_be_turned_off(db: Database, tmp_path: Path) -> None:
    manager = FakeManager(db)
    schedule = make_schedule(settings_for(db, tmp_path, catch_up=False), manager)
    await schedule.start()
    await schedule.stop()
    assert manager.submitted == []


@pytest.mark.asyncio
async def test_a_catch_up_while_the_source_is_busy_is_skipped(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        busy = storage.create_run(session=session, source="korea_kr:policy", trigger="api")
    manager = FakeManager(db, busy=busy)
    schedule = make_schedule(settings_for(db, tmp_path), manager)
    await schedule.start()
    await schedule.stop()
    assert schedule.catch_up_runs == []


# --- the live scheduler ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_jobs_fire_on_their_interval_and_only_submit(db: Database, tmp_path: Path) -> None:
    manager = FakeManager(db)
    settings = settings_for(
        db, tmp_path, schedules={"korea_kr": SourceSchedule(minutes=0.01)}, catch_up=False
    )
    schedule = make_schedule(settings, manager, now=None)
    await schedule.start()
    try:
        await asyncio.sleep(2.2)  # 0.6 s interval
    finally:
        await schedule.stop()
    triggers = [s[3] for s in manager.submitted]
    assert 2 <= len(triggers) <= 4
    assert set(triggers) == {"scheduled"}
    today = datetime.now(KST).date()
    assert manager.submitted[0][1:3] == (today - timedelta(days=2), today)
    count = len(manager.submitted)
    await asyncio.sleep(0.8)
    assert len(manager.submitted) == count  # nothing fires after stop
