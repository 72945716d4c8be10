"""The drift alarm in the service: judge a finished run's yield against the source's recent runs.

The crawl child sends its yield profile with its `Finished` event (crawler.protocol); the
service calls `judge_run` once the run is recorded. The verdict (crawler.drift.judge, pure)
is stored with the run (`drift`: the evidence) and on the source: state `drift` with the
evidence, shown by `briefing sources list`, `/healthz` (503) and `/metrics`; a later run that
looks normal clears it back to `ok`. Runs that looked drifted are never the norm a later run
is judged by.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from crawler.drift import RECENT_RUNS, Verdict, YieldProfile, judge
from storage.drift import recent_profiles, record_drift, record_yield

logger = logging.getLogger(__name__)


def judge_run(
    *, session: Session, run_id: int, source: str, profile: Mapping[str, Any] | None
) -> Verdict | None:
    """Judge and record one finished run, in the transaction that records its end: nobody may
    see a finished run (or its source's state) without its verdict. None when the run sent no
    profile (it stopped early, or crashed before counting). A failure of the alarm is logged
    and rolled back to a savepoint: it never changes the run's outcome."""
    if profile is None:
        return None
    try:
        with session.begin_nested():
            this_run = YieldProfile.from_json(profile)
            recent = recent_profiles(session=session, source=source, before_run_id=run_id, limit=RECENT_RUNS)
            verdict = judge([YieldProfile.from_json(p) for p in recent], this_run)
            record_yield(session=session, run_id=run_id, profile=this_run.to_json(), drift=verdict.reason)
            record_drift(session=session, name=source, reason=verdict.reason)
    except Exception:
        logger.exception("run %s: the drift judgement failed", run_id)
        return None
    if verdict.drift:
        logger.warning("source %s drifted (run %s): %s", source, run_id, verdict.reason)
    return verdict
