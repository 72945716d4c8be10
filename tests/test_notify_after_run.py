"""The after-run hook: notifications of a run's articles and of source states, publish after crawl."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import storage
from crawler.posts.render import PostRenderer
from scheduler.after_run import AfterRun
from scheduler.notify import SIGNATURE_HEADER, verify
from scheduler.settings import Settings
from storage import Database
from storage.types import CrawlRun
from tests.factories import make_article

SECRET = "after-run-secret"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, object]]]]:
    got: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert verify(SECRET, body, self.headers[SIGNATURE_HEADER])
            got.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", got
    finally:
        httpd.shutdown()
        httpd.server_close()


def stored_run(db: Database, *, new: int, updated: int = 0, status: str = "succeeded") -> CrawlRun:
    with db.session() as session:
        run = storage.create_run(session=session, source="korea_kr:policy")
        articles = [make_article(n) for n in range(1, new + updated + 1)]
        if updated:
            storage.upsert_articles(session=session, articles=articles[new:],
                                    render_post=PostRenderer.from_path(None).render)
            articles = articles[:new] + [a.with_changes(title=a.title + " (고침)") for a in articles[new:]]
        storage.upsert_articles(session=session, articles=articles, run_id=run.id,
                                render_post=PostRenderer.from_path(None).render)
    return replace(run, status=status, new=new, updated=updated)


def test_run_with_new_articles_notifies_and_publishes(
    tmp_path: Path, receiver: tuple[str, list[dict[str, object]]]
) -> None:
    url, got = receiver
    remote = tmp_path / "blog.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(remote)], check=True)
    profile = tmp_path / "blog.toml"
    profile.write_text(
        f'[publish]\nrepo = "work"\nremote_url = "{remote}"\nafter_crawl = true\n'
        f'[[notify.webhooks]]\nurl = "{url}"\nsecret = "{SECRET}"\n'
    )
    db_url = f"sqlite:///{tmp_path / 'b.db'}"
    settings = Settings(database_url=db_url, profile=profile, data_dir=tmp_path / "data")
    db = Database(db_url)
    hook = AfterRun.from_settings(settings, db)
    assert hook is not None
    hook(stored_run(db, new=1, updated=1))
    (event,) = got
    assert event["event_type"] == "new_articles"
    changes = sorted((e["external_id"], e["change"]) for e in event["entries"])  # type: ignore[union-attr,index]
    assert changes == [("148900001", "new"), ("148900002", "updated")]
    log = subprocess.run(["git", "--git-dir", str(remote), "log", "--format=%s", "main"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert log[0] == "briefing: publish 2 posts"
    db.dispose()


def test_source_state_events_on_error_and_back(
    tmp_path: Path, receiver: tuple[str, list[dict[str, object]]]
) -> None:
    url, got = receiver
    profile = tmp_path / "blog.toml"
    webhook = f'[[notify.webhooks]]\nurl = "{url}"\nsecret = "{SECRET}"\nevents = ["source_state"]\n'
    profile.write_text(webhook)
    db_url = f"sqlite:///{tmp_path / 'b.db'}"
    db = Database(db_url)
    hook = AfterRun.from_settings(Settings(database_url=db_url, profile=profile, data_dir=tmp_path / "d"), db)
    assert hook is not None
    run = stored_run(db, new=0)
    hook(replace(run, status="succeeded"))  # ok at first sight: nothing to say
    hook(replace(run, status="failed", reason="HTTP 503 from the list page"))
    hook(replace(run, status="failed", reason="again"))  # still error: no second event
    hook(replace(run, status="succeeded"))
    assert [(e["state"], e["previous"]) for e in got] == [("error", "ok"), ("ok", "error")]
    assert got[0]["reason"] == "HTTP 503 from the list page"
    db.dispose()


def test_no_hook_without_notify_or_publish(tmp_path: Path) -> None:
    profile = tmp_path / "blog.toml"
    profile.write_text('heading = ""\n[publish]\nrepo = "work"\n')  # after_crawl off
    db_url = f"sqlite:///{tmp_path / 'b.db'}"
    settings = Settings(database_url=db_url, profile=profile, data_dir=tmp_path / "d")
    assert AfterRun.from_settings(settings, Database(db_url)) is None


@pytest.mark.asyncio
async def test_the_crawl_manager_calls_the_hook_with_each_finished_run(tmp_path: Path) -> None:
    import datetime as dt

    from scheduler.crawls import CrawlTarget
    from scheduler.manager import CrawlManager

    db_url = f"sqlite:///{tmp_path / 'b.db'}"
    db = Database(db_url)
    settings = Settings(database_url=db_url, data_dir=tmp_path / "d")

    async def execute(*, db: Database, settings: Settings, run: CrawlRun, options: object,
                      on_start: object) -> CrawlRun:
        return replace(run, status="succeeded", new=3)

    manager = CrawlManager(db, settings, execute=execute)  # type: ignore[arg-type]
    seen: list[CrawlRun] = []
    manager.after_run = seen.append
    day = dt.date(2026, 11, 20)
    run = await manager.submit(CrawlTarget("korea_kr", "policy"), day, day, "api")
    await manager.wait_idle()
    assert [(r.id, r.status, r.new) for r in seen] == [(run.id, "succeeded", 3)]
    db.dispose()
