"""The replica's briefing room itself: its truth, variations, guarded downloads, viewer pages and faults."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from crawler.documents import document_paragraphs
from crawler.sites.korea_kr_press import viewer_paragraphs
from tests.replica.fixture import Replica, ReplicaError
from tests.replica.generator import build_site

START = date(2026, 11, 18)


@pytest.fixture(scope="module")
def module_replica() -> Iterator[Replica]:
    with Replica.start(articles=5, press=12, briefings=6, facts=8) as replica:
        yield replica


@pytest.fixture
def replica(module_replica: Replica) -> Replica:
    module_replica.reset()
    return module_replica


@pytest.fixture
def client(replica: Replica) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=replica.url, timeout=10) as client:
        client.get("/robots.txt")  # a session cookie, as a browser would have
        yield client


def path(url: str) -> str:
    return url.removeprefix("https://www.korea.kr")


def test_the_room_never_changes_policy_news_and_is_deterministic() -> None:
    plain = build_site(articles=20, start=START, days=5)
    roomy = build_site(articles=20, start=START, days=5, press=12, briefings=6, facts=8)
    assert plain.articles == roomy.articles
    assert roomy == build_site(articles=20, start=START, days=5, press=12, briefings=6, facts=8)
    ids = [i.news_id for i in (*roomy.articles, *roomy.press, *roomy.briefings, *roomy.facts)]
    assert len(ids) == len(set(ids))


def test_every_variation_is_on_some_item() -> None:
    site = build_site(articles=1, start=START, days=5, press=12, briefings=6, facts=8)
    assert {p.body_source for p in site.press} == {"viewer", "hwpx", "hwp", "pdf", "page"}
    assert any([a.extension for a in p.attachments] == ["hwp"] for p in site.press)  # HWP only
    assert {p.host for p in site.press} == {"www", "admin2"}
    assert {p.viewer for p in site.press} == {"pages", "missing", "placeholder"}
    assert {p.embargo_until.hour for p in site.press if p.embargo_until} == {6, 12}
    assert any(not p.embargo_until for p in site.press) and any(p.license_type == 4 for p in site.press)
    assert {f.body_source for f in site.facts} == {"list", "pdf"}
    assert {(b.page_speaker, b.page_ministry, b.speaker_in_body) for b in site.briefings} >= {
        (True, True, True), (False, False, True), (True, True, False)
    }  # fmt: skip


def test_downloads_hang_without_the_session_cookie_and_referer(
    replica: Replica, client: httpx.Client
) -> None:
    press = next(p for p in replica.section_truth("press") if p["body_source"] == "hwpx")
    hwpx = path(press["attachments"][0][1])
    with httpx.Client(base_url=replica.url) as bare, pytest.raises(httpx.ReadTimeout):
        bare.get(hwpx, headers={"Referer": press["canonical_url"]}, timeout=1)  # no cookie
    with pytest.raises(httpx.ReadTimeout):
        client.get(hwpx, timeout=1)  # no Referer
    with pytest.raises(httpx.ReadTimeout):  # the Referer of another article
        client.get(
            hwpx, headers={"Referer": replica.url + "/briefing/pressReleaseView.do?newsId=1"}, timeout=1
        )
    ok = client.get(hwpx, headers={"Referer": press["canonical_url"]})
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/hwp+zip"
    expected = [*press["body_paragraphs"], f"문의 : {press['contact']}"]
    assert document_paragraphs("hwpx", ok.content) == expected
    pdf = client.get(path(press["attachments"][1][1]), headers={"Referer": press["canonical_url"]})
    assert document_paragraphs("pdf", pdf.content) == expected


def test_policy_attachments_stay_open(replica: Replica) -> None:
    with_files = next(a for a in replica.truth() if a["attachments"])
    with httpx.Client(base_url=replica.url, timeout=5) as bare:
        assert bare.get(path(with_files["attachments"][0][1])).status_code == 200


def test_viewer_pages_until_a_404(replica: Replica, client: httpx.Client) -> None:
    press = next(p for p in replica.section_truth("press") if p["viewer_pages"] == 3)
    view = client.get("/briefing/pressReleaseView.do", params={"newsId": press["news_id"]})
    assert "iframe" in view.text and press["etag"] == view.headers["etag"]
    files = f"/docViewer/result/{press['published_at'][:7].replace('-', '.')}/{press['published_at'][8:10]}"
    fn = next(part.split("&")[0] for part in view.text.split("fn=")[1:])
    pages = [client.get(f"{files}/{fn}/{fn}.files/{n}.html") for n in (1, 2, 3, 4)]
    assert [p.status_code for p in pages] == [200, 200, 200, 404]
    text = [t for p in pages[:3] for t in viewer_paragraphs(p.text) if not t.startswith("- ")]
    assert text == [*press["body_paragraphs"], f"문의 : {press['contact']}"]
    assert client.get("/docViewer/iframe_skin/doc.html", params={"fn": fn}).status_code == 200
    replica.document_fault(press["news_id"], viewer="placeholder")
    placeholder = client.get(f"{files}/{fn}/{fn}.files/1.html")
    assert any("배포한 자료입니다" in t for t in viewer_paragraphs(placeholder.text))  # split over spans
    assert client.get(f"{files}/{fn}/{fn}.files/2.html").status_code == 404
    replica.document_fault(press["news_id"], viewer="missing")
    assert client.get(f"{files}/{fn}/{fn}.files/1.html").status_code == 404


def test_document_faults_serve_a_bomb_and_a_corrupt_pdf(replica: Replica, client: httpx.Client) -> None:
    press = next(p for p in replica.section_truth("press") if p["body_source"] == "hwpx")
    replica.document_fault(press["news_id"], hwpx="bomb", pdf="corrupt")
    referer = {"Referer": press["canonical_url"]}
    bomb = client.get(path(press["attachments"][0][1]), headers=referer)
    assert bomb.status_code == 200 and len(bomb.content) < 3 * 1024 * 1024 and bomb.content.startswith(b"PK")
    assert client.get(path(press["attachments"][1][1]), headers=referer).content.startswith(b"%PDF-")
    replica.reset()
    client.get("/robots.txt")
    assert len(client.get(path(press["attachments"][0][1]), headers=referer).content) < 10_000


def test_control_api_rejects_bad_document_faults(replica: Replica) -> None:
    press = replica.section_truth("press")[0]["news_id"]
    briefing = replica.section_truth("briefing")[0]["news_id"]
    with pytest.raises(ReplicaError, match="unknown document fault"):
        replica.document_fault(press, hwpx="explode")
    with pytest.raises(ReplicaError, match="no press release or fact-check"):
        replica.document_fault(briefing, pdf="corrupt")
    with pytest.raises(ReplicaError, match="no article"):
        replica.document_fault("156700000", pdf="corrupt")


def test_room_pages_answer_conditional_gets_and_old_paths(replica: Replica, client: httpx.Client) -> None:
    fact = replica.section_truth("fact")[0]
    page = client.get("/briefing/actuallyView.do", params={"newsId": fact["news_id"]})
    again = client.get(
        "/briefing/actuallyView.do",
        params={"newsId": fact["news_id"]},
        headers={"If-None-Match": page.headers["etag"]},
    )
    assert again.status_code == 304
    assert client.get("/news/actuallyView.do", params={"newsId": fact["news_id"]}).status_code == 200
    assert client.get("/briefing/pressReleaseView.do", params={"newsId": fact["news_id"]}).status_code == 404
    changed = replica.mutate(fact["news_id"], title="정정된 제목")
    assert changed["etag"] != fact["etag"]
    assert "정정된 제목" in client.get("/briefing/actuallyView.do", params={"newsId": fact["news_id"]}).text


def test_hwp_downloads_and_their_faults(replica: Replica, client: httpx.Client) -> None:
    press = next(p for p in replica.section_truth("press") if [a[2] for a in p["attachments"]] == ["hwp"])
    assert press["body_source"] == "hwp" and press["viewer"] == "missing"
    referer = {"Referer": press["canonical_url"]}
    ok = client.get(path(press["attachments"][0][1]), headers=referer)
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/x-hwp"
    assert document_paragraphs("hwp", ok.content) == [*press["body_paragraphs"], f"문의 : {press['contact']}"]
    replica.document_fault(press["news_id"], hwp="bomb")
    bomb = client.get(path(press["attachments"][0][1]), headers=referer)
    assert bomb.content.startswith(bytes.fromhex("D0CF11E0A1B11AE1")) and len(bomb.content) < 1024 * 1024


def test_viewer_links_are_html_pages_of_their_own(replica: Replica, client: httpx.Client) -> None:
    press = next(p for p in replica.section_truth("press") if p["host"] == "www" and p["attachments"])
    page = client.get("/briefing/pressReleaseView.do", params={"newsId": press["news_id"]}).text
    file_id = press["attachments"][0][1].split("fileId=")[1].split("&")[0]
    assert f'href="/common/docViewer.do?fileId={file_id}&amp;tblKey=GMN"' in page  # 바로보기
    assert f'href="/common/download.do?fileId={file_id}&amp;tblKey=GMN"' in page  # 내려받기
    viewer = client.get("/common/docViewer.do", params={"fileId": file_id, "tblKey": "GMN"})
    assert viewer.status_code == 200 and viewer.text.startswith("<!DOCTYPE html>")
    assert any(r["path"] == "/common/docViewer.do" for r in replica.requests())  # counted
    assert client.get("/common/docViewer.do", params={"fileId": "1"}).status_code == 404


def test_admin2_press_releases_are_served_in_their_layout_and_linked_so(
    replica: Replica, client: httpx.Client
) -> None:
    press = next(p for p in replica.section_truth("press") if p["host"] == "admin2")
    page = client.get("/briefing/pressReleaseView.do", params={"newsId": press["news_id"]}).text
    assert 'class="view_title"' not in page and 'class="variety"' not in page
    assert f"<h1>{press['title']}</h1>" in page.replace("&quot;", '"')
    listing = client.get("/briefing/pressReleaseList.do").text
    assert f"https://admin2.korea.kr/briefing/pressReleaseView.do?newsId={press['news_id']}" in listing
    moved = replica.room_host(press["news_id"], "www")
    assert moved["host"] == "www" and moved["etag"] != press["etag"]
    assert (
        'class="view_title"'
        in client.get("/briefing/pressReleaseView.do", params={"newsId": press["news_id"]}).text
    )
    with pytest.raises(ReplicaError, match="unknown host"):
        replica.room_host(press["news_id"], "gonggam")


def test_redesign_serves_pages_no_layout_knows(replica: Replica, client: httpx.Client) -> None:
    press = replica.section_truth("press")[0]
    normal = client.get("/briefing/pressReleaseView.do", params={"newsId": press["news_id"]})
    replica.redesign()
    changed = client.get("/briefing/pressReleaseView.do", params={"newsId": press["news_id"]})
    assert 'class="news-detail"' in changed.text and "article_head" not in changed.text
    assert changed.headers["etag"] != normal.headers["etag"]
    policy = replica.truth()[0]["news_id"]
    assert "news-detail" in client.get("/news/policyNewsView.do", params={"newsId": policy}).text
    replica.reset()
    assert "article_head" in client.get("/news/policyNewsView.do", params={"newsId": policy}).text
    replica.fault(policy, "redesign")  # one page only
    assert "news-detail" in client.get("/news/policyNewsView.do", params={"newsId": policy}).text
    assert (
        "article_head"
        in client.get("/briefing/pressReleaseView.do", params={"newsId": press["news_id"]}).text
    )
