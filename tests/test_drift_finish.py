"""A run's end and the drift alarm's verdict on it are one transaction.

The service once recorded a run as finished and judged it afterwards, in a second transaction:
a client polling the run (the drift service test did, on PostgreSQL) could see it failed with no
drift evidence, and the source in state `error` instead of `drift`.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from crawler.drift import YieldProfile
from scheduler import crawls
from storage import Database, create_run, get_run, get_source_state
from storage.drift import recent_profiles

DRIFTED = YieldProfile(list_pages=1, list_items=5, failed=5, layout_errors=5).to_json()
NORMAL = YieldProfile(
    list_pages=1, list_items=5, articles=5, fields={"title": 5, "date": 5, "body": 5, "ministry": 5},
    layouts={"news": 5},
).to_json()  # fmt: skip


def _queued(db: Database, source: str = "korea_kr:policy") -> int:
    with db.session() as session:
        return create_run(session=session, source=source).id


def _commits(db: Database) -> list[int]:
    seen: list[int] = []
    event.listen(db.engine, "commit", lambda conn: seen.append(1))
    return seen


def test_finish_records_the_run_and_its_verdict_in_one_commit(db: Database) -> None:
    run_id = _queued(db)
    commits = _commits(db)
    done = crawls._finish(db, run_id, "failed", 6, "5 of 5 items failed", DRIFTED)
    assert len(commits) == 1  # a reader sees both or neither
    assert done.status == "failed" and done.drift and "5 of 5 pages matched no known layout" in done.drift
    with db.session(read_only=True) as session:
        stored = get_run(session=session, run_id=run_id)
        source = get_source_state(session=session, name="korea_kr:policy")
    assert stored is not None and stored.drift == done.drift
    assert source is not None and (source.status, source.error) == ("drift", done.drift)


def test_a_normal_run_is_finished_without_drift(db: Database) -> None:
    run_id = _queued(db)
    done = crawls._finish(db, run_id, "succeeded", 0, None, NORMAL)
    assert done.status == "succeeded" and done.drift is None
    with db.session(read_only=True) as session:
        kept = recent_profiles(session=session, source="korea_kr:policy", before_run_id=run_id + 1, limit=5)
    assert kept == [NORMAL]  # the norm later runs are judged by


def test_a_failing_judgement_never_loses_the_runs_end(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError("the alarm broke")

    monkeypatch.setattr("scheduler.drift.record_drift", broken)
    run_id = _queued(db)
    done = crawls._finish(db, run_id, "failed", 6, "could not read the source", DRIFTED)
    with db.session(read_only=True) as session:
        stored = get_run(session=session, run_id=run_id)
        source = get_source_state(session=session, name="korea_kr:policy")
    assert stored is not None and (stored.status, stored.exit_code) == ("failed", 6)
    # The savepoint took the half-written verdict back; the source's state follows the run.
    assert stored.drift is None and done.drift is None
    assert source is not None and source.status == "error"
