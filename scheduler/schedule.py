"""The crawl schedule: one APScheduler job per configured source, and catch-up at start.

Jobs live in a memory job store rebuilt from the settings at every start; the durable state is
the `crawl_runs` table. A source whose last scheduled run is older than one period (or was cut
short) gets one catch-up run at start, however many periods were missed.

Replicas: every tick claims a slot (the tick's nominal time) in the same insert that records
its run, and a slot is claimed once, so replicas ticking together crawl each slot once.
Interval slots follow the newest claimed slot of the source (every replica reads the same
one); cron slots are the cron times themselves. Jitter is a pause after the tick, so it never
moves a slot.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from domain.article import KST
from scheduler.crawls import CrawlTarget, default_window
from scheduler.cron import cron_trigger
from scheduler.manager import AlreadyRunning, CrawlManager, ShuttingDown, scheduled_slot
from scheduler.settings import Settings
from scheduler.sources import scheduled_sources
from scheduler.targets import parse_target
from storage import CrawlRun
from storage.runs import SlotTaken, last_slot
from storage.stats import last_run_times, slot_of

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SCHEDULED = "scheduled"
CATCH_UP = "catch_up"
DEFAULT_SOURCE = "korea_kr:policy"
SLOT_TOLERANCE_MS = 5000  # a tick this early or late still counts for its nominal time


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SourceJob:
    """How often one source is crawled and how many days each crawl covers."""

    target: CrawlTarget
    minutes: float | None
    cron: str | None
    jitter_seconds: float
    window_days: int

    def describe(self) -> str:
        return f"every {self.minutes:g} min" if self.minutes is not None else f"cron {self.cron!r} (KST)"

    def trigger(self, phase: datetime) -> BaseTrigger:
        """The APScheduler trigger, without jitter; interval slots are counted from `phase`."""
        if self.minutes is not None:
            return IntervalTrigger(minutes=self.minutes, start_date=phase, timezone=KST)
        assert self.cron is not None
        return cron_trigger(self.cron)

    def slot(self, ticked_at: datetime, last: int | None) -> int:
        """The slot (epoch ms) a tick at `ticked_at` claims, given the newest claimed slot.

        Interval: the newest slot plus whole periods up to the tick, so replicas whose timers
        are a little apart still name the same slot (and a period already claimed is named
        again, which the claim refuses). Cron: the cron time of the tick.
        """
        at = slot_of(ticked_at)
        if self.minutes is not None:
            if last is None:
                return at
            period = self.minutes * 60_000
            tolerance = min(period / 4, SLOT_TOLERANCE_MS)
            periods = max(0, math.floor((at - last + tolerance) / period))
            return last + round(periods * period)
        assert self.cron is not None
        tolerance_s = timedelta(milliseconds=SLOT_TOLERANCE_MS)
        nominal = cron_trigger(self.cron).get_next_fire_time(None, ticked_at - tolerance_s)
        return slot_of(nominal) if nominal is not None and nominal <= ticked_at + tolerance_s else at

    def missed(self, last_run: datetime, now: datetime) -> bool:
        """True when at least one slot fell between `last_run` and `now`."""
        if self.minutes is not None:
            return now - last_run >= timedelta(minutes=self.minutes)
        assert self.cron is not None
        slot = cron_trigger(self.cron).get_next_fire_time(None, last_run + timedelta(seconds=1))
        return slot is not None and slot <= now


def jobs_from_settings(settings: Settings) -> list[SourceJob]:
    """Validated jobs; ValueError names the bad entry of BRIEFING_SCHEDULES."""
    # BRIEFING_SCHEDULES, when set, replaces the enabled sources of the sources file (which,
    # when missing, means korea_kr:policy every schedule_minutes).
    configured = settings.schedules or scheduled_sources(settings)
    jobs: dict[str, SourceJob] = {}
    for key, spec in configured.items():
        try:
            target = parse_target(key, settings=settings)
            if spec.cron is not None:
                cron_trigger(spec.cron)
        except ValueError as exc:
            raise ValueError(f"BRIEFING_SCHEDULES[{key!r}]: {exc}") from exc
        if target.name in jobs:
            raise ValueError(f"BRIEFING_SCHEDULES names {target.name} twice")
        jobs[target.name] = SourceJob(
            target=target,
            minutes=spec.minutes,
            cron=spec.cron,
            jitter_seconds=settings.schedule_jitter_seconds
            if spec.jitter_seconds is None
            else spec.jitter_seconds,
            window_days=spec.window_days or settings.schedule_window_days or settings.default_window_days,
        )
    return list(jobs.values())


def due_for_catch_up(
    jobs: list[SourceJob], last: dict[str, tuple[datetime, str]], now: datetime
) -> list[SourceJob]:
    """Jobs that missed a slot while the service was down, never ran, or were cut short."""
    due = []
    for job in jobs:
        previous = last.get(job.target.name)
        if previous is None or previous[1] == "interrupted" or job.missed(previous[0], now):
            due.append(job)
    return due


async def submit_scheduled(
    manager: CrawlManager, job: SourceJob, now: Clock, trigger: str, at: datetime | None = None
) -> CrawlRun | None:
    """Submit one run of `job` for the tick at `at` (default: now), claiming its slot.

    A busy source skips this slot rather than queueing behind it; a slot another replica
    claimed is skipped; an unreachable database skips it too (the next tick catches up).
    """
    ticked_at = at or now()
    extra = {"source": job.target.name, "trigger": trigger}
    try:
        if trigger == CATCH_UP:
            slot = slot_of(ticked_at)  # a catch-up starts a new rhythm at its own time
        else:
            newest = await asyncio.to_thread(_last_slot, manager, job.target.name)
            slot = job.slot(ticked_at, newest)
        if job.jitter_seconds > 0 and trigger != CATCH_UP:
            await asyncio.sleep(random.uniform(0, job.jitter_seconds))
        since, until = default_window(job.window_days, now())
        token = scheduled_slot.set(slot)
        try:
            return await manager.submit(job.target, since, until, trigger)
        finally:
            scheduled_slot.reset(token)
    except AlreadyRunning as busy:
        logger.info("slot skipped: source busy", extra=extra | {"run_id": busy.run.id})
    except SlotTaken as taken:
        logger.info("slot skipped: another replica claimed it", extra=extra | {"slot": taken.slot})
    except SQLAlchemyError as exc:
        logger.warning(f"slot skipped: database unreachable ({type(exc).__name__})", extra=extra)
    except ShuttingDown:
        pass
    return None


def _last_slot(manager: CrawlManager, source: str) -> int | None:
    with manager.db.session() as session:
        return last_slot(session=session, source=source)


class Schedule:
    """The running schedule of every source; `start()` must be awaited inside the event loop."""

    def __init__(self, settings: Settings, manager: CrawlManager, *, now: Clock = utc_now) -> None:
        self.settings = settings
        self.manager = manager
        self.now = now
        self.jobs = jobs_from_settings(settings)
        self.scheduler = AsyncIOScheduler(
            timezone=KST,
            # Jobs only submit and return, so overlapping instances never pile up; a slot the
            # loop was too busy for still runs once.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.catch_up_runs: list[CrawlRun] = []

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def next_run_times(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    async def start(self) -> None:
        last = await asyncio.to_thread(self._last_scheduled)
        now = self.now()
        due = due_for_catch_up(self.jobs, last, now) if self.settings.catch_up else []
        for job in self.jobs:
            previous = last.get(job.target.name)
            # Keep the slot rhythm across restarts, unless a catch-up run starts one now.
            phase = previous[0] if previous is not None and job not in due else now
            self.scheduler.add_job(
                submit_scheduled,
                trigger=job.trigger(phase),
                args=(self.manager, job, self.now, SCHEDULED),
                id=job.target.name,
                name=f"crawl {job.target.name}",
            )
        self.scheduler.start()
        for job in self.jobs:
            logger.info(
                f"scheduled {job.describe()}, window {job.window_days} day(s)",
                extra={"source": job.target.name, "next_run": self.next_run_times().get(job.target.name)},
            )
        for job in due:
            run = await submit_scheduled(self.manager, job, self.now, CATCH_UP, at=now)
            if run is not None:
                self.catch_up_runs.append(run)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the next loop iteration

    def _last_scheduled(self) -> dict[str, tuple[datetime, str]]:
        with self.manager.db.session() as session:
            return last_run_times(session=session, triggers=(SCHEDULED, CATCH_UP))
