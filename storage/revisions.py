"""An article's stored versions, oldest first, with the fields each one changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ArticleRevisionRow


@dataclass(frozen=True, slots=True)
class Revision:
    number: int
    created_at: datetime
    crawl_run_id: int | None
    content_hash: str
    changed: tuple[str, ...]  # content fields that differ from the previous revision; () for the first


def list_revisions(*, session: Session, article_id: int) -> list[Revision]:
    rows = session.scalars(
        select(ArticleRevisionRow)
        .where(ArticleRevisionRow.article_id == article_id)
        .order_by(ArticleRevisionRow.number)
    )
    found: list[Revision] = []
    previous: dict[str, object] | None = None
    for row in rows:
        data = row.data or {}
        changed = () if previous is None else _changed_keys(previous, data)
        found.append(
            Revision(
                number=row.number,
                created_at=row.created_at,
                crawl_run_id=row.crawl_run_id,
                content_hash=row.content_hash,
                changed=changed,
            )
        )
        previous = data
    return found


def _changed_keys(before: dict[str, object], after: dict[str, object]) -> tuple[str, ...]:
    return tuple(sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)))


def run_changes(*, session: Session, run_id: int) -> list[tuple[int, bool]]:
    """(article id, whether the run created it) for every article crawl run `run_id` stored or changed."""
    rows = session.execute(
        select(ArticleRevisionRow.article_id, ArticleRevisionRow.number)
        .where(ArticleRevisionRow.crawl_run_id == run_id)
        .order_by(ArticleRevisionRow.article_id, ArticleRevisionRow.number)
    )
    firsts: dict[int, int] = {}
    for article_id, number in rows:
        firsts.setdefault(article_id, number)
    return [(article_id, number == 1) for article_id, number in firsts.items()]
