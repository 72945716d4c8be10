"""The crawl manager: at most one crawl child per source, shared by the schedule and the API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from scheduler.crawls import CrawlChild, CrawlTarget, crawl_options, execute_run, pid_alive
from scheduler.settings import Settings
from storage import CrawlRun, Database, SourceBusy, active_run, create_run, finish_run, get_run
from storage.runs import FINAL

logger = logging.getLogger(__name__)

# A queued run of another process that never got a pid within this long is abandoned.
STALE_QUEUED = timedelta(minutes=5)


class Executor(Protocol):
    """The shape of `execute_run`; tests pass a wrapper to observe or alter the child."""

    def __call__(
        self,
        *,
        db: Database,
        settings: Settings,
        run: CrawlRun,
        options: Any,
        on_event: Callable[[dict[str, Any]], None] | None = None,
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

    def __init__(self, db: Database, settings: Settings, *, execute: Executor = execute_run) -> None:
        self.db = db
        self.settings = settings
        self._execute = execute
        self._locks: dict[str, asyncio.Lock] = {}
        self._running: dict[str, int] = {}  # source -> run id started here
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._children: dict[int, CrawlChild] = {}
        self._stopping = False
        self._background: set[asyncio.Task[None]] = set()

    @property
    def active_run_ids(self) -> dict[str, int]:
        return dict(self._running)

    async def submit(self, target: CrawlTarget, since: date, until: date, trigger: str) -> CrawlRun:
        """Record a queued run and start its child; AlreadyRunning if the source is busy."""
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
            run = await asyncio.to_thread(self._claim, target.name, trigger, since, until)
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
        try:
            finished = await self._execute(
                db=self.db,
                settings=self.settings,
                run=run,
                options=options,
                on_start=self._started,
            )
            level = logging.INFO if finished.status == "succeeded" else logging.WARNING
            logger.log(
                level,
                finished.summary(),
                extra=log
                | {"status": finished.status, "exit_code": finished.exit_code, "reason": finished.reason},
            )
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(self._close, run.id, "interrupted", "the service stopped"))
            raise
        except Exception as exc:  # the child could not even start; the service goes on
            logger.exception("run could not start", extra=log)
            reason = f"could not start the crawl: {type(exc).__name__}: {exc}"[:1000]
            await asyncio.to_thread(self._close, run.id, "failed", reason)
        finally:
            self._children.pop(run.id, None)
            self._tasks.pop(run.id, None)
            if self._running.get(run.source) == run.id:
                del self._running[run.source]

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

    def _claim(self, source: str, trigger: str, since: date, until: date) -> CrawlRun:
        with self.db.session() as session:
            current = active_run(session=session, source=source)
            if current is not None and not _abandoned(current):
                raise AlreadyRunning(current)
            if current is not None:
                # Left behind by a process that died (e.g. a SIGKILLed service whose child
                # outlived it): close it so the source is not blocked forever.
                finish_run(
                    session=session,
                    run_id=current.id,
                    status="interrupted",
                    reason="the process running this crawl ended without finishing it",
                )
            try:
                return create_run(
                    session=session,
                    source=source,
                    trigger=trigger,
                    since=since.isoformat(),
                    until=until.isoformat(),
                )
            except SourceBusy as busy:  # another process started it between our check and insert
                raise AlreadyRunning(busy.run) from None

    def _close(self, run_id: int, status: str, reason: str) -> None:
        with self.db.session() as session:
            current = get_run(session=session, run_id=run_id)
            if current is not None and current.status not in FINAL:
                finish_run(session=session, run_id=run_id, status=status, reason=reason)


def _abandoned(run: CrawlRun, now: datetime | None = None) -> bool:
    if run.pid is not None:
        return not pid_alive(run.pid)
    return (now or datetime.now(UTC)) - run.created_at > STALE_QUEUED
