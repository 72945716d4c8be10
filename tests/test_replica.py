"""Tests of the korea.kr replica itself: the generated truth, its pages, faults and control API."""

from __future__ import annotations

import html
import http.client
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlsplit

import httpx
import pytest
from parsel import Selector

from tests.replica import fixture as replica_fixtures
from tests.replica.fixture import Replica, ReplicaError
from tests.replica.generator import build_site
from tests.replica.pages import TITLE_SUFFIX, article_page

START = date(2026, 11, 18)
LIST = "/news/policyNewsList.do"
VIEW = "/news/policyNewsView.do"
NEWS_ID = re.compile(r"newsId=(\d+)")

replica_factory = replica_fixtures.replica_factory  # registers the fixture under test


@pytest.fixture(scope="module")
def module_replica() -> Iterator[Replica]:
    with Replica.start(articles=60, start=START, days=5, seed=1) as replica:
        yield replica


@pytest.fixture
def replica(module_replica: Replica) -> Replica:
    module_replica.reset()
    return module_replica


@pytest.fixture
def client(replica: Replica) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=replica.url, timeout=10) as client:
        yield client


def news_id_in(href: str) -> str:
    found = NEWS_ID.search(href)
    assert found, href
    return found.group(1)


def list_ids(page: Selector) -> list[str]:
    return [news_id_in(h) for h in page.css("div.list_type ul li > a::attr(href)").getall()]


def form_fields(page: Selector) -> dict[str, str]:
    return {i.attrib["name"]: i.attrib.get("value", "") for i in page.css("form#mainForm input")}


def pick(replica: Replica, condition: object) -> dict:
    return next(a for a in replica.truth() if condition(a))  # type: ignore[operator]


# --- the generator ------------------------------------------------------------------------------


def test_same_arguments_build_the_same_site_byte_for_byte() -> None:
    first, second = build_site(start=START), build_site(start=START)
    assert first == second
    assert [article_page(first, a, hit=3) for a in first.articles] == \
           [article_page(second, a, hit=3) for a in second.articles]
    assert build_site(start=START, seed=2) != first


def test_news_ids_rise_with_time_and_dates_cover_the_days() -> None:
    site = build_site(articles=60, start=START, days=5)
    ids = [int(a.news_id) for a in site.articles]
    assert ids == sorted(set(ids)) and len(ids) == 60
    assert all(148_900_000 < i < 149_000_000 for i in ids)
    assert {a.day for a in site.articles} == {START + timedelta(days=d) for d in range(5)}
    assert all(a.published_at.utcoffset() == timedelta(hours=9) for a in site.articles)
    assert all(a.canonical_url == f"https://www.korea.kr/news/policyNewsView.do?newsId={a.news_id}"
               for a in site.articles)


def test_every_variation_of_the_spec_is_on_some_article() -> None:
    arts = build_site(start=START).articles
    ld = Counter(a.ld_json for a in arts)
    assert ld["invalid"] == 1 and ld["missing"] >= 2 and ld["ok"] > 40
    for a in arts:
        if a.ld_json != "ok":  # the page shows only the date: truth is midnight, no tags, no author
            assert (a.published_at.hour, a.published_at.minute, a.tags, a.author) == (0, 0, (), None)
        else:
            assert a.tags and a.author
    assert {True, False} == {a.og_suffix for a in arts}
    assert {0, 1, 2} == {len(a.images) for a in arts} == {len(a.subtitles) for a in arts}
    assert any("<table" in a.body_html for a in arts)
    assert any(len(a.attachments) == 3 for a in arts) and any(len(a.attachments) == 2 for a in arts)
    assert Counter(a.license_type for a in arts)[None] == 1
    assert {(4, True), (4, False), (1, True)} <= {(a.license_type, a.license_text_only) for a in arts}
    assert any(a.contact is None for a in arts) and any(a.contact for a in arts)
    assert {"plain", "mobile", "admin", "www2", "jsession"} == {a.link_style for a in arts}
    assert any(a.pinned for a in arts)
    titles = [a.title for a in arts]
    for marker in ("[", '"', ": ", "#", "·", "&", "'"):
        assert any(marker in t for t in titles), marker
    assert len(set(titles)) == len(titles)
    bodies = [" ".join(a.body_paragraphs) for a in arts]
    for word in ("자율제조를", "예산을", "AI", "예산"):
        assert any(word in b for b in bodies), word
    assert all(p.endswith("다.") for a in arts for p in a.body_paragraphs)


def test_articles_between_is_inclusive_and_newest_first() -> None:
    site = build_site(start=START)
    day2 = START + timedelta(days=1)
    found = site.articles_between(day2, day2 + timedelta(days=1))
    assert {a.day for a in found} == {day2, day2 + timedelta(days=1)}
    assert [int(a.news_id) for a in found] == sorted((int(a.news_id) for a in found), reverse=True)
    assert len(found) == 24 and site.articles_between(date(2020, 1, 1), date(2020, 1, 2)) == []


# --- list pages ---------------------------------------------------------------------------------


def test_list_filters_by_date_and_keeps_the_sidebar_apart(replica: Replica, client: httpx.Client) -> None:
    day = START + timedelta(days=2)
    page = Selector(client.get(LIST, params={"startDate": day.isoformat(), "endDate": day.isoformat()}).text)
    expected = {a["news_id"] for a in replica.truth() if a["published_at"].startswith(day.isoformat())}
    assert set(list_ids(page)) <= expected and len(list_ids(page)) == 10
    assert set(page.css("div.list_type span.source > span:first-child::text").getall()) == {f"{day:%Y.%m.%d}"}
    assert page.css(".result strong::text").get() == "13"  # 12 articles + 1 pinned repeat
    sidebar = {news_id_in(h) for h in page.css("aside.as_side a::attr(href)").getall()}
    assert sidebar and not sidebar & expected
    echoed = form_fields(page)
    assert (echoed["startDate"], echoed["endDate"]) == (day.isoformat(), day.isoformat())
    assert echoed["pageIndex"] == "1"


def test_list_paginates_only_by_post_with_the_session_token(replica: Replica, client: httpx.Client) -> None:
    first = Selector(client.get(LIST).text)
    fields = form_fields(first)
    assert {"pageIndex", "repCodeType", "repCode", "startDate", "endDate", "srchType", "srchWord", "period",
            "cateId", "nRepCode", "cardnewsSe", "listToken"} <= set(fields)
    second = Selector(client.post(LIST, data={**fields, "pageIndex": "2"}).text)
    assert second.css("div.paging a.on::text").get() == "2" and form_fields(second)["pageIndex"] == "2"
    assert list_ids(second) and list_ids(second) != list_ids(first)

    without_token = {k: v for k, v in fields.items() if k != "listToken"}
    for attempt in (client.post(LIST, data={**without_token, "pageIndex": "2"}),
                    client.post(LIST, data={**fields, "pageIndex": "2", "listToken": "forged"}),
                    client.get(LIST, params={"pageIndex": "2"})):
        page = Selector(attempt.text)
        assert list_ids(page) == list_ids(first) and page.css("div.paging a.on::text").get() == "1"
    with httpx.Client(base_url=replica.url) as stranger:  # another session: the token is not its own
        page = Selector(stranger.post(LIST, data={**fields, "pageIndex": "2"}).text)
        assert list_ids(page) == list_ids(first)


def test_walking_every_page_finds_each_article_and_some_twice(replica: Replica, client: httpx.Client) -> None:
    page = Selector(client.get(LIST).text)
    last = max(int(n) for n in re.findall(r"pageLink\((\d+)\)", page.css("div.paging").get("")))
    total = int(page.css(".result strong::text").get("").replace(",", ""))
    hrefs = page.css("div.list_type ul li > a::attr(href)").getall()
    for number in range(2, last + 1):
        page = Selector(client.post(LIST, data={**form_fields(page), "pageIndex": str(number)}).text)
        hrefs += page.css("div.list_type ul li > a::attr(href)").getall()
    ids = [news_id_in(h) for h in hrefs]
    assert set(ids) == {a["news_id"] for a in replica.truth()}  # the default 7 days cover the site
    assert len(ids) == total and len(ids) > len(set(ids))
    twice = next(i for i, n in Counter(ids).items() if n == 2)
    assert len({h for h in hrefs if f"newsId={twice}" in h}) == 2  # different tracking parameters
    assert {urlsplit(h).hostname for h in hrefs} == {None, "m.korea.kr", "admin.korea.kr", "www2.korea.kr"}
    assert any(";JSESSIONID_KOREA=" in h for h in hrefs)
    page = Selector(client.post(LIST, data={**form_fields(page), "pageIndex": str(last + 1)}).text)
    assert page.css("div.list_type .no_data")


def test_empty_result_shows_the_no_data_marker(client: httpx.Client) -> None:
    page = Selector(client.get(LIST, params={"startDate": "2020-01-01", "endDate": "2020-01-31"}).text)
    assert page.css("div.list_type p.no_data::text").get() == "검색 결과가 없습니다."
    assert page.css(".result strong::text").get() == "0" and not page.css("div.paging")


# --- article pages ------------------------------------------------------------------------------


def test_article_page_has_the_spec_selectors(replica: Replica, client: httpx.Client) -> None:
    truth = pick(replica, lambda a: a["attachments"] and a["images"] and a["subtitles"] and a["contact"]
                 and a["ld_json"] == "ok" and a["license_type"] == 1)
    response = client.get(VIEW, params={"newsId": truth["news_id"], "pWise": "sub", "pWiseSub": "B4"})
    assert response.headers["content-type"] == "text/html; charset=UTF-8"
    page = Selector(response.text)
    assert page.css("main#main > section#container div.view_title > h1::text").get() == truth["title"]
    assert page.css("div.article_wrap > div.article_head > h2::text").getall() == truth["subtitles"]
    info = page.css("div.article_head div.variety > div.info")
    assert info.css("span::text").get() == truth["published_at"][:10].replace("-", ".")
    ministry = info.css("a.gotosite")
    assert ministry.xpath("text()").get() == truth["ministry"]
    assert ministry.css("i.tooltip::text").get() == "부처별 뉴스 이동"
    assert ministry.attrib["href"] == f"/news/ministryNewsList.do?repCode={truth['rep_code']}"
    body = page.css("div.article_body > div.view_cont")
    texts = [" ".join(p.xpath("string()").get("").split()) for p in body.css("p")]
    assert all(p in texts for p in truth["body_paragraphs"]) and texts[-1] == f"문의 : {truth['contact']}"
    images = body.css("span.imageSpan img")
    assert [("https://www.korea.kr" + i.attrib["src"], i.attrib["alt"]) for i in images] == \
           [tuple(i) for i in truth["images"]]
    assert all(i.attrib["src"].startswith("/newsWeb/resources/attaches/2026.11/") for i in images)

    files = page.css("div.article_head div.filedown > dl")
    assert files.css("dt::text").get() == "첨부파일"
    entries = files.css("dd > p")
    assert [e.css("img[alt='첨부파일']").xpath("following-sibling::text()").get() for e in entries] == \
           [name for name, _url, _extension in truth["attachments"]]
    for entry, (_name, url, _extension) in zip(entries, truth["attachments"], strict=True):
        # Spec §13.2: the name and 내려받기 link the file, 바로보기 the viewer page of the same fileId.
        download = url.removeprefix("https://www.korea.kr")
        viewer = download.replace("/common/download.do?", "/common/docViewer.do?")
        assert {entry.css("span > a::attr(href)").get(), entry.css("a.down::attr(href)").get()} == {download}
        assert entry.css("a.view::attr(href)").get() == viewer
        assert set(entry.css("a::attr(href)").getall()) == {download, viewer}

    footer = page.css("div.article_footer").xpath("string()").get("")
    assert "텍스트에 한하여 공공누리 제1유형(출처표시)의 조건" in footer
    assert "단, 텍스트를 제외한 사진" in footer
    share = page.css("div.view_opt").xpath("string()").get("")
    assert "공유하기" in share and "URL 복사" in share
    assert page.css("#livereContainer")
    assert "실시간 인기뉴스" in page.css("aside.as_side").xpath("string()").get("")
    assert page.css("link[rel=canonical]::attr(href)").get() == truth["canonical_url"]
    ld = json.loads(page.css("script[type='application/ld+json']::text").get(""))
    assert ld["headline"] == truth["title"] and ld["datePublished"] == truth["published_at"]
    assert [t.strip() for t in ld["keyword"].split(",")] == truth["tags"] and ld["author"]["name"]


def test_og_title_is_escaped_twice(replica: Replica, client: httpx.Client) -> None:
    truth = pick(replica, lambda a: "·" in a["title"] and a["og_suffix"])
    raw = client.get(VIEW, params={"newsId": truth["news_id"]}).text
    h1 = re.search(r'<div class="view_title"><h1>(.*?)</h1>', raw)
    assert h1 and "&middot;" in h1.group(1) and "&amp;middot;" in raw
    og = Selector(raw).css("meta[property='og:title']::attr(content)").get("")
    assert html.unescape(og) == truth["title"] + TITLE_SUFFIX
    assert Selector(raw).css("title::text").get() == truth["title"] + TITLE_SUFFIX


@pytest.mark.parametrize("kind", ["missing", "invalid"])
def test_pages_without_usable_ld_json(replica: Replica, client: httpx.Client, kind: str) -> None:
    truth = pick(replica, lambda a: a["ld_json"] == kind)
    scripts = Selector(client.get(VIEW, params={"newsId": truth["news_id"]}).text).css(
        "script[type='application/ld+json']::text").getall()
    if kind == "missing":
        assert scripts == []
    else:
        with pytest.raises(json.JSONDecodeError):
            json.loads(scripts[0])
    assert datetime.fromisoformat(truth["published_at"]).time().isoformat() == "00:00:00"


def test_license_variants_render_as_their_truth(replica: Replica, client: httpx.Client) -> None:
    def footer(condition: object) -> str:
        news_id = pick(replica, condition)["news_id"]
        page = Selector(client.get(VIEW, params={"newsId": news_id}).text)
        return page.css("div.article_footer").xpath("string()").get("")

    assert "공공누리" not in footer(lambda a: a["license_type"] is None)
    fourth = footer(lambda a: a["license_type"] == 4 and not a["license_text_only"])
    assert "공공누리 제4유형" in fourth and "텍스트에 한하여" not in fourth


# --- faults -------------------------------------------------------------------------------------


def test_query_string_faults_work_on_any_path(replica: Replica, client: httpx.Client) -> None:
    assert client.get(LIST, params={"status": "503"}).status_code == 503
    assert client.get("/robots.txt", params={"status": "429"}).status_code == 429
    began = time.monotonic()
    assert client.get("/robots.txt", params={"delay": "0.3"}).status_code == 200
    assert time.monotonic() - began >= 0.3
    connection = http.client.HTTPConnection(urlsplit(replica.url).netloc, timeout=10)
    connection.request("GET", f"{LIST}?truncate=1")
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead) as short:
        response.read()
    assert 0 < len(short.value.partial) < int(response.headers["Content-Length"])
    connection.close()


def test_article_faults_set_through_the_control_api(replica: Replica, client: httpx.Client) -> None:
    news_id = replica.truth()[3]["news_id"]

    def get() -> httpx.Response:
        return client.get(VIEW, params={"newsId": news_id})

    replica.fault(news_id, "status:500")
    assert [get().status_code for _ in range(2)] == [500, 500]
    replica.fault(news_id, "status_once:503")
    assert [get().status_code for _ in range(2)] == [503, 200]
    replica.fault(news_id, "slow:0.3")
    began = time.monotonic()
    assert get().status_code == 200 and time.monotonic() - began >= 0.3
    replica.fault(news_id, "truncate")
    with pytest.raises(httpx.RemoteProtocolError):
        get()
    replica.fault(news_id, "no_title")
    page = Selector(get().text)
    assert not page.css("h1") and not page.css("meta[property='og:title']") and not page.css("title::text")
    assert all("headline" not in s for s in page.css("script[type='application/ld+json']::text").getall())
    replica.fault(news_id, "no_body")
    assert Selector(get().text).css("div.view_cont").xpath("normalize-space()").get() == ""
    replica.fault(news_id, None)
    assert Selector(get().text).css("div.view_title h1")


def test_control_api_rejects_bad_input(replica: Replica) -> None:
    news_id = replica.truth()[0]["news_id"]
    with pytest.raises(ReplicaError, match="unknown fault kind"):
        replica.fault(news_id, "explode")
    with pytest.raises(ReplicaError, match="no article"):
        replica.fault("999999999", "status:500")
    with pytest.raises(ReplicaError, match="mutate takes"):
        replica.mutate(news_id, colour="red")


# --- validators, edits and the request log ------------------------------------------------------


def test_conditional_get_and_a_rotating_sidebar(replica: Replica, client: httpx.Client) -> None:
    news_id = replica.truth()[10]["news_id"]
    first, second = (client.get(VIEW, params={"newsId": news_id}) for _ in range(2))
    assert first.headers["etag"] == second.headers["etag"] and first.headers["etag"].startswith('"')
    assert first.text != second.text
    assert Selector(first.text).css("aside.as_side").get() != Selector(second.text).css("aside.as_side").get()
    assert Selector(first.text).css("div.view_cont").get() == Selector(second.text).css("div.view_cont").get()
    for headers in ({"If-None-Match": first.headers["etag"]},
                    {"If-Modified-Since": first.headers["last-modified"]}):
        again = client.get(VIEW, params={"newsId": news_id}, headers=headers)
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == first.headers["etag"]
    stale = client.get(VIEW, params={"newsId": news_id}, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_mutate_changes_the_page_the_etag_and_the_truth(replica: Replica, client: httpx.Client) -> None:
    news_id = replica.truth()[20]["news_id"]
    before = client.get(VIEW, params={"newsId": news_id})
    changed = replica.mutate(news_id, title="정정된 제목", body_append="<p>추가된 문단입니다.</p>")
    assert changed["title"] == "정정된 제목" and changed["body_paragraphs"][-1] == "추가된 문단입니다."
    assert replica.article(news_id)["title"] == "정정된 제목"
    after = client.get(VIEW, params={"newsId": news_id}, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert after.headers["etag"] == changed["etag"]
    page = Selector(after.text)
    assert page.css("div.view_title h1::text").get() == "정정된 제목"
    assert page.css("div.view_cont p::text").getall()[-1] == "추가된 문단입니다."
    replica.reset()
    assert client.get(VIEW, params={"newsId": news_id}).headers["etag"] == before.headers["etag"]


def test_requests_log_records_every_served_request(replica: Replica, client: httpx.Client) -> None:
    news_id = replica.truth()[0]["news_id"]
    client.get(VIEW, params={"newsId": news_id})
    client.post(LIST, data={"pageIndex": "1"})
    client.get("/nowhere")
    replica.truth()  # control calls are not logged
    log = replica.requests()
    assert [(r["method"], r["path"], r["status"]) for r in log] == \
           [("GET", VIEW, 200), ("POST", LIST, 200), ("GET", "/nowhere", 404)]
    assert log[0]["query"] == f"newsId={news_id}" and log[0]["bytes"] > 1000
    assert log[1]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    replica.clear_requests()
    assert replica.requests() == []


# --- small URLs ---------------------------------------------------------------------------------


def test_session_cookie_path_parameters_and_unknown_ids(replica: Replica, client: httpx.Client) -> None:
    news_id = replica.truth()[4]["news_id"]
    first = client.get(f"{VIEW};JSESSIONID_KOREA=abc!123!456",
                       params={"call_from": "rsslink", "newsId": news_id, "pageIndex": "3"})
    assert first.status_code == 200 and "JSESSIONID" in first.headers["set-cookie"]
    assert "set-cookie" not in client.get("/robots.txt").headers  # the cookie came back
    assert client.get(VIEW, params={"newsId": "148000001"}).status_code == 404
    assert client.get(VIEW).status_code == 404
    assert client.get("/briefing/pressReleaseView.do", params={"newsId": news_id}).status_code == 404


def test_robots_downloads_and_images(replica: Replica, client: httpx.Client) -> None:
    robots = client.get("/robots.txt")
    assert "User-Agent: *\nAllow: /\n" in robots.text
    assert robots.headers["content-type"].startswith("text/plain")
    truth = pick(replica, lambda a: a["attachments"] and a["images"])
    name, url, _extension = truth["attachments"][0]
    download = client.get(url.removeprefix("https://www.korea.kr"))
    assert download.status_code == 200 and download.content
    assert f"filename*=UTF-8''{quote(name)}" in download.headers["content-disposition"]
    assert client.get("/common/download.do", params={"fileId": "1", "tblKey": "GMN"}).status_code == 404
    image = client.get(truth["images"][0][0].removeprefix("https://www.korea.kr"))
    assert image.status_code == 200 and image.content.startswith(b"GIF89a")


# --- the helper ---------------------------------------------------------------------------------


def test_start_reports_stderr_when_the_replica_cannot_start() -> None:
    with pytest.raises(ReplicaError, match="--articles and --days must be at least 1"):
        Replica.start(days=0, timeout=10)


def test_replica_factory_starts_and_stops_replicas(replica_factory) -> None:  # type: ignore[no-untyped-def]
    small = replica_factory(articles=5, start=START, days=1, seed=7)
    assert len(small.truth()) == 5
    assert {a["published_at"][:10] for a in small.truth()} == {START.isoformat()}
