"""Running one crawl: a run row, a `python -m crawler.run` child, its events and its outcome.

The CLI and the service both start crawls through `execute_run`, so a crawl behaves the same
whichever started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler import progress
from crawler.options import CrawlOptions
from crawler.registry import SOURCE_KINDS
from domain.article import KST
from scheduler.settings import Settings
from storage import CrawlRun, Database, finish_run, get_run, mark_running

logger = logging.getLogger(__name__)

EXIT_STOPPED, EXIT_STORAGE = 3, 4


@dataclass(frozen=True, slots=True)
class CrawlTarget:
    kind: str
    section: str  # for feeds: the feed's name in the sources file
    url: str | None = None  # feeds: the feed URL (from the sources file)

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.section}"


def parse_target(text: str, section: str | None = None, *, settings: Settings | None = None) -> CrawlTarget:
    """`korea_kr`, `korea_kr:policy` or `korea_kr` + section; ValueError names what is known.

    `feed:<name>` names a feed of the sources file (`settings.sources_file`; without settings,
    the one the environment names).
    """
    kind, _, inline = text.partition(":")
    if kind == "feed":
        from scheduler.sources import find_feed

        if section and inline and section != inline:
            raise ValueError(f"source {text!r} and --section {section!r} disagree")
        if not (inline or section):
            raise ValueError("name the feed: feed:<name> (see `briefing sources list`)")
        feed = find_feed(settings or Settings(), inline or section or "")
        return CrawlTarget(kind, feed.section, feed.url)
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source {kind!r}; known sources: {', '.join(sorted(SOURCE_KINDS))}")
    sections = SOURCE_KINDS[kind].sections
    if inline and section and inline != section:
        raise ValueError(f"source {text!r} and --section {section!r} disagree")
    chosen = inline or section or sections[0]
    if chosen not in sections:
        raise ValueError(
            f"unknown section {chosen!r} for {kind}; known sections: {', '.join(sections)}"
        )
    return CrawlTarget(kind, chosen)


def today_kst(now: datetime | None = None) -> date:
    return (now or datetime.now(KST)).astimezone(KST).date()


def default_window(days: int, now: datetime | None = None) -> tuple[date, date]:
    """The last `days` days, today (Asia/Seoul) included."""
    until = today_kst(now)
    return until - timedelta(days=max(days, 1) - 1), until


def crawl_options(
    settings: Settings, target: CrawlTarget, since: date, until: date, run_id: int
) -> CrawlOptions:
    return CrawlOptions(
        source=target.kind,
        section=target.section,
        since=since,
        until=until,
        database_url=settings.database_url,
        # A feed's URL is where its crawl fetches; other kinds name their base-URL setting.
        base_url=target.url or getattr(settings, _base_url_setting(target.kind)),
        run_id=run_id,
        profile_path=str(settings.profile) if settings.profile else None,
        download_delay=settings.crawl_delay,
        concurrency=settings.crawl_concurrency,
        autothrottle=settings.crawl_autothrottle,
        obey_robots=settings.obey_robots,
        user_agent=settings.user_agent,
        timeout=settings.crawl_timeout,
        retries=settings.crawl_retries,
        retry_backoff=settings.crawl_retry_backoff,
        allowed_private_networks=tuple(str(n) for n in settings.allowed_private_networks),
        archive_dir=str(settings.archive_path) if settings.archive else None,
        archive_max_bytes=settings.archive_max_bytes,
        archive_retention_days=settings.archive_retention_days,
    )


class CrawlChild:
    """A running crawl child; `stop()` asks it to finish, then kills it after a grace period."""

    def __init__(self, process: asyncio.subprocess.Process, run_id: int) -> None:
        self.process = process
        self.run_id = run_id
        self.stop_requested = False

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


def outcome(returncode: int, stop_requested: bool, log_tail: str) -> tuple[str, str | None]:
    """(status, reason) of a finished child, from its exit code."""
    if returncode == 0:
        return "succeeded", None
    if stop_requested and (returncode == EXIT_STOPPED or returncode < 0):
        return "interrupted", "stopped on request"
    if returncode == EXIT_STOPPED:
        return "interrupted", "the crawl stopped before finishing (signal or close reason)"
    if returncode == EXIT_STORAGE:
        return "failed", "database error: " + (log_tail or "see the run log")
    if returncode < 0:
        return "failed", f"crawl process killed by signal {signal.Signals(-returncode).name}"
    return "failed", f"crawl process exited with code {returncode}: {log_tail or 'see the run log'}"


def _tail(path: Path, lines: int = 3) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            last: deque[str] = deque(fh, maxlen=200)
    except OSError:
        return ""
    # The child writes one record per line (key=value or JSON, see crawler.run); anything else
    # (a traceback printed by a crash before logging was set up) is kept as it is.
    records = [line.strip() for line in last if line.strip()]
    errors = [line for line in records if _is_error(line)]
    chosen = errors[-lines:] if errors else records[-lines:]
    return " | ".join(_message(line) for line in chosen)[:1000]


_ERROR_MARKS = ("level=error", "level=critical", '"level": "error"', '"level": "critical"')


def _is_error(line: str) -> bool:
    return any(mark in line for mark in _ERROR_MARKS)


def _message(line: str) -> str:
    """The `msg` of a key=value or JSON record; the whole line when it is neither."""
    if line.startswith("{"):
        with contextlib.suppress(ValueError):
            return str(json.loads(line).get("msg", line))
    if " msg=" in line:
        rest = line.split(" msg=", 1)[1]
        if rest.startswith('"'):
            with contextlib.suppress(ValueError):
                return str(json.JSONDecoder().raw_decode(rest)[0])
        return rest.split(" ", 1)[0]
    return line


async def execute_run(
    *,
    db: Database,
    settings: Settings,
    run: CrawlRun,
    options: CrawlOptions,
    on_event: Callable[[dict[str, Any]], None] | None = None,
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
            event = progress.parse(raw.decode("utf-8", errors="replace").rstrip("\n"))
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
    status, reason = outcome(returncode, child.stop_requested, _tail(log_path) if returncode else "")
    logger.info("run %s: %s (exit %s)", run.id, status, returncode)
    return await asyncio.to_thread(_finish, db, run.id, status, returncode, reason)


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


def _finish(db: Database, run_id: int, status: str, code: int, reason: str | None) -> CrawlRun:
    with db.session() as session:
        current = get_run(session=session, run_id=run_id)
        if current is not None and current.status in ("succeeded", "failed", "interrupted"):
            return current
        return finish_run(session=session, run_id=run_id, status=status, exit_code=code, reason=reason)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
