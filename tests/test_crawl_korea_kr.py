"""End to end: the real `briefing crawl` and crawl child against the local korea.kr replica."""

from __future__ import annotations

import os
import signal
import time
from datetime import date, datetime
from pathlib import Path

import pytest

import storage
from storage import Database
from tests.crawl_helpers import (
    briefing,
    briefing_env,
    briefing_popen,
    last_run,
    revision_count,
    stored_articles,
)

pytestmark = pytest.mark.slow

START = date(2026, 11, 18)
SINCE, UNTIL = "2026-11-18", "2026-11-22"


@pytest.fixture
def site(replica_factory):  # type: ignore[no-untyped-def]
    return replica_factory(articles=60, start=START, days=5)


def crawl(env: dict[str, str], *extra: str, check: bool = True):  # type: ignore[no-untyped-def]
    result = briefing(
        "crawl", "korea_kr", "--section", "policy", "--since", SINCE, "--until", UNTIL, *extra, env=env
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def progress_so_far(db_url: str) -> tuple[int, storage.CrawlRun | None]:
    """Articles stored and the newest run, read without creating the schema (the CLI does)."""
    db = Database(db_url, create=False)
    try:
        with db.session() as session:
            runs = storage.list_runs(session=session, limit=1)
            return storage.count_articles(session=session), (runs[0] if runs else None)
    except Exception:  # tables not there yet
        return 0, None
    finally:
        db.dispose()


def test_crawl_stores_every_article_once_with_its_fields(site, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = briefing_env(db_url, tmp_path, site.url)
    result = crawl(env)
    assert "new 60" in result.stdout, result.stdout
    truth = {t["news_id"]: t for t in site.truth()}
    stored = stored_articles(db_url)
    assert set(stored) == set(truth)
    for news_id, expected in truth.items():
        got = stored[news_id].article
        assert (
            got.url
            == expected["canonical_url"]
            == f"https://www.korea.kr/news/policyNewsView.do?newsId={news_id}"
        )
        assert got.title == expected["title"]
        assert list(got.subtitles) == list(expected["subtitles"])
        assert got.published_at == datetime.fromisoformat(expected["published_at"])
        assert (got.ministry, got.rep_code) == (expected["ministry"], expected["rep_code"])
        assert list(got.tags) == list(expected["tags"])
        assert (got.license_type, got.license_text_only) == (
            expected["license_type"],
            expected["license_text_only"],
        )
        assert [(i.url, i.caption) for i in got.images] == [tuple(i) for i in expected["images"]]
        assert [(a.name, a.url, a.extension) for a in got.attachments] == [
            tuple(a) for a in expected["attachments"]
        ]
        assert got.contact == expected["contact"]
        for paragraph in expected["body_paragraphs"]:
            assert paragraph in got.body_html
        assert "공유하기" not in got.body_html and "실시간 인기뉴스" not in got.body_html
    run = last_run(db_url)
    assert (run.status, run.seen, run.new, run.failed) == ("succeeded", 60, 60, 0)
    requests = site.requests()
    article_requests = [r for r in requests if r["path"].endswith("policyNewsView.do")]
    fetched = sorted(r["query"].split("newsId=")[1].split("&")[0] for r in article_requests)
    assert fetched == sorted(truth), "every article fetched exactly once, from the configured base URL"
    assert all(r["query"] == f"newsId={r['query'].split('=')[1]}" for r in article_requests), (
        "tracking params dropped"
    )
    assert any(r["path"] == "/robots.txt" for r in requests)
    for r in requests:
        headers = {k.lower(): v for k, v in r["headers"].items()}
        assert "briefing" in headers["user-agent"]
        if r["path"] != "/robots.txt":
            assert headers.get("referer"), f"no Referer on {r['path']}"
    lists = [r for r in requests if r["path"].endswith("policyNewsList.do")]
    assert [r["method"] for r in lists][0] == "GET" and {r["method"] for r in lists[1:]} == {"POST"}


def test_recrawl_changes_nothing_then_one_edit_is_one_revision(site, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = briefing_env(db_url, tmp_path, site.url)
    crawl(env)
    again = crawl(env)
    assert "new 0, updated 0, unchanged 60" in again.stdout, again.stdout
    assert revision_count(db_url) == 60
    target = site.truth()[7]["news_id"]
    site.mutate(target, body_append="<p>정정: 예산 규모가 수정되었다.</p>")
    edited = crawl(env)
    assert "new 0, updated 1, unchanged 59" in edited.stdout, edited.stdout
    assert revision_count(db_url) == 61
    assert "정정: 예산 규모가 수정되었다." in stored_articles(db_url)[target].article.body_html


def test_faulty_pages_are_recorded_and_the_rest_stored(site, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    truth = site.truth()
    broken = {
        truth[3]["news_id"]: "status:500",
        truth[10]["news_id"]: "no_title",
        truth[20]["news_id"]: "truncate",
        truth[25]["news_id"]: "redesign",  # a design no known layout describes
    }
    flaky = truth[30]["news_id"]
    for news_id, kind in broken.items():
        site.fault(news_id, kind)
    site.fault(flaky, "status_once:503")  # retried with back-off, then stored
    env = briefing_env(db_url, tmp_path, site.url)
    result = crawl(env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    stored = stored_articles(db_url)
    assert len(stored) == 56 and flaky in stored
    assert not set(broken) & set(stored)
    run = last_run(db_url)
    assert (run.status, run.failed, run.new) == ("succeeded", 4, 56)
    db = Database(db_url)
    with db.session() as session:
        errors = {e.url: e for e in storage.list_errors(session=session, run_id=run.id)}
    db.dispose()
    base = "https://www.korea.kr/news/policyNewsView.do?newsId="
    assert set(errors) == {base + n for n in broken}
    assert errors[base + truth[3]["news_id"]].kind == "http_500"
    assert errors[base + truth[10]["news_id"]].kind == "layout_changed"
    assert (
        errors[base + truth[10]["news_id"]].reason
        == "layout changed: no title found (page of layout www-2026)"
    )
    # A page of no known layout is an item error of its own kind, naming the layouts tried.
    redesigned = errors[base + truth[25]["news_id"]]
    assert redesigned.kind == "layout"
    assert redesigned.reason == "layout: the page matches none of the policy layouts (www-2026, legacy-2019)"
    assert errors[base + truth[20]["news_id"]].kind == "truncated"


def test_window_limits_the_crawl(site, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = briefing_env(db_url, tmp_path, site.url)
    result = briefing("crawl", "korea_kr:policy", "--since", "2026-11-21", "--until", "2026-11-22", env=env)
    assert result.returncode == 0, result.stderr
    expected = {t["news_id"] for t in site.truth() if t["published_at"][:10] in ("2026-11-21", "2026-11-22")}
    assert 0 < len(expected) < 60
    assert set(stored_articles(db_url)) == expected


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_sigkill_mid_crawl_then_rerun_leaves_no_duplicate_or_partial(
    site, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    for item in site.truth():
        site.fault(item["news_id"], "slow:0.15")
    env = briefing_env(db_url, tmp_path, site.url, BRIEFING_CRAWL_CONCURRENCY="1")
    proc = briefing_popen("crawl", "korea_kr", "--since", SINCE, "--until", UNTIL, env=env)
    try:
        deadline = time.monotonic() + 60
        child_pid = None
        while time.monotonic() < deadline:
            time.sleep(0.3)
            stored, run = progress_so_far(db_url)
            if run and run.pid and 5 <= stored < 60:
                child_pid = run.pid
                break
        assert child_pid is not None, "the crawl never stored a first batch"
        writers = children_of(child_pid)
        assert writers, "the crawl child runs its writer in a process of its own"
        os.kill(child_pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    # The writer notices that its crawl is gone and ends (its transaction rolled back).
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in writers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in writers if Path(f"/proc/{pid}").exists()], "the writer outlived its crawl"
    killed = last_run(db_url)
    assert killed.status == "failed" and "SIGKILL" in (killed.reason or "")
    partial = stored_articles(db_url)
    assert 0 < len(partial) < 60
    site.reset()
    crawl(briefing_env(db_url, tmp_path, site.url))
    final = stored_articles(db_url)
    assert set(final) == {t["news_id"] for t in site.truth()}
    assert revision_count(db_url) == 60  # one revision each: nothing half-written was stored before
    assert all(s.article.title and s.article.body_html for s in final.values())
