"""Crawl runs and their errors: the durable record of every crawl."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import CrawlErrorRow, CrawlRunRow, utcnow
from storage.types import CrawlErrorRecord, CrawlRun

ACTIVE = ("queued", "running")
FINAL = ("succeeded", "failed", "interrupted")
QUEUED_GRACE = timedelta(minutes=5)  # a run queued longer than this without a pid was abandoned


class SourceBusy(Exception):
    """A crawl of this source is already queued or running (in any process); `run` is that one."""

    def __init__(self, run: CrawlRun) -> None:
        super().__init__(f"run {run.id} of {run.source} is already {run.status}")
        self.run = run


def _run(row: CrawlRunRow) -> CrawlRun:
    return CrawlRun(
        id=row.id,
        source=row.source,
        status=row.status,
        trigger=row.trigger,
        since=row.since,
        until=row.until,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        pid=row.pid,
        exit_code=row.exit_code,
        reason=row.reason,
        seen=row.seen,
        new=row.new,
        updated=row.updated,
        unchanged=row.unchanged,
        failed=row.failed,
    )


def create_run(
    *,
    session: Session,
    source: str,
    trigger: str = "manual",
    since: str | None = None,
    until: str | None = None,
    now: datetime | None = None,
) -> CrawlRun:
    """A queued run; SourceBusy when the source already has a queued or running one.

    The database enforces this (a partial unique index), so two processes racing to start
    the same source cannot both succeed.
    """
    row = CrawlRunRow(
        source=source, trigger=trigger, since=since, until=until, status="queued", created_at=now or utcnow()
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        current = active_run(session=session, source=source)
        if current is None:
            raise
        raise SourceBusy(current) from None
    return _run(row)


def mark_running(
    *, session: Session, run_id: int, pid: int, now: datetime | None = None, host: str | None = None
) -> None:
    stamp = now or utcnow()
    session.execute(
        update(CrawlRunRow)
        .where(CrawlRunRow.id == run_id)
        .values(
            status="running", pid=pid, host=host or socket.gethostname(), started_at=stamp, heartbeat_at=stamp
        )
    )


def add_counts(
    *,
    session: Session,
    run_id: int,
    seen: int = 0,
    new: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    failed: int = 0,
) -> None:
    """Increment a run's counters (in the same transaction as the writes they count)."""
    session.execute(
        update(CrawlRunRow)
        .where(CrawlRunRow.id == run_id)
        .values(
            seen=CrawlRunRow.seen + seen,
            new=CrawlRunRow.new + new,
            updated=CrawlRunRow.updated + updated,
            unchanged=CrawlRunRow.unchanged + unchanged,
            failed=CrawlRunRow.failed + failed,
        )
    )


def record_errors(
    *, session: Session, run_id: int, errors: Iterable[tuple[str, str, str]], now: datetime | None = None
) -> int:
    """Store (url, kind, reason) triples; returns how many were stored."""
    stamp = now or utcnow()
    rows = [CrawlErrorRow(run_id=run_id, url=u, kind=k, reason=r, created_at=stamp) for u, k, r in errors]
    session.add_all(rows)
    return len(rows)


def finish_run(
    *,
    session: Session,
    run_id: int,
    status: str,
    exit_code: int | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> CrawlRun:
    if status not in FINAL:
        raise ValueError(f"finish_run needs one of {FINAL}, got {status!r}")
    row = session.get(CrawlRunRow, run_id)
    if row is None:
        raise LookupError(f"no crawl run {run_id}")
    row.status, row.exit_code, row.reason, row.finished_at = status, exit_code, reason, now or utcnow()
    session.flush()
    return _run(row)


def get_run(*, session: Session, run_id: int) -> CrawlRun | None:
    row = session.get(CrawlRunRow, run_id)
    return _run(row) if row else None


def list_runs(*, session: Session, source: str | None = None, limit: int = 50) -> list[CrawlRun]:
    stmt = select(CrawlRunRow).order_by(CrawlRunRow.id.desc()).limit(limit)
    if source:
        stmt = stmt.where(CrawlRunRow.source == source)
    return [_run(r) for r in session.scalars(stmt)]


def active_run(*, session: Session, source: str) -> CrawlRun | None:
    row = session.scalars(
        select(CrawlRunRow)
        .where(CrawlRunRow.source == source, CrawlRunRow.status.in_(ACTIVE))
        .order_by(CrawlRunRow.id.desc())
        .limit(1)
    ).first()
    return _run(row) if row else None


def last_runs(*, session: Session) -> dict[str, CrawlRun]:
    """The newest run of every source."""
    newest = select(func.max(CrawlRunRow.id)).group_by(CrawlRunRow.source)
    rows = session.scalars(select(CrawlRunRow).where(CrawlRunRow.id.in_(newest)))
    return {r.source: _run(r) for r in rows}


def last_success(*, session: Session, source: str) -> CrawlRun | None:
    row = session.scalars(
        select(CrawlRunRow)
        .where(CrawlRunRow.source == source, CrawlRunRow.status == "succeeded")
        .order_by(CrawlRunRow.id.desc())
        .limit(1)
    ).first()
    return _run(row) if row else None


def list_errors(*, session: Session, run_id: int) -> list[CrawlErrorRecord]:
    rows = session.scalars(
        select(CrawlErrorRow).where(CrawlErrorRow.run_id == run_id).order_by(CrawlErrorRow.id)
    )
    return [
        CrawlErrorRecord(run_id=r.run_id, url=r.url, kind=r.kind, reason=r.reason, created_at=r.created_at)
        for r in rows
    ]


def close_orphaned_runs(
    *,
    session: Session,
    is_alive: Callable[[int], bool],
    now: datetime | None = None,
    host: str | None = None,
    queued_grace: timedelta = QUEUED_GRACE,
) -> list[int]:
    """Mark runs left `queued`/`running` by a process that no longer exists as interrupted.

    Only runs whose pid lives on this host can be judged by pid; a queued run that never got
    a pid is abandoned only after `queued_grace` (its starter may be about to spawn it).
    """
    now = now or utcnow()
    host = host or socket.gethostname()
    closed = []
    for row in session.scalars(select(CrawlRunRow).where(CrawlRunRow.status.in_(ACTIVE))):
        if row.pid is None:
            orphaned = now - row.created_at > queued_grace
        else:
            orphaned = row.host in (None, host) and not is_alive(row.pid)
        if orphaned:
            row.status, row.finished_at = "interrupted", now
            row.reason = row.reason or "the process running this crawl ended without finishing it"
            closed.append(row.id)
    return closed
