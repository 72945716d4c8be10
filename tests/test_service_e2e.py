"""End to end: `briefing run` as a real process against the korea.kr replica.

Three lives of one service over one database: scheduled runs happen; a manual crawl is started,
refused a twin (409) and cut short by SIGTERM; a restart completes the next run without
duplicates. Plus the access rules that only a real process can show.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import IO, Any

import feedparser
import httpx
import pytest

from domain.article import KST
from tests.crawl_helpers import REPO, briefing, briefing_env
from tests.replica.fixture import Replica

pytestmark = pytest.mark.slow

ARTICLES = 60
GRACE = 3.0
TOKEN = "e2e-token-0123456789"
_HANGUL_WORD = re.compile(r"[가-힣]{4,}")


class Service:
    """One `python -m scheduler run --port 0` process and an HTTP client for it."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "run", "--port", "0", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log,
            stdin=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line.startswith("SERVICE_URL "):
            self.stop()
            raise AssertionError(f"service did not start: {line!r}\n{self.stderr()}")
        self.url = line.split()[1]
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def runs(self) -> list[dict[str, Any]]:
        return self.http.get("/crawls", params={"limit": 100}).json()["items"]

    def run(self, run_id: int) -> dict[str, Any]:
        return self.http.get(f"/crawls/{run_id}").json()

    def terminate(self, timeout: float) -> tuple[int, float]:
        """SIGTERM, then (exit code, seconds it took to exit)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        return code, time.monotonic() - started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self.log.close()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30, service: Service | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{service.stderr()}" if service else ""))


@pytest.fixture
def site() -> Iterator[Replica]:
    # Dated up to today (KST) so the scheduled window (the last 5 days) covers every article.
    today = datetime.now(KST).date()
    with Replica.start(articles=ARTICLES, start=today - timedelta(days=4), days=5) as replica:
        yield replica


@pytest.fixture
def env_for(site: Replica, db_url: str, tmp_path: Path) -> Callable[..., dict[str, str]]:
    def make(minutes: float, **extra: str) -> dict[str, str]:
        return briefing_env(
            db_url,
            tmp_path / "data",
            site.url,
            BRIEFING_SCHEDULES=json.dumps({"korea_kr:policy": {"minutes": minutes, "jitter_seconds": 0}}),
            BRIEFING_SCHEDULE_WINDOW_DAYS="5",
            BRIEFING_GRACE_SECONDS=str(GRACE),
            BRIEFING_OBEY_ROBOTS="false",
            **extra,
        )

    return make


def text_of(item: dict[str, Any]) -> str:
    body = unescape(re.sub(r"<[^>]+>", " ", item["body_html"]))
    return " ".join([item["title"], item["subtitle"], body, item["ministry"] or "", *item["tags"]]).lower()


def test_service_lifecycle_against_the_replica(site: Replica, env_for: Callable[..., dict[str, str]]) -> None:
    # --- life 1: scheduled runs happen (a catch-up at start, then every 4.2 s) ---------------
    service = Service(env_for(minutes=0.07))
    try:
        assert service.http.get("/healthz").json()["scheduler"] is True
        wait_for(
            "a catch-up run and a scheduled run to succeed",
            lambda: (
                {r["trigger"] for r in service.runs() if r["status"] == "succeeded"}
                >= {"catch_up", "scheduled"}
            ),
            service=service,
        )
        code, _ = service.terminate(timeout=GRACE + 5)
        assert code == 0, service.stderr()
    finally:
        service.stop()

    # --- life 2: reads, a manual crawl, its twin refused, SIGTERM in the middle -------------
    service = Service(env_for(minutes=60))  # the last scheduled run is recent: no catch-up
    try:
        # Usually idle at once; if life 1 was stopped mid-run, that run is redone as a catch-up.
        wait_for(
            "no active run", lambda: not service.http.get("/healthz").json()["active_runs"], service=service
        )
        runs = service.runs()
        assert {r["status"] for r in runs} <= {"succeeded", "interrupted"}, runs
        articles = service.http.get("/articles", params={"limit": 100}).json()
        assert len(articles["items"]) == ARTICLES and articles["next_cursor"] is None
        assert {a["external_id"] for a in articles["items"]} == {t["news_id"] for t in site.truth()}

        # Korean search through HTTP: part of a longer word, and a 2-character query.
        word = next(w for a in articles["items"] for w in _HANGUL_WORD.findall(a["title"]))
        for query in (word[1:4], word[1:3]):
            found = service.http.get("/articles", params={"q": query, "limit": 100}).json()["items"]
            assert found, query
            assert all(query in text_of(item) for item in found), query
            expected = {a["id"] for a in articles["items"] if query in text_of(a)}
            assert {item["id"] for item in found} == expected, query

        parsed = feedparser.parse(service.http.get("/feed.xml", params={"limit": 10}).content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == 10
        assert parsed.entries[0].title == articles["items"][0]["title"]

        for item in site.truth():
            site.fault(item["news_id"], "slow:0.5")  # a crawl that lasts long enough to interrupt
        window = {"source": "korea_kr:policy", "since": site.truth()[0]["published_at"][:10]}
        started = service.http.post("/crawls", json=window)
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        twin = service.http.post("/crawls", json={"source": "korea_kr"})
        assert twin.status_code == 409
        assert twin.json()["run_id"] == run_id
        wait_for("the crawl to run", lambda: service.run(run_id)["status"] == "running", service=service)
        time.sleep(1.0)  # mid-crawl, past the child's signal set-up
        code, took = service.terminate(timeout=GRACE + 10)
        assert code == 0, service.stderr()
        assert took < GRACE + 1.5, f"took {took:.1f}s to stop\n{service.stderr()}"
        assert f"run_id={run_id}" in service.stderr()  # structured logs carry the run id
    finally:
        service.stop()

    # --- life 3: the next start picks up normally and a run completes without duplicates ----
    site.reset()
    service = Service(env_for(minutes=60, BRIEFING_API_TOKEN=TOKEN))
    try:
        interrupted = service.run(run_id)
        assert interrupted["status"] == "interrupted", interrupted
        assert interrupted["reason"] == "stopped on request"
        assert interrupted["finished_at"] is not None
        assert service.http.post("/crawls", json={"source": "korea_kr"}).status_code == 401

        via = briefing(
            "crawl", "korea_kr:policy", "--since", window["since"], "--via", service.url,
            env=env_for(minutes=60, BRIEFING_API_TOKEN=TOKEN),
        )  # fmt: skip
        assert via.returncode == 0, via.stderr
        next_id = int(re.search(r"run (\d+) started", via.stdout).group(1))  # type: ignore[union-attr]
        done = wait_for(
            "the next run to finish",
            lambda: (r := service.run(next_id))["status"] not in ("queued", "running") and r,
            service=service,
        )
        assert done["status"] == "succeeded", done
        assert done["counts"]["new"] == 0 and done["counts"]["seen"] == ARTICLES
        items = service.http.get("/articles", params={"limit": 100}).json()["items"]
        assert len(items) == len({i["external_id"] for i in items}) == ARTICLES
        assert {i["revisions"] for i in items} == {1}
        code, _ = service.terminate(timeout=GRACE + 5)
        assert code == 0
    finally:
        service.stop()


def test_no_token_and_a_public_address_refuses_to_start(tmp_path: Path) -> None:
    env = briefing_env(f"sqlite:///{tmp_path / 'b.db'}", tmp_path, "http://127.0.0.1:9")
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "run", "--host", "0.0.0.0", "--port", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "BRIEFING_API_TOKEN" in result.stderr
    assert result.stdout == ""


def test_a_public_address_with_a_token_starts(tmp_path: Path) -> None:
    env = briefing_env(
        f"sqlite:///{tmp_path / 'b.db'}",
        tmp_path,
        "http://127.0.0.1:9",
        BRIEFING_API_TOKEN=TOKEN,
        BRIEFING_CATCH_UP="false",
    )
    service = Service(env, "--host", "0.0.0.0")
    try:
        assert service.url.startswith("http://0.0.0.0:")
        port = service.url.rsplit(":", 1)[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.post("/crawls", json={"source": "korea_kr"}).status_code == 401
            assert client.get("/healthz").status_code == 200
        assert service.terminate(timeout=10)[0] == 0
    finally:
        service.stop()


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = briefing_env(f"sqlite:///{tmp_path / 'b.db'}", tmp_path, "http://127.0.0.1:9")
        result = subprocess.run(
            [sys.executable, "-m", "scheduler", "run", "--port", str(port)],
            cwd=REPO,
            env=env | {"BRIEFING_CATCH_UP": "false"},
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_the_service_never_imports_scrapy() -> None:
    code = (
        "import sys, scheduler.service, scheduler.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=os.environ
    )
    assert result.stdout.strip() == "[]", result.stderr
