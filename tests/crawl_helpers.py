"""Helpers for tests that run the real `briefing` CLI and crawl child against the replica."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
