"""Backfills: long crawls walked day by day, with the next day to do kept durable for resuming."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import BackfillRow, utcnow

STATUSES = ("running", "interrupted", "failed", "done")


@dataclass(frozen=True, slots=True)
class Backfill:
    id: int
    source: str
    since: date
    until: date
    next_day: date | None  # None once every day is done
    status: str
    created_at: datetime
    updated_at: datetime

    @property
    def total_days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def done_days(self) -> int:
        return self.total_days if self.next_day is None else (self.next_day - self.since).days


def _backfill(row: BackfillRow) -> Backfill:
    return Backfill(
        id=row.id,
        source=row.source,
        since=date.fromisoformat(row.since),
        until=date.fromisoformat(row.until),
        next_day=date.fromisoformat(row.next_day) if row.next_day else None,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def open_backfill(
    *, session: Session, source: str, since: date, until: date, now: datetime | None = None
) -> tuple[Backfill, bool]:
    """The unfinished backfill of exactly this source and window, or a new one; (backfill, resumed)."""
    if since > until:
        raise ValueError(f"backfill window {since}..{until} is empty")
    row = session.scalars(
        select(BackfillRow)
        .where(
            BackfillRow.source == source,
            BackfillRow.since == since.isoformat(),
            BackfillRow.until == until.isoformat(),
            BackfillRow.status != "done",
        )
        .order_by(BackfillRow.id.desc())
        .limit(1)
    ).first()
    stamp = now or utcnow()
    resumed = row is not None
    if row is None:
        row = BackfillRow(source=source, since=since.isoformat(), until=until.isoformat(),
                          next_day=since.isoformat(), created_at=stamp)
        session.add(row)
    row.status, row.updated_at = "running", stamp
    session.flush()
    return _backfill(row), resumed


def advance_backfill(
    *, session: Session, backfill_id: int, done_day: date, now: datetime | None = None
) -> Backfill:
    """Record `done_day` as crawled: the next day becomes the resume point (None, done, after the last)."""
    row = _row(session, backfill_id)
    following = date.fromordinal(done_day.toordinal() + 1)
    row.next_day = following.isoformat() if following <= date.fromisoformat(row.until) else None
    if row.next_day is None:
        row.status = "done"
    row.updated_at = now or utcnow()
    session.flush()
    return _backfill(row)


def set_backfill_status(
    *, session: Session, backfill_id: int, status: str, now: datetime | None = None
) -> Backfill:
    if status not in STATUSES:
        raise ValueError(f"backfill status must be one of {STATUSES}, got {status!r}")
    row = _row(session, backfill_id)
    row.status, row.updated_at = status, now or utcnow()
    session.flush()
    return _backfill(row)


def list_backfills(*, session: Session, source: str | None = None, limit: int = 50) -> list[Backfill]:
    stmt = select(BackfillRow).order_by(BackfillRow.id.desc()).limit(limit)
    if source:
        stmt = stmt.where(BackfillRow.source == source)
    return [_backfill(row) for row in session.scalars(stmt)]


def _row(session: Session, backfill_id: int) -> BackfillRow:
    row = session.get(BackfillRow, backfill_id)
    if row is None:
        raise LookupError(f"no backfill {backfill_id}")
    return row
