"""Source state and backfill rows in storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storage import Database, upsert_articles
from storage.backfills import advance_backfill, list_backfills, open_backfill, set_backfill_status
from storage.sources import get_source_state, record_check, source_states, stored_ids
from tests.factories import make_article

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def test_a_feed_check_is_recorded_and_validators_follow_it(db: Database) -> None:
    with db.session() as session:
        assert get_source_state(session=session, name="feed:mofa") is None
        record_check(session=session, name="feed:mofa", kind="feed", url="http://f/x.xml", status="ok",
                     etag='"v1"', last_modified="Tue, 16 Jun 2026 01:00:00 GMT", now=NOW)
    with db.session() as session:
        state = get_source_state(session=session, name="feed:mofa")
        assert state is not None
        assert (state.kind, state.url, state.status, state.etag) == ("feed", "http://f/x.xml", "ok", '"v1"')
        assert state.last_checked_at == NOW
        # A 304 keeps the validators; a dead feed says why; a fetch without validators clears them.
        record_check(session=session, name="feed:mofa", kind="feed", url=None, status="ok",
                     keep_validators=True)
        assert get_source_state(session=session, name="feed:mofa").etag == '"v1"'  # type: ignore[union-attr]
        dead = record_check(session=session, name="feed:mofa", kind="feed", url=None, status="dead",
                            error="HTTP 404")
        assert (dead.status, dead.error, dead.etag, dead.url) == ("dead", "HTTP 404", None, "http://f/x.xml")
        assert set(source_states(session=session)) == {"feed:mofa"}
        with pytest.raises(ValueError, match="source status"):
            record_check(session=session, name="feed:mofa", kind="feed", url=None, status="gone")


def test_the_state_row_is_the_articles_source_row(db: Database) -> None:
    with db.session() as session:
        record_check(session=session, name="feed:a", kind="feed", url="http://f/a.xml", status="ok")
        upsert_articles(session=session, articles=[
            make_article(1, source="feed:a", external_id="1", body_source="extracted"),
            make_article(2, source="feed:a", external_id="2", body_source="feed"),
        ])
    with db.session() as session:
        assert stored_ids(session=session, source="feed:a", external_ids=["1", "2", "3"],
                          body_source="extracted") == {"1"}
        assert not stored_ids(session=session, source="feed:none", external_ids=["1"], body_source="feed")
        assert source_states(session=session)["feed:a"].kind == "feed"


def test_backfill_rows_resume_exactly_the_same_window(db: Database) -> None:
    since, until = date(2024, 1, 1), date(2024, 1, 3)
    with db.session() as session:
        first, resumed = open_backfill(session=session, source="korea_kr:policy", since=since, until=until)
        assert not resumed and first.next_day == since and (first.done_days, first.total_days) == (0, 3)
        advance_backfill(session=session, backfill_id=first.id, done_day=since)
        set_backfill_status(session=session, backfill_id=first.id, status="interrupted")
    with db.session() as session:
        again, resumed = open_backfill(session=session, source="korea_kr:policy", since=since, until=until)
        assert resumed and again.id == first.id and again.next_day == date(2024, 1, 2)
        assert again.status == "running" and again.done_days == 1
        other, resumed = open_backfill(session=session, source="korea_kr:policy", since=since,
                                       until=date(2024, 1, 4))
        assert not resumed and other.id != first.id
        advance_backfill(session=session, backfill_id=first.id, done_day=date(2024, 1, 2))
        done = advance_backfill(session=session, backfill_id=first.id, done_day=until)
        assert (done.next_day, done.status, done.done_days) == (None, "done", 3)
        # A finished backfill is not resumed: the same command starts afresh.
        fresh, resumed = open_backfill(session=session, source="korea_kr:policy", since=since, until=until)
        assert not resumed and fresh.id not in (first.id, other.id)
        assert [b.id for b in list_backfills(session=session, source="korea_kr:policy")][0] == fresh.id
        with pytest.raises(ValueError, match="empty"):
            open_backfill(session=session, source="korea_kr:policy", since=until, until=since)
