"""Database outages: the crawl stops cleanly, the service keeps running and says the database is
down, the run is marked failed once the database is back, and the next run stores what was missed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import storage
from crawler.protocol import ExitCode, Finished
from domain.article import KST
from scheduler import manager as manager_module
from scheduler.crawls import CrawlTarget
from scheduler.manager import CrawlManager
from scheduler.settings import Settings
from storage import CrawlRun, Database
from tests.crawl_helpers import briefing_env
from tests.replica.fixture import Replica
from tests.test_service_e2e import Service, wait_for

DAY = date(2026, 11, 20)


class FinishedChild:
    """A child that has exited with `code` (what the manager keeps of a crawl child)."""

    def __init__(self, run_id: int, code: int) -> None:
        self.run_id = run_id
        self.pid = 999_999
        self.stop_requested = False
        self.process = type("P", (), {"returncode": code})()
        # What the child said last: its outcome and reason (crawler.protocol), not its log.
        self.finished = Finished(status="failed", exit_code=ExitCode(code),
                                 reason="database error: OperationalError: connection lost")

    async def stop(self, grace: float) -> None:
        self.stop_requested = True


@pytest.mark.asyncio
async def test_an_outcome_is_recorded_once_the_database_answers_again(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The child stopped on a storage error (exit 4) and writing the outcome failed too.
    async def execute(*, db: Database, run: CrawlRun, on_start: Any, **_: Any) -> CrawlRun:
        on_start(FinishedChild(run.id, 4))
        raise OperationalError("UPDATE crawl_runs", {}, ConnectionRefusedError("connection refused"))

    settings = Settings(data_dir=tmp_path)
    manager = CrawlManager(db, settings, execute=execute)
    monkeypatch.setattr(manager_module, "RECORD_RETRY_FIRST", 0.05)
    real_close, attempts = manager._close, []

    def close(*args: Any) -> None:
        attempts.append(args)
        if len(attempts) < 3:  # the database is still away for two tries
            raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))
        real_close(*args)

    monkeypatch.setattr(manager, "_close", close)
    run = await manager.submit(CrawlTarget("korea_kr", "policy"), DAY, DAY, "scheduled")
    await asyncio.wait_for(manager.wait_idle(), 10)
    assert len(attempts) == 3
    with db.session() as session:
        failed = storage.get_run(session=session, run_id=run.id)
    assert failed is not None
    assert (failed.status, failed.exit_code) == ("failed", 4)
    assert failed.reason == "database error: OperationalError: connection lost"
    assert manager.active_run_ids == {}  # the source is free for the next run


class Proxy:
    """A loopback TCP proxy to PostgreSQL that a test can cut (refusing and dropping
    connections, like a database that went away) and restore on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets |= {client, server}
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(pg_schema_url: str) -> Iterator[Proxy]:
    url = make_url(pg_schema_url)
    running = Proxy((url.host or "127.0.0.1", url.port or 5432))
    running.start()
    yield running
    running.cut()


ARTICLES = 40


@pytest.fixture
def site() -> Iterator[Replica]:
    today = datetime.now(KST).date()
    with Replica.start(articles=ARTICLES, start=today - timedelta(days=2), days=3) as replica:
        yield replica


def _count(db: Database) -> tuple[int, int]:
    with db.engine.connect() as conn:
        counted = conn.execute(text("SELECT count(*), count(DISTINCT external_id) FROM articles"))
        total, distinct = counted.one()
    return total, distinct


def _run(db: Database, run_id: int) -> dict[str, Any]:
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM crawl_runs WHERE id = :id"), {"id": run_id}).one()
        return dict(row._mapping)


@pytest.mark.slow
def test_the_service_outlives_a_database_outage_mid_crawl(
    site: Replica, proxy: Proxy, pg_schema_url: str, tmp_path: Path
) -> None:
    direct = Database(pg_schema_url)  # the test's own view, not through the proxy
    through_proxy = make_url(pg_schema_url).set(port=proxy.port).render_as_string(hide_password=False)
    for item in site.truth():
        site.fault(item["news_id"], "slow:0.5")  # a crawl of several seconds, written in batches
    env = briefing_env(
        through_proxy,
        tmp_path / "data",
        site.url,
        BRIEFING_SCHEDULES=json.dumps({"korea_kr:policy": {"minutes": 0.1, "jitter_seconds": 0}}),
        BRIEFING_SCHEDULE_WINDOW_DAYS="3",
        BRIEFING_OBEY_ROBOTS="false",
        BRIEFING_DB_CONNECT_TIMEOUT="2",
    )
    service = Service(env)
    try:
        # The catch-up run starts at once; cut the database after its first batch is stored.
        wait_for("a first batch of articles", lambda: _count(direct)[0] > 0, service=service)
        stored_before = _count(direct)[0]
        assert stored_before < ARTICLES
        proxy.cut()

        health = wait_for(
            "/healthz to report the database down",
            lambda: (r := service.http.get("/healthz")).status_code == 503 and r,
            service=service,
        )
        assert health.json()["database"] is False
        assert health.json()["scheduler"] is True
        time.sleep(7)  # a scheduled tick passes while the database is away
        assert service.process.poll() is None, service.stderr()
        assert "slot skipped: database unreachable" in service.stderr()
        for item in site.truth():
            site.fault(item["news_id"], None)
        proxy.start()  # the database is back, on the same address

        first = wait_for(
            "the cut run to be recorded as failed",
            lambda: (r := _run(direct, 1))["status"] != "running" and r,
            service=service,
        )
        assert (first["status"], first["exit_code"]) == ("failed", 4), first
        assert first["reason"].startswith("database error:"), first
        wait_for(
            "a later run to store the rest",
            lambda: _count(direct)[0] == ARTICLES,
            timeout=40,
            service=service,
        )
        assert _count(direct) == (ARTICLES, ARTICLES)  # nothing lost, nothing twice
        with direct.engine.connect() as conn:
            stored = set(conn.execute(text("SELECT external_id FROM articles")).scalars())
        assert stored == {a["news_id"] for a in site.truth()}
        wait_for("/healthz to be ok again", lambda: service.http.get("/healthz").status_code == 200)
        code, _ = service.terminate(timeout=30)
        assert code == 0, service.stderr()
    finally:
        service.stop()
        direct.dispose()
