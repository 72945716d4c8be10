"""Crawl runs and their errors: the durable record of every crawl."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import CrawlErrorRow, CrawlRunRow, utcnow
from storage.sources import record_run_state
from storage.types import CrawlErrorRecord, CrawlRun

ACTIVE = ("queued", "running")
FINAL = ("succeeded", "failed", "interrupted")
QUEUED_GRACE = timedelta(minutes=5)  # a run queued longer than this without a pid was abandoned


class SourceBusy(Exception):
    """A crawl of this source is already queued or running (in any process); `run` is that one."""

    def __init__(self, run: CrawlRun) -> None:
        super().__init__(f"run {run.id} of {run.source} is already {run.status}")
        self.run = run


class SlotTaken(Exception):
    """A run of this scheduled slot exists already (another replica claimed it first)."""

    def __init__(self, source: str, slot: int) -> None:
        super().__init__(f"slot {slot} of {source} is already claimed")
        self.source = source
        self.slot = slot


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
    slot: int | None = None,
) -> CrawlRun:
    """A queued run; SourceBusy when the source already has a queued or running one.

    The database enforces this (a partial unique index), so two processes racing to start
    the same source cannot both succeed. A scheduled run names its `slot` (the nominal time
    of the schedule tick, epoch milliseconds): SlotTaken when that slot has a run already, so
    replicas that tick together crawl it once.
    """
    values = {
        "source": source,
        "trigger": trigger,
        "since": since,
        "until": until,
        "status": "queued",
        "created_at": now or utcnow(),
        "slot": slot,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(CrawlRunRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source", "slot"])
        .returning(CrawlRunRow.id)
    )
    try:
        with session.begin_nested():
            new_id = session.execute(stmt).scalar()
    except IntegrityError:
        current = active_run(session=session, source=source)
        if current is None:
            raise
        raise SourceBusy(current) from None
    if new_id is None:
        assert slot is not None  # only the (source, slot) constraint is skipped silently
        raise SlotTaken(source, slot)
    row = session.get(CrawlRunRow, new_id)
    assert row is not None
    return _run(row)


def last_slot(*, session: Session, source: str) -> int | None:
    """The newest slot claimed for `source`, or None when no scheduled run named one."""
    return session.scalar(select(func.max(CrawlRunRow.slot)).where(CrawlRunRow.source == source))


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


def heartbeat(*, session: Session, run_ids: Iterable[int], now: datetime | None = None) -> int:
    """Renew the lease of active runs; returns how many were renewed."""
    ids = list(run_ids)
    if not ids:
        return 0
    result = session.execute(
        update(CrawlRunRow)
        .where(CrawlRunRow.id.in_(ids), CrawlRunRow.status.in_(ACTIVE))
        .values(heartbeat_at=now or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def add_counts(
    *,
    session: Session,
    run_id: int,
    seen: int = 0,
    new: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    failed: int = 0,
    now: datetime | None = None,
) -> None:
    """Increment a run's counters (in the same transaction as the writes they count).

    A crawl that writes is alive, so this renews its lease too: crawls started from the CLI
    have no manager renewing it.
    """
    session.execute(
        update(CrawlRunRow)
        .where(CrawlRunRow.id == run_id)
        .values(
            heartbeat_at=now or utcnow(),
            seen=CrawlRunRow.seen + seen,
            new=CrawlRunRow.new + new,
            updated=CrawlRunRow.updated + updated,
            unchanged=CrawlRunRow.unchanged + unchanged,
            failed=CrawlRunRow.failed + failed,
        )
    )


def record_errors(
    *,
    session: Session,
    run_id: int,
    errors: Iterable[tuple[str, str, str] | tuple[str, str, str, str]],
    now: datetime | None = None,
) -> int:
    """Store (url, kind, reason[, stage]) tuples (stage "article" when left out); returns how many."""
    stamp = now or utcnow()
    rows = [
        CrawlErrorRow(run_id=run_id, url=e[0], kind=e[1], reason=e[2],
                      stage=e[3] if len(e) > 3 else "article", created_at=stamp)  # type: ignore[misc]
        for e in errors
    ]
    session.add_all(rows)
    return len(rows)


def failure_kinds(*, session: Session, run_id: int) -> dict[str, int]:
    """How many of a run's items failed, by kind (for the one-line summary of a run)."""
    rows = session.execute(
        select(CrawlErrorRow.kind, func.count(CrawlErrorRow.id))
        .where(CrawlErrorRow.run_id == run_id)
        .group_by(CrawlErrorRow.kind)
    ).all()
    return {kind: int(count) for kind, count in rows}


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
    # The source's state follows its runs: error with the reason after a failed run, ok again
    # after one that succeeded. Same transaction: a run is never failed with its source ok.
    if status != "interrupted":
        record_run_state(session=session, name=row.source, failed=status == "failed", reason=reason,
                         now=row.finished_at)
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
        CrawlErrorRecord(
            run_id=r.run_id, url=r.url, kind=r.kind, reason=r.reason, created_at=r.created_at, stage=r.stage
        )
        for r in rows
    ]


def abandoned_reason(
    row: CrawlRunRow,
    *,
    now: datetime,
    host: str,
    is_alive: Callable[[int], bool],
    lease: timedelta | None,
    queued_grace: timedelta = QUEUED_GRACE,
) -> str | None:
    """Why an active run has nobody running it any more, or None while it may still be alive.

    A pid means something only on its own host; a run elsewhere is judged by its lease (the
    heartbeat its manager renews), so a replica that died on another machine is taken over.
    """
    if row.pid is None:
        return "queued, but never started" if now - row.created_at > queued_grace else None
    if row.host in (None, host):
        return None if is_alive(row.pid) else "the process running this crawl ended without finishing it"
    beat = row.heartbeat_at or row.started_at or row.created_at
    if lease is not None and now - beat > lease:
        return f"lease expired: no heartbeat from {row.host} for {int((now - beat).total_seconds())} s"
    return None


def busy_run(
    *,
    session: Session,
    source: str,
    is_alive: Callable[[int], bool],
    lease: timedelta | None,
    now: datetime | None = None,
    host: str | None = None,
) -> CrawlRun | None:
    """The run keeping `source` busy, or None once it is free.

    An abandoned run (see `abandoned_reason`) is marked interrupted on the way: whoever wants
    the source takes it over.
    """
    now = now or utcnow()
    row = session.scalars(
        select(CrawlRunRow).where(CrawlRunRow.source == source, CrawlRunRow.status.in_(ACTIVE)).limit(1)
    ).first()
    if row is None:
        return None
    reason = abandoned_reason(row, now=now, host=host or socket.gethostname(), is_alive=is_alive, lease=lease)
    if reason is None:
        return _run(row)
    _interrupt(session, row.id, reason, now)
    return None


def _interrupt(session: Session, run_id: int, reason: str, now: datetime) -> bool:
    # Conditional: the owner may record its own outcome at the same moment, and that one wins.
    result = session.execute(
        update(CrawlRunRow)
        .where(CrawlRunRow.id == run_id, CrawlRunRow.status.in_(ACTIVE))
        .values(status="interrupted", finished_at=now, reason=func.coalesce(CrawlRunRow.reason, reason))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def close_orphaned_runs(
    *,
    session: Session,
    is_alive: Callable[[int], bool],
    now: datetime | None = None,
    host: str | None = None,
    queued_grace: timedelta = QUEUED_GRACE,
    lease: timedelta | None = None,
) -> list[int]:
    """Mark runs left `queued`/`running` by a process that no longer exists as interrupted.

    Only runs whose pid lives on this host can be judged by pid; runs of other hosts are
    judged by their lease when one is given; a queued run that never got a pid is abandoned
    only after `queued_grace` (its starter may be about to spawn it).
    """
    now = now or utcnow()
    host = host or socket.gethostname()
    closed = []
    for row in session.scalars(select(CrawlRunRow).where(CrawlRunRow.status.in_(ACTIVE))):
        reason = abandoned_reason(
            row, now=now, host=host, is_alive=is_alive, lease=lease, queued_grace=queued_grace
        )
        if reason is not None:
            row.status, row.finished_at = "interrupted", now
            row.reason = row.reason or reason
            closed.append(row.id)
    return closed
