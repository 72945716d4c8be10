"""The crawl manager: at most one crawl child per source, shared by the schedule and the API.

"One at a time" holds across processes and replicas: the database refuses a second active run
of a source, a running crawl's lease (`heartbeat_at`) is renewed while its child lives, and a
run whose owner is gone (dead pid on this host, or an expired lease elsewhere) is taken over by
whoever wants the source next. When the database goes away mid-crawl, the child stops (exit 4)
and the manager keeps trying to record the outcome until the database answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from crawler.protocol import Event, describe_failures
from scheduler.crawls import CrawlChild, CrawlTarget, crawl_options, execute_run, outcome, pid_alive
from scheduler.settings import Settings
from storage import CrawlRun, Database, SourceBusy, create_run, finish_run, get_run
from storage.runs import FINAL, busy_run, failure_kinds, heartbeat

logger = logging.getLogger(__name__)

# The schedule slot a submit claims (epoch milliseconds of the nominal tick). The schedule sets
# it around `submit`, so the API, the CLI and test doubles keep the plain submit signature.
scheduled_slot: ContextVar[int | None] = ContextVar("scheduled_slot", default=None)

RECORD_RETRY_FIRST, RECORD_RETRY_MAX = 0.5, 10.0  # seconds between tries while the DB is away


class Executor(Protocol):
    """The shape of `execute_run`; tests pass a wrapper to observe or alter the child."""

    def __call__(
        self,
        *,
        db: Database,
        settings: Settings,
        run: CrawlRun,
        options: Any,
        on_event: Callable[[Event], None] | None = None,
        on_start: Callable[[CrawlChild], None] | None = None,
    ) -> Awaitable[CrawlRun]: ...


class AlreadyRunning(Exception):
    """A crawl of this source is in progress; `run` is the one running."""

    def __init__(self, run: CrawlRun) -> None:
        super().__init__(f"run {run.id} of {run.source} is {run.status}")
        self.run = run


class ShuttingDown(Exception):
    """The service is stopping and starts no new crawl."""


class CrawlManager:
    """Starts crawl children as asyncio tasks and stops them gracefully, one per source."""

    def __init__(
        self, db: Database, settings: Settings, *, execute: Executor = execute_run, host: str | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.host = host or socket.gethostname()
        self.lease = timedelta(seconds=settings.lease_seconds)
        self._execute = execute
        self._locks: dict[str, asyncio.Lock] = {}
        self._running: dict[str, int] = {}  # source -> run id started here
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._children: dict[int, CrawlChild] = {}
        self._stopping = False
        self._background: set[asyncio.Task[None]] = set()
        # Called (in a thread) with each finished run: notifications, publish (scheduler/after_run.py).
        self.after_run: Callable[[CrawlRun], None] | None = None

    @property
    def active_run_ids(self) -> dict[str, int]:
        return dict(self._running)

    async def submit(self, target: CrawlTarget, since: date, until: date, trigger: str) -> CrawlRun:
        """Record a queued run and start its child; AlreadyRunning if the source is busy.

        Inside a scheduled tick (`scheduled_slot` set) the run claims that slot, and
        storage.runs.SlotTaken says another replica crawled it already.
        """
        if self._stopping:
            raise ShuttingDown("the service is shutting down")
        # The lock makes check-then-create atomic among this process's submitters; the DB
        # check catches crawls another process (e.g. `briefing crawl`) is running.
        async with self._locks.setdefault(target.name, asyncio.Lock()):
            if self._stopping:
                raise ShuttingDown("the service is shutting down")
            mine = self._running.get(target.name)
            if mine is not None:
                current = await asyncio.to_thread(self._get, mine)
                if current is not None and current.status not in FINAL:
                    raise AlreadyRunning(current)
            slot = scheduled_slot.get()
            run = await asyncio.to_thread(self._claim, target.name, trigger, since, until, slot)
            self._running[target.name] = run.id
            options = crawl_options(self.settings, target, since, until, run.id)
            self._tasks[run.id] = asyncio.create_task(self._run(run, options), name=f"crawl-run-{run.id}")
        logger.info("run queued", extra={"run_id": run.id, "source": run.source, "trigger": trigger})
        return run

    async def stop_all(self, grace: float) -> None:
        """Refuse new runs, ask every child to stop, and kill what outlives `grace`."""
        self._stopping = True
        children = list(self._children.values())
        for child in children:
            logger.info("stopping crawl child", extra={"run_id": child.run_id, "pid": child.pid})
        await asyncio.gather(*(child.stop(grace) for child in children), return_exceptions=True)
        tasks = list(self._tasks.values())
        if not tasks:
            return
        # Tasks record the outcome once their child has exited; a task still starting its child
        # gets a little longer, then is cancelled (execute_run then stops the child itself).
        _, pending = await asyncio.wait(tasks, timeout=grace + 5)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=grace + 5)

    async def wait_idle(self) -> None:
        """Wait until every run started here has finished (tests and one-shot use)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks.values()))

    async def _run(self, run: CrawlRun, options: Any) -> None:
        log = {"run_id": run.id, "source": run.source}
        beating = asyncio.create_task(self._heartbeat(run.id), name=f"lease-run-{run.id}")
        try:
            finished = await self._execute(
                db=self.db,
                settings=self.settings,
                run=run,
                options=options,
                on_start=self._started,
            )
            clean = finished.status == "succeeded" and not finished.failed
            level = logging.INFO if clean else logging.WARNING
            logger.log(
                level,
                await self._summary(finished),
                extra=log
                | {"status": finished.status, "exit_code": finished.exit_code, "reason": finished.reason},
            )
            if self.after_run is not None:
                await asyncio.to_thread(self.after_run, finished)  # logs its own failures
        except asyncio.CancelledError:
            with contextlib.suppress(SQLAlchemyError):  # unreachable: the next start closes it
                closing = asyncio.to_thread(self._close, run.id, "interrupted", "the service stopped")
                await asyncio.shield(closing)
            raise
        except Exception as exc:
            # Either the child could not start, or it ran and its outcome could not be written
            # (the database went away): work out the outcome here and record it when possible.
            child = self._children.get(run.id)
            code = child.process.returncode if child is not None else None
            if code is not None and child is not None:
                status, reason = outcome(child, code)
                logger.warning(
                    f"run ended ({status}) but could not be recorded: {type(exc).__name__}", extra=log
                )
            else:
                logger.exception("run could not start", extra=log)
                status, reason = "failed", f"could not start the crawl: {type(exc).__name__}: {exc}"
            await self._record(run.id, status, (reason or "")[:1000] or None, code)
        finally:
            beating.cancel()
            self._children.pop(run.id, None)
            self._tasks.pop(run.id, None)
            if self._running.get(run.source) == run.id:
                del self._running[run.source]

    async def _heartbeat(self, run_id: int) -> None:
        """Renew the run's lease while it lives, so no replica takes it over."""
        every = max(0.5, self.settings.lease_seconds / 4)
        failing = False
        while True:
            await asyncio.sleep(every)
            try:
                await asyncio.to_thread(self._beat, run_id)
            except SQLAlchemyError as exc:
                if not failing:  # once per outage, not once per beat
                    reason = f"cannot renew the run's lease: {type(exc).__name__}"
                    logger.warning(reason, extra={"run_id": run_id})
                failing = True
            else:
                failing = False

    async def _record(self, run_id: int, status: str, reason: str | None, code: int | None) -> None:
        """Record a run's outcome, retrying until the database answers (or the service stops)."""
        delay = RECORD_RETRY_FIRST
        while True:
            try:
                await asyncio.to_thread(self._close, run_id, status, reason, code)
                return
            except SQLAlchemyError as exc:
                if self._stopping:
                    # The next start, or another replica, closes it as interrupted.
                    logger.error(f"stopping; run outcome not recorded: {exc}", extra={"run_id": run_id})
                    return
                logger.warning(
                    f"database unreachable, run outcome ({status}) not recorded yet; retrying in {delay:g}s",
                    extra={"run_id": run_id},
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECORD_RETRY_MAX)

    async def _summary(self, run: CrawlRun) -> str:
        """One line per run: `run 12 korea_kr:policy failed: 3 of 40 items failed (2 http_500, …)`."""
        if not run.failed:
            return run.summary()
        try:
            kinds = await asyncio.to_thread(self._failure_kinds, run.id)
        except SQLAlchemyError:
            kinds = {}
        line = f"run {run.id} {run.source} {run.status}: {describe_failures(run.failed, run.seen, kinds)}"
        return line + (f"; {run.reason}" if run.reason and run.status != "succeeded" else "")

    def _failure_kinds(self, run_id: int) -> dict[str, int]:
        with self.db.session(read_only=True) as session:
            return failure_kinds(session=session, run_id=run_id)

    def _started(self, child: CrawlChild) -> None:
        self._children[child.run_id] = child
        logger.info("crawl child started", extra={"run_id": child.run_id, "pid": child.pid})
        if self._stopping:  # started while the service was already stopping
            task = asyncio.get_running_loop().create_task(child.stop(self.settings.grace_seconds))
            self._background.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._background.discard)

    def _get(self, run_id: int) -> CrawlRun | None:
        with self.db.session() as session:
            return get_run(session=session, run_id=run_id)

    def _beat(self, run_id: int) -> None:
        with self.db.session() as session:
            heartbeat(session=session, run_ids=[run_id])

    def _claim(self, source: str, trigger: str, since: date, until: date, slot: int | None) -> CrawlRun:
        with self.db.session() as session:
            # Left behind by a process that died (here or on another replica)? Then it is
            # closed as interrupted on the way, so the source is not blocked forever.
            current = busy_run(
                session=session, source=source, is_alive=pid_alive, lease=self.lease, host=self.host
            )
            if current is not None:
                raise AlreadyRunning(current)
            try:
                return create_run(
                    session=session,
                    source=source,
                    trigger=trigger,
                    since=since.isoformat(),
                    until=until.isoformat(),
                    slot=slot,
                )
            except SourceBusy as busy:  # another process started it between our check and insert
                raise AlreadyRunning(busy.run) from None

    def _close(self, run_id: int, status: str, reason: str | None, code: int | None = None) -> None:
        with self.db.session() as session:
            current = get_run(session=session, run_id=run_id)
            if current is not None and current.status not in FINAL:
                finish_run(session=session, run_id=run_id, status=status, exit_code=code, reason=reason)
