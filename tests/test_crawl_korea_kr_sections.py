"""End to end: press releases (each body path), briefings and fact-checks crawled from the replica."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import storage
from storage import Database
from tests.crawl_helpers import briefing, briefing_env, revision_count, stored_articles
from tests.replica.fixture import Replica
from tests.replica.routes import HANG_SECONDS

pytestmark = pytest.mark.slow

SINCE, UNTIL = "2026-11-18", "2026-11-22"
TAGS = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def room() -> Iterator[Replica]:
    with Replica.start(articles=5, press=12, briefings=6, facts=8) as replica:
        yield replica


@pytest.fixture
def site(room: Replica) -> Replica:
    room.reset()
    return room


def crawl(site: Replica, db_url: str, tmp_path: Path, section: str, **env: str) -> str:
    result = briefing(
        "crawl", f"korea_kr:{section}", "--since", SINCE, "--until", UNTIL,
        env=briefing_env(db_url, tmp_path, site.url, **env),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def run_and_errors(db_url: str) -> tuple[storage.CrawlRun, dict[str, storage.CrawlErrorRecord]]:
    db = Database(db_url)
    try:
        with db.session() as session:
            run = storage.list_runs(session=session, limit=1)[0]
            return run, {e.url: e for e in storage.list_errors(session=session, run_id=run.id)}
    finally:
        db.dispose()


def text(body_html: str) -> str:
    return html.unescape(TAGS.sub("\n", body_html))


def assert_body(got: storage.StoredArticle, truth: dict[str, Any]) -> None:
    body = text(got.article.body_html)
    lines = [line for line in body.split("\n") if line.strip()]
    # Every paragraph whole and in order: words split over viewer spans or HWPX runs came back
    # without added spaces, and nothing was dropped or duplicated.
    truth_lines = truth["body_paragraphs"]
    assert [line for line in lines if line in truth_lines] == truth_lines, got.article.external_id
    for noise in ("배포한 자료입니다", "전재하여 제공", "그림입니다", "원본 그림", "- 1 -", "iframe"):
        assert noise not in body, (got.article.external_id, noise)


def requests_to(site: Replica, path: str) -> list[dict[str, Any]]:
    return [r for r in site.requests() if r["path"] == path]


def test_press_releases_take_each_body_path(site: Replica, db_url: str, tmp_path: Path) -> None:
    out = crawl(site, db_url, tmp_path, "press")
    assert "seen 12, new 12, updated 0, unchanged 0, failed 0" in out, out
    truth = {t["news_id"]: t for t in site.section_truth("press")}
    assert {t["body_source"] for t in truth.values()} == {"viewer", "hwpx", "hwp", "pdf", "page"}
    got = stored_articles(db_url)
    assert set(got) == set(truth)
    for news_id, expected in truth.items():
        article = got[news_id].article
        assert article.url == f"https://www.korea.kr/briefing/pressReleaseView.do?newsId={news_id}"
        assert article.section == "press" and article.title == expected["title"]
        # Every stored article records the layout that parsed it (admin2. pages have their own).
        assert article.layout == ("admin2-press-2026" if expected["host"] == "admin2" else "www-2026")
        assert article.body_source == expected["body_source"], news_id
        assert_body(got[news_id], expected)
        assert article.contact == expected["contact"]
        assert (article.ministry, article.rep_code) == (expected["ministry"], expected["rep_code"])
        assert article.published_at == datetime.fromisoformat(expected["published_at"])
        embargo = expected["embargo_until"]
        assert article.embargo_until == (datetime.fromisoformat(embargo) if embargo else None)
        # One attachment per fileId (spec §13.2): the file's URL, its 바로보기 page kept aside.
        assert [(a.name, a.url) for a in article.attachments] == [
            (a[0], a[1]) for a in expected["attachments"]
        ]
        for attachment in article.attachments:
            assert attachment.file_id and attachment.url.startswith(
                "https://www.korea.kr/common/download.do?"
            )
            assert attachment.viewer_url == attachment.url.replace("/download.do?", "/docViewer.do?")
        assert (article.license_type, article.license_text_only) == (
            expected["license_type"],
            expected["license_text_only"],
        )
    # Downloads carried the page's session cookie and the article as Referer (or they hang),
    # and only releases without viewer text needed one: the first channel with text wins.
    downloads = requests_to(site, "/common/download.do")
    assert downloads and all(r["status"] == 200 for r in downloads)
    owner = {a[1].split("fileId=")[1].split("&")[0]: n for n, t in truth.items() for a in t["attachments"]}
    for r in downloads:
        headers = {k.lower(): v for k, v in r["headers"].items()}
        news_id = owner[r["query"].split("fileId=")[1].split("&")[0]]
        assert headers["referer"].endswith(f"/briefing/pressReleaseView.do?newsId={news_id}")
        assert "JSESSIONID=" in headers.get("cookie", "")
        assert truth[news_id]["body_source"] in ("hwpx", "hwp", "pdf")
    viewer_pages = [r for r in site.requests() if r["path"].startswith("/docViewer/result/")]
    assert any(r["status"] == 404 for r in viewer_pages) and any(r["status"] == 200 for r in viewer_pages)
    # Every page links a 바로보기 viewer per file; not one was requested as a document.
    assert requests_to(site, "/common/docViewer.do") == []
    # HWPX > HWP > PDF: the HWP-only release and the HWP + PDF one both took the HWP's text, and
    # the PDF of the latter was never needed.
    hwp_ids = [n for n, t in truth.items() if t["body_source"] == "hwp"]
    assert len(hwp_ids) == 2 and any([a[2] for a in truth[n]["attachments"]] == ["hwp"] for n in hwp_ids)
    fetched = {r["query"].split("fileId=")[1].split("&")[0] for r in downloads}
    for n in hwp_ids:
        files = {a[2]: a[1].split("fileId=")[1].split("&")[0] for a in truth[n]["attachments"]}
        assert files["hwp"] in fetched and files.get("pdf") not in fetched
    # Releases served in the admin2. layout (and linked with that host) are stored under www.
    admin2 = [n for n, t in truth.items() if t["host"] == "admin2"]
    assert admin2 and all(got[n].article.title == truth[n]["title"] for n in admin2)
    assert all(got[n].article.url.startswith("https://www.korea.kr/briefing/") for n in admin2)


def test_admin2_press_release_merges_with_its_www_copy(site: Replica, db_url: str, tmp_path: Path) -> None:
    moved = [t["news_id"] for t in site.section_truth("press") if t["host"] == "admin2"]
    listing = site.url + "/briefing/pressReleaseList.do"
    crawl(site, db_url, tmp_path, "press")
    first = stored_articles(db_url)
    assert {first[n].article.layout for n in moved} == {"admin2-press-2026"}
    for news_id in moved:  # the same releases, now served and linked from www
        site.room_host(news_id, "www")
    assert "admin2.korea.kr" not in httpx.get(listing, timeout=10).text
    out = crawl(site, db_url, tmp_path, "press")
    # Its page changed (another layout, another ETag) but its content did not: no new article, no
    # new revision, one stored article per newsId.
    assert "seen 12, new 0, updated 0, unchanged 12, failed 0" in out, out
    got = stored_articles(db_url)
    assert len(got) == 12 and all(got[n].article == first[n].article for n in moved)
    assert revision_count(db_url) == 12


def test_hwp_bomb_and_corrupt_hwp_fail_cleanly(site: Replica, db_url: str, tmp_path: Path) -> None:
    truth = site.section_truth("press")
    only, paired = (
        next(t for t in truth if [a[2] for a in t["attachments"]] == kinds)
        for kinds in (["hwp"], ["hwp", "pdf"])
    )
    site.document_fault(only["news_id"], hwp="bomb")
    site.document_fault(paired["news_id"], hwp="corrupt")
    out = crawl(site, db_url, tmp_path, "press")
    assert "new 11" in out and "failed 1" in out, out
    got = stored_articles(db_url)
    assert only["news_id"] not in got
    assert got[paired["news_id"]].article.body_source == "pdf"  # the next channel after a corrupt HWP
    assert_body(got[paired["news_id"]], paired)
    _, errors = run_and_errors(db_url)
    assert errors[only["canonical_url"]].kind == "no_body"
    assert "hwp: decompression_bomb" in errors[only["canonical_url"]].reason


def test_bomb_and_corrupt_pdf_fail_cleanly_as_crawl_errors(
    site: Replica, db_url: str, tmp_path: Path
) -> None:
    truth = site.section_truth("press")
    bombed = next(t for t in truth if t["body_source"] == "hwpx")
    placeholder = next(t for t in truth if t["body_source"] == "pdf")
    site.document_fault(bombed["news_id"], viewer="missing", hwpx="bomb", pdf="corrupt")
    site.document_fault(placeholder["news_id"], pdf="corrupt")  # its viewer shows a placeholder
    out = crawl(site, db_url, tmp_path, "press")
    assert "seen 12, new 10, updated 0, unchanged 0, failed 2" in out, out
    got = stored_articles(db_url)
    assert bombed["news_id"] not in got and placeholder["news_id"] not in got  # nothing half-stored
    run, errors = run_and_errors(db_url)
    assert run.status == "succeeded"
    bomb_error = errors[bombed["canonical_url"]]
    assert bomb_error.kind == "no_body"
    assert "viewer: no converted pages (HTTP 404)" in bomb_error.reason
    assert "hwpx: zip_bomb" in bomb_error.reason and "pdf: corrupt_pdf" in bomb_error.reason
    placeholder_error = errors[placeholder["canonical_url"]]
    assert "viewer: placeholder text only" in placeholder_error.reason
    assert "pdf: corrupt_pdf" in placeholder_error.reason
    bomb_file = bombed["attachments"][0][1].split("?")[1]
    bomb_download = next(r for r in requests_to(site, "/common/download.do") if r["query"] == bomb_file)
    assert 0 < bomb_download["bytes"] < 3 * 1024 * 1024  # a tiny file that would expand to 2 GiB


def test_a_hanging_download_meets_its_deadline_and_the_next_channel_is_used(
    site: Replica, db_url: str, tmp_path: Path
) -> None:
    target = next(t for t in site.section_truth("press") if t["body_source"] == "hwpx")
    site.document_fault(target["news_id"], hwpx="hang")
    began = time.monotonic()
    crawl(site, db_url, tmp_path, "press", BRIEFING_CRAWL_TIMEOUT="2")
    # Bounded by the 2 s deadline, not by the replica's hang (which gives up after HANG_SECONDS).
    assert time.monotonic() - began < HANG_SECONDS
    article = stored_articles(db_url)[target["news_id"]].article
    assert article.body_source == "pdf"
    assert_body(stored_articles(db_url)[target["news_id"]], target)
    run, _ = run_and_errors(db_url)
    log = (tmp_path / "logs" / f"run-{run.id}.log").read_text(encoding="utf-8")
    assert f"newsId={target['news_id']}: hwpx channel failed: timeout" in log


def test_briefings_keep_their_speaker(site: Replica, db_url: str, tmp_path: Path) -> None:
    out = crawl(site, db_url, tmp_path, "briefing")
    assert "seen 6, new 6" in out and "failed 0" in out, out
    truth = site.section_truth("briefing")
    # The replica varies what the page states; the list always names ministry and presenter.
    assert {t["page_speaker"] for t in truth} == {True, False}
    assert {t["speaker_in_body"] for t in truth} == {True, False}
    got = stored_articles(db_url)
    for expected in truth:
        article = got[expected["news_id"]].article
        assert article.section == "briefing" and article.body_source == "page"
        assert article.speaker == expected["speaker"]
        assert article.ministry == expected["ministry"]
        assert f"<{expected['speaker']}>" in text(article.body_html)
        assert_body(got[expected["news_id"]], expected)
    lists = requests_to(site, "/briefing/policyBriefingList.do")
    assert [r["method"] for r in lists][:2] == ["GET", "POST"]


def test_fact_checks_come_from_their_list(site: Replica, db_url: str, tmp_path: Path) -> None:
    out = crawl(site, db_url, tmp_path, "fact")
    assert "seen 8, new 8" in out and "failed 0" in out, out
    truth = site.section_truth("fact")
    got = stored_articles(db_url)
    for expected in truth:
        article = got[expected["news_id"]].article
        assert article.body_source == expected["body_source"]  # "list", or "pdf" for a preview row
        assert article.contact == expected["contact"] and article.ministry == expected["ministry"]
        assert_body(got[expected["news_id"]], expected)
    from_list = [t for t in truth if t["body_source"] == "list"]
    assert len(from_list) == 6
    # A full list row needs no attachment: only the preview rows downloaded their PDF.
    assert len(requests_to(site, "/common/download.do")) == len(truth) - len(from_list)
