"""Drift bookkeeping: each run's yield profile and drift evidence, and a source's `drift` state.

The judgement itself is the crawler's (crawler/drift.py, a pure function); storage keeps the
profiles it compares (plain JSON, so storage knows nothing of their shape) and the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import CrawlRunRow, utcnow
from storage.sources import SourceState, _ensure, _state

DRIFT = "drift"


def record_yield(*, session: Session, run_id: int, profile: Mapping[str, Any], drift: str | None) -> None:
    """Store what a run got from its source, and the drift evidence (None: it looked normal)."""
    row = session.get(CrawlRunRow, run_id)
    if row is None:
        raise LookupError(f"no crawl run {run_id}")
    row.yield_profile, row.drift = dict(profile), drift
    session.flush()


def recent_profiles(
    *, session: Session, source: str, before_run_id: int, limit: int
) -> list[dict[str, Any]]:
    """The yield profiles of the source's last `limit` succeeded runs that looked normal (not
    drift), newest first: a drifted run must not become the norm the next one is judged by."""
    rows = session.scalars(
        select(CrawlRunRow.yield_profile)
        .where(
            CrawlRunRow.source == source,
            CrawlRunRow.id < before_run_id,
            CrawlRunRow.status == "succeeded",
            CrawlRunRow.yield_profile.is_not(None),
            CrawlRunRow.drift.is_(None),
        )
        .order_by(CrawlRunRow.id.desc())
        .limit(limit)
    )
    return [dict(profile) for profile in rows if profile]


def record_drift(
    *, session: Session, name: str, reason: str | None, now: datetime | None = None
) -> SourceState:
    """A source's state after a run judged for drift: `drift` with the evidence, or, for a run
    that looked normal, a `drift` state cleared back to `ok` (other states are not drift's)."""
    row = _ensure(session, name, name.partition(":")[0], None)
    if reason is not None:
        row.status, row.error = DRIFT, reason
    elif row.status == DRIFT:
        row.status, row.error = "ok", None
    row.last_checked_at = now or utcnow()
    session.flush()
    return _state(row)
