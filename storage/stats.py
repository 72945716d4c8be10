"""Aggregates the service reads for health, metrics and schedule catch-up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.models import ArticleRow, CrawlRunRow, SourceRow


@dataclass(frozen=True, slots=True)
class SourceRunStats:
    """Run totals of one crawl source, for /metrics."""

    source: str
    runs_by_status: dict[str, int]
    failed_pages: int  # pages the crawls of this source could not fetch or parse
    last_success_at: datetime | None


def ping(*, session: Session) -> None:
    """Raise when the database cannot answer a trivial query."""
    session.execute(text("SELECT 1"))


def run_stats(*, session: Session) -> list[SourceRunStats]:
    by_source: dict[str, dict[str, int]] = {}
    for source, status, count in session.execute(
        select(CrawlRunRow.source, CrawlRunRow.status, func.count(CrawlRunRow.id)).group_by(
            CrawlRunRow.source, CrawlRunRow.status
        )
    ):
        by_source.setdefault(source, {})[status] = count
    failed: dict[str, int] = dict(
        session.execute(
            select(CrawlRunRow.source, func.coalesce(func.sum(CrawlRunRow.failed), 0)).group_by(
                CrawlRunRow.source
            )
        ).all()
    )
    last_ok: dict[str, datetime | None] = dict(
        session.execute(
            select(CrawlRunRow.source, func.max(CrawlRunRow.finished_at))
            .where(CrawlRunRow.status == "succeeded")
            .group_by(CrawlRunRow.source)
        ).all()
    )
    return [
        SourceRunStats(
            source=source,
            runs_by_status=statuses,
            failed_pages=int(failed.get(source, 0)),
            last_success_at=_aware(last_ok.get(source)),
        )
        for source, statuses in sorted(by_source.items())
    ]


def article_counts(*, session: Session) -> dict[str, int]:
    """Stored articles per site source (e.g. `korea_kr`)."""
    rows = session.execute(
        select(SourceRow.name, func.count(ArticleRow.id))
        .join(ArticleRow, ArticleRow.source_id == SourceRow.id)
        .group_by(SourceRow.name)
    ).all()
    return {name: count for name, count in sorted(rows)}


def last_run_times(*, session: Session, triggers: Iterable[str]) -> dict[str, tuple[datetime, str]]:
    """For each source, (when, status) of its newest run started by one of `triggers`.

    `when` is the nominal time of the slot the run claimed, or its creation time when it
    claimed none, so every replica derives the same schedule rhythm from it.
    """
    newest = (
        select(func.max(CrawlRunRow.id))
        .where(CrawlRunRow.trigger.in_(list(triggers)))
        .group_by(CrawlRunRow.source)
    )
    rows = session.execute(
        select(CrawlRunRow.source, CrawlRunRow.created_at, CrawlRunRow.slot, CrawlRunRow.status).where(
            CrawlRunRow.id.in_(newest)
        )
    ).all()
    return {
        source: (slot_time(slot) if slot is not None else created, status)
        for source, created, slot, status in rows
    }


def slot_time(slot: int) -> datetime:
    """The nominal time a slot number (epoch milliseconds) stands for."""
    return datetime.fromtimestamp(slot / 1000, UTC)


def slot_of(when: datetime) -> int:
    """The slot number (epoch milliseconds) of a nominal schedule time."""
    return round(when.timestamp() * 1000)


def _aware(value: datetime | None) -> datetime | None:
    # Belt and braces: an aggregate may lose the column type on some backends and come back
    # naive or as text.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
