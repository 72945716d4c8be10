"""Source state: whether a feed answers (`ok`/`dead`/`error`), its HTTP validators, last check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import ArticleRow, SourceRow, utcnow

STATUSES = ("ok", "dead", "error")


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str
    kind: str
    url: str | None
    status: str  # ok, dead (a feed: 404 or sent to the home page), error (its last run failed: see error)
    etag: str | None
    last_modified: str | None
    last_checked_at: datetime | None
    error: str | None  # why the status is not "ok"


def _state(row: SourceRow) -> SourceState:
    return SourceState(
        name=row.name,
        kind=row.kind,
        url=row.url,
        status=row.status,
        etag=row.etag,
        last_modified=row.last_modified,
        last_checked_at=row.last_checked_at,
        error=row.error,
    )


def _ensure(session: Session, name: str, kind: str, url: str | None) -> SourceRow:
    """The row of source `name`, created on first use (safe when two writers race)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    row = session.scalars(select(SourceRow).where(SourceRow.name == name)).first()
    if row is None:
        stmt = insert(SourceRow).values(name=name, kind=kind, url=url, status="ok", created_at=utcnow())
        session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
        row = session.scalars(select(SourceRow).where(SourceRow.name == name)).one()
    return row


def get_source_state(*, session: Session, name: str) -> SourceState | None:
    row = session.scalars(select(SourceRow).where(SourceRow.name == name)).first()
    return _state(row) if row else None


def source_states(*, session: Session, names: Iterable[str] | None = None) -> dict[str, SourceState]:
    stmt = select(SourceRow)
    if names is not None:
        stmt = stmt.where(SourceRow.name.in_(list(names)))
    return {row.name: _state(row) for row in session.scalars(stmt)}


def record_check(
    *,
    session: Session,
    name: str,
    kind: str,
    url: str | None,
    status: str,
    error: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    keep_validators: bool = False,
    now: datetime | None = None,
) -> SourceState:
    """Store the outcome of one check of a source.

    `keep_validators` (a 304) leaves the stored ETag/Last-Modified as they are; otherwise the
    given ones replace them (None clears them, so the next fetch is unconditional).
    """
    if status not in STATUSES:
        raise ValueError(f"source status must be one of {STATUSES}, got {status!r}")
    row = _ensure(session, name, kind, url)
    row.status, row.error, row.last_checked_at = status, error, now or utcnow()
    if url:
        row.url = url
    if not keep_validators:
        row.etag, row.last_modified = etag, last_modified
    session.flush()
    return _state(row)


def record_run_state(
    *, session: Session, name: str, failed: bool, reason: str | None, now: datetime | None = None
) -> SourceState:
    """The source's state after a finished run of it (`name` is the run's source, e.g. `korea_kr:policy`).

    A failed run turns the state to `error` with the run's reason; a run that succeeded turns an
    `error` back to `ok`. Other states (a feed found `dead`) are the spider's to set, and the
    HTTP validators stay as the crawl left them.
    """
    kind = name.partition(":")[0]
    row = _ensure(session, name, kind, None)
    if failed:
        row.status, row.error = "error", reason or "the last run failed"
    elif row.status == "error":
        row.status, row.error = "ok", None
    row.last_checked_at = now or utcnow()
    session.flush()
    return _state(row)


def stored_ids(*, session: Session, source: str, external_ids: Iterable[str], body_source: str) -> set[str]:
    """Which of `external_ids` of `source` are stored with a body from `body_source`."""
    wanted = list(dict.fromkeys(external_ids))
    row = session.scalars(select(SourceRow).where(SourceRow.name == source)).first()
    if row is None or not wanted:
        return set()
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # stay far below any bind-parameter limit
        chunk = wanted[start : start + 500]
        rows = session.execute(
            select(ArticleRow.external_id, ArticleRow.data).where(
                ArticleRow.source_id == row.id, ArticleRow.external_id.in_(chunk)
            )
        )
        found.update(eid for eid, data in rows if (data or {}).get("body_source", "page") == body_source)
    return found
