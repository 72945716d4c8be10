"""Running one crawl: a run row, a `python -m crawler.run` child, its events and its outcome.

The CLI and the service both start crawls through `execute_run`, so a crawl behaves the same
whichever started it. The child speaks crawler.protocol: options on its stdin, events on its
stdout, one exit code; its log (stderr, the run log) is for people and is never parsed here.
Naming a target (`parse_target`, which reads the sources file) is scheduler.targets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from crawler import protocol
from crawler.protocol import CrawlOptions, CrawlSettings, Event, Finished
from crawler.registry import SOURCE_KINDS
from domain.article import KST
from scheduler.drift import judge_run
from scheduler.settings import Settings
from storage import CrawlRun, Database, finish_run, get_run, mark_running

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CrawlTarget:
    kind: str
    section: str  # for feeds: the feed's name in the sources file
    url: str | None = None  # feeds: the feed URL (from the sources file)

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.section}"


def today_kst(now: datetime | None = None) -> date:
    return (now or datetime.now(KST)).astimezone(KST).date()


def default_window(days: int, now: datetime | None = None) -> tuple[date, date]:
    """The last `days` days, today (Asia/Seoul) included."""
    until = today_kst(now)
    return until - timedelta(days=max(days, 1) - 1), until


def crawl_options(
    settings: Settings, target: CrawlTarget, since: date, until: date, run_id: int | None
) -> CrawlOptions:
    """The child's options: the target, and every crawl setting under its Settings name."""
    return CrawlOptions(
        source=target.kind,
        section=target.section,
        since=since,
        until=until,
        # A feed's URL is where its crawl fetches; other kinds name their base-URL setting.
        base_url=target.url or getattr(settings, _base_url_setting(target.kind)),
        run_id=run_id,
        settings=crawl_settings(settings),
    )


def crawl_settings(settings: Settings) -> CrawlSettings:
    # JSON mode: networks and paths cross as the strings the child's options hold.
    return CrawlSettings.model_validate(
        settings.model_dump(mode="json", include=set(CrawlSettings.model_fields))
    )


class CrawlChild:
    """A running crawl child; `stop()` asks it to finish, then kills it after a grace period."""

    def __init__(self, process: asyncio.subprocess.Process, run_id: int) -> None:
        self.process = process
        self.run_id = run_id
        self.stop_requested = False
        self.finished: Finished | None = None  # the child's last word on its outcome

    @property
    def pid(self) -> int:
        return self.process.pid

    async def stop(self, grace: float) -> None:
        self.stop_requested = True
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()


def outcome(child: CrawlChild, returncode: int) -> tuple[str, str | None]:
    """(status, reason) of a child that exited: its `Finished` event, else its exit code."""
    return protocol.exit_outcome(returncode, child.stop_requested, child.finished)


async def execute_run(
    *,
    db: Database,
    settings: Settings,
    run: CrawlRun,
    options: CrawlOptions,
    on_event: Callable[[Event], None] | None = None,
    on_start: Callable[[CrawlChild], None] | None = None,
) -> CrawlRun:
    """Run the crawl child for `run` to its end and record the outcome; never raises for a crash."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.log_dir / f"run-{run.id}.log"
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "crawler.run",
            "--options",
            "-",
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            stdin=asyncio.subprocess.PIPE,
            start_new_session=True,  # a terminal's Ctrl-C reaches only the parent, which forwards it
            env=child_environment(settings),
        )
    assert process.stdin is not None
    # On stdin, not argv: the options hold the database URL, which `ps` would show to anyone.
    process.stdin.write(options.to_json().encode("utf-8"))
    await process.stdin.drain()
    process.stdin.close()
    child = CrawlChild(process, run.id)
    await asyncio.to_thread(_mark_running, db, run.id, process.pid)
    if on_start is not None:
        on_start(child)
    logger.info("run %s: started %s as pid %s", run.id, run.source, process.pid)
    try:
        assert process.stdout is not None
        async for raw in process.stdout:
            event = protocol.parse(raw.decode("utf-8", errors="replace").rstrip("\n"))
            if isinstance(event, Finished):
                child.finished = event
            if event is not None and on_event is not None:
                on_event(event)
        returncode = await process.wait()
    except asyncio.CancelledError:
        await child.stop(settings.grace_seconds)
        returncode = process.returncode if process.returncode is not None else -signal.SIGKILL
        await asyncio.shield(
            asyncio.to_thread(_finish, db, run.id, "interrupted", returncode, "the service stopped")
        )
        raise
    status, reason = outcome(child, returncode)
    logger.info("run %s: %s (exit %s)", run.id, status, returncode)
    profile = child.finished.yield_profile if child.finished and status != "interrupted" else None
    return await asyncio.to_thread(_finish, db, run.id, status, returncode, reason, profile)


def _base_url_setting(kind: str) -> str:
    found = SOURCE_KINDS.get(kind)  # an unknown kind still starts: its child reports the error
    return found.base_url_setting if found else "korea_kr_base_url"


def child_environment(settings: Settings) -> dict[str, str]:
    """The parent's environment, plus secrets that came from a .env file rather than from it.

    Secrets travel by environment, never in CrawlOptions (sent on stdin, and logged when bad).
    """
    env = dict(os.environ)
    if settings.data_go_kr_key is not None:
        env["BRIEFING_DATA_GO_KR_KEY"] = settings.data_go_kr_key.get_secret_value()
    return env


def _mark_running(db: Database, run_id: int, pid: int) -> None:
    with db.session() as session:
        mark_running(session=session, run_id=run_id, pid=pid)


def _finish(
    db: Database,
    run_id: int,
    status: str,
    code: int,
    reason: str | None,
    profile: Mapping[str, Any] | None = None,
) -> CrawlRun:
    """Record a run's end and, in the same transaction, the drift alarm's verdict on it."""
    with db.session() as session:
        current = get_run(session=session, run_id=run_id)
        if current is not None and current.status in ("succeeded", "failed", "interrupted"):
            return current
        done = finish_run(session=session, run_id=run_id, status=status, exit_code=code, reason=reason)
        if judge_run(session=session, run_id=run_id, source=done.source, profile=profile) is None:
            return done
        return get_run(session=session, run_id=run_id) or done


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
