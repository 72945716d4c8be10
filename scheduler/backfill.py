"""Backfill: a long window crawled one day per run, resumable from the first day not yet done.

The `backfills` row keeps the next day to crawl; it moves on only while every day so far
succeeded, so a backfill killed at any moment redoes at most the days from the first one not
done (idempotent upserts make that harmless). A failed day does not stop the walk (a day may
fail on its own), but `backfill_max_failed_days` failed days in a row do: the source is down,
and trying every remaining day against it would only take time. A backfill with any failed day
ends `failed`, and the same command resumes from the first failed day. A source busy with
another crawl (the service's schedule, a manual crawl, another host) is waited for: the
database allows one active run per source.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.crawls import CrawlChild, CrawlTarget, crawl_options, execute_run, pid_alive
from scheduler.settings import Settings
from storage import (
    Backfill,
    CrawlRun,
    Database,
    SourceBusy,
    advance_backfill,
    close_orphaned_runs,
    create_run,
    open_backfill,
    set_backfill_status,
)

logger = logging.getLogger(__name__)

BACKFILL_AFTER_DAYS = 7  # a longer window is walked day by day unless told otherwise
TRIGGER = "backfill"

Execute = Callable[..., Awaitable[CrawlRun]]


@dataclass(frozen=True, slots=True)
class Outcome:
    backfill: Backfill
    failed_run: CrawlRun | None  # the last day's run that did not succeed
    failed_days: tuple[date, ...] = ()
    stopped: str | None = None  # why the walk stopped before the last day, when it did

    @property
    def ok(self) -> bool:
        return self.failed_run is None and self.backfill.next_day is None

    def describe(self) -> str:
        """Why the backfill did not finish cleanly, in one line ("" when it did)."""
        if self.ok:
            return ""
        parts = [self.stopped] if self.stopped else []
        if self.failed_days:
            days = ", ".join(d.isoformat() for d in self.failed_days[:10])
            more = f" and {len(self.failed_days) - 10} more" if len(self.failed_days) > 10 else ""
            parts.append(f"failed days: {days}{more}")
        if self.failed_run is not None and self.failed_run.reason:
            parts.append(f"last failure: run {self.failed_run.id}: {self.failed_run.reason}")
        return "; ".join(parts)


class BackfillReporter:
    """What a backfill says while it works; the CLI prints it, tests record it."""

    def started(self, backfill: Backfill, resumed: bool) -> None: ...

    def waiting(self, busy: CrawlRun, day: date) -> None: ...

    def day_done(self, backfill: Backfill, run: CrawlRun, day: date) -> None: ...

    def day_failed(self, backfill: Backfill, run: CrawlRun, day: date) -> None:
        self.day_done(backfill, run, day)


def wants_backfill(target: CrawlTarget, since: date, until: date, flag: bool | None) -> bool:
    """Walk the window day by day? `flag` (--backfill/--no-backfill) wins; else longer than 7 days."""
    if target.kind == "feed":
        if flag:
            raise ValueError("a feed has no date window to backfill: it only lists what it has now")
        return False
    if flag is not None:
        return flag
    return (until - since).days + 1 > BACKFILL_AFTER_DAYS


async def run_backfill(
    *,
    db: Database,
    settings: Settings,
    target: CrawlTarget,
    since: date,
    until: date,
    reporter: BackfillReporter | None = None,
    execute: Execute = execute_run,
    on_start: Callable[[CrawlChild], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Outcome:
    """Crawl `since`..`until` one day per run, from where an earlier identical backfill stopped."""
    report = reporter or BackfillReporter()
    backfill, resumed = await asyncio.to_thread(_open, db, target.name, since, until)
    report.started(backfill, resumed)
    failed_days: list[date] = []
    in_a_row = 0
    last_failed: CrawlRun | None = None
    day = backfill.next_day
    while day is not None and not should_stop():
        run = await _claim(db, settings, target, day, report, should_stop)
        if run is None:
            break
        options = crawl_options(settings, target, day, day, run.id)
        finished = await execute(db=db, settings=settings, run=run, options=options, on_start=on_start)
        if finished.status == "interrupted":
            stopped = await asyncio.to_thread(_set_status, db, backfill.id, "interrupted")
            return Outcome(stopped, finished, tuple(failed_days))
        if finished.status == "succeeded":
            in_a_row = 0
            if not failed_days:  # the resume point never passes a failed day
                backfill = await asyncio.to_thread(_advance, db, backfill.id, day)
            report.day_done(backfill, finished, day)
        else:
            failed_days.append(day)
            in_a_row += 1
            last_failed = finished
            report.day_failed(backfill, finished, day)
            if in_a_row >= settings.backfill_max_failed_days:
                why = (f"stopped after {in_a_row} failed days in a row "
                       f"(BRIEFING_BACKFILL_MAX_FAILED_DAYS={settings.backfill_max_failed_days})")
                logger.warning(f"backfill {backfill.id} of {target.name}: {why}")
                stopped = await asyncio.to_thread(_set_status, db, backfill.id, "failed")
                return Outcome(stopped, finished, tuple(failed_days), why)
        day = _next(day, backfill.until)
    if day is not None:  # stopped on request
        backfill = await asyncio.to_thread(_set_status, db, backfill.id, "interrupted")
        return Outcome(backfill, last_failed, tuple(failed_days))
    if failed_days:
        backfill = await asyncio.to_thread(_set_status, db, backfill.id, "failed")
        return Outcome(backfill, last_failed, tuple(failed_days))
    return Outcome(backfill, None)


def _next(day: date, until: date) -> date | None:
    following = day + timedelta(days=1)
    return following if following <= until else None


async def _claim(
    db: Database,
    settings: Settings,
    target: CrawlTarget,
    day: date,
    report: BackfillReporter,
    should_stop: Callable[[], bool],
) -> CrawlRun | None:
    """A queued run for `day`, waiting while another crawl of the source is active."""
    while not should_stop():
        try:
            return await asyncio.to_thread(_create, db, target.name, day)
        except SourceBusy as busy:
            report.waiting(busy.run, day)
            await asyncio.sleep(settings.backfill_retry_seconds)
    return None


def _open(db: Database, source: str, since: date, until: date) -> tuple[Backfill, bool]:
    with db.session() as session:
        return open_backfill(session=session, source=source, since=since, until=until)


def _create(db: Database, source: str, day: date) -> CrawlRun:
    with db.session() as session:
        # A crawl whose process died (e.g. a killed backfill's last child) must not block forever.
        close_orphaned_runs(session=session, is_alive=pid_alive)
    with db.session() as session:
        return create_run(session=session, source=source, trigger=TRIGGER, since=day.isoformat(),
                          until=day.isoformat())


def _advance(db: Database, backfill_id: int, day: date) -> Backfill:
    with db.session() as session:
        return advance_backfill(session=session, backfill_id=backfill_id, done_day=day)


def _set_status(db: Database, backfill_id: int, status: str) -> Backfill:
    with db.session() as session:
        return set_backfill_status(session=session, backfill_id=backfill_id, status=status)
