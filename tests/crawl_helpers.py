"""Helpers for tests that run the real `briefing` CLI and crawl child against the replica."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

import storage
from storage.database import Database

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[1]


def briefing_env(db_url: str, data_dir: Path, base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(
        {
            "BRIEFING_DATABASE_URL": db_url,
            "BRIEFING_DATA_DIR": str(data_dir),
            "BRIEFING_KOREA_KR_BASE_URL": base_url,
            # Politeness delays off for loopback tests; retries fast.
            "BRIEFING_CRAWL_DELAY": "0",
            "BRIEFING_CRAWL_AUTOTHROTTLE": "false",
            "BRIEFING_CRAWL_CONCURRENCY": "4",
            "BRIEFING_CRAWL_RETRY_BACKOFF": "0.05",
            "BRIEFING_CRAWL_TIMEOUT": "5",
            "PYTHONPATH": str(REPO),
        }
    )
    env.update(extra)
    return env


def briefing(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def briefing_popen(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_db(db_url: str, read: Callable[[Session], T], *, create: bool = True) -> T:
    """What `read` finds in the database the CLI wrote, through a connection of its own."""
    db = Database(db_url, create=create)
    try:
        with db.session() as session:
            return read(session)
    finally:
        db.dispose()


def stored_articles(db_url: str, source: str | None = None) -> dict[str, storage.StoredArticle]:
    """The stored articles (of one source, if named) by their external id."""
    return read_db(
        db_url,
        lambda session: {
            s.article.external_id: s
            for s in storage.iter_articles(session=session)
            if source is None or s.source == source
        },
    )


def revision_count(db_url: str) -> int:
    return read_db(db_url, lambda session: storage.count_revisions(session=session))


def last_run(db_url: str) -> storage.CrawlRun:
    return read_db(db_url, lambda session: storage.list_runs(session=session, limit=1)[0])
