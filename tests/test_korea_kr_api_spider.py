"""The data.go.kr spider as a unit: windows and pages requested, failures named, the key kept secret."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, XmlResponse

from crawler import redact
from crawler.items import FailedPage, ParsedArticle
from crawler.spiders.korea_kr_api import KoreaKrApiSpider

BASE = "http://api.test/1371000"
KEY = "Sp1d3r+Key/Secret=="
ENCODED = "Sp1d3r%2BKey%2FSecret%3D%3D"


@pytest.fixture(autouse=True)
def _forget_secrets() -> Any:
    yield
    redact.uninstall_log_redaction()


def spider(**changes: Any) -> KoreaKrApiSpider:
    kwargs: dict[str, Any] = {
        "section": "press",
        "since": date(2026, 11, 18),
        "until": date(2026, 11, 24),
        "base_url": BASE,
        "service_key": KEY,
        "rows": 2,
    }
    return KoreaKrApiSpider(**(kwargs | changes))


def started(s: KoreaKrApiSpider) -> list[Any]:
    async def collect() -> list[Any]:
        return [x async for x in s.start()]

    return asyncio.run(collect())


def item(news_id: str) -> str:
    return (
        f"<NewsItem><NewsItemId>{news_id}</NewsItemId><Title>제목 {news_id}</Title>"
        "<ApproveDate>11/19/2026 10:00:00</ApproveDate><ContentsType>T</ContentsType>"
        "<DataContents>본문</DataContents><MinisterCode>교육부</MinisterCode></NewsItem>"
    )


def page(*ids: str, total: int | None) -> bytes:
    count = f"<totalCount>{total}</totalCount>" if total is not None else ""
    return (
        "<response><header><resultCode>0</resultCode><resultMsg>NORMAL_SERVICE</resultMsg></header>"
        f"<body><items>{''.join(item(i) for i in ids)}</items>{count}</body></response>"
    ).encode()


def respond(request: Request, body: bytes, status: int = 200) -> XmlResponse:
    return XmlResponse(url=request.url, body=body, status=status, request=request, encoding="utf-8")


def call(s: KoreaKrApiSpider, request: Request, body: bytes, status: int = 200) -> list[Any]:
    return list(s.parse_page(respond(request, body, status), **request.cb_kwargs))


def requests_in(output: list[Any], window_of: Request | None = None) -> list[Request]:
    """The requests in a callback's output, only those for `window_of`'s window if given."""
    found = [x for x in output if isinstance(x, Request)]
    if window_of is not None:
        found = [r for r in found if r.cb_kwargs["start"] == window_of.cb_kwargs["start"]]
    return found


def test_the_first_window_goes_alone_then_the_others_each_of_at_most_three_days() -> None:
    s = spider()
    (first,) = started(s)  # a refused key costs one request, not one per window
    assert first.url == (
        f"{BASE}/pressReleaseService/pressReleaseList?serviceKey={ENCODED}"
        "&startDate=20261118&endDate=20261120&pageNo=1&numOfRows=2"
    )
    # Error envelopes arrive with 4xx/5xx; robots.txt does not govern an API; the URL is never a Referer.
    assert first.meta["handle_httpstatus_all"] and first.meta["dont_obey_robotstxt"]
    assert first.meta["referrer_policy"] == "no-referrer"
    others = requests_in(call(s, first, page(total=0)))
    assert [(r.cb_kwargs["start"].isoformat(), r.cb_kwargs["end"].isoformat()) for r in others] == [
        ("2026-11-21", "2026-11-23"),
        ("2026-11-24", "2026-11-24"),
    ]
    assert requests_in(call(s, others[0], page(total=0))) == []  # asked for once


def test_without_a_key_nothing_is_requested_and_the_failure_says_what_to_set() -> None:
    s = spider(service_key="  ")
    (failure,) = started(s)
    assert isinstance(failure, FailedPage)
    assert (failure.kind, failure.url) == ("api_no_key", f"{BASE}/pressReleaseService/pressReleaseList")
    assert "set BRIEFING_DATA_GO_KR_KEY" in failure.reason


def test_pages_are_walked_until_total_count_and_items_become_articles() -> None:
    s = spider()
    first = started(s)[0]
    out = call(s, first, page("156780001", "156780002", total=5))
    articles = [x.article for x in out if isinstance(x, ParsedArticle)]
    assert [a.external_id for a in articles] == ["156780001", "156780002"]
    assert all(a.source == "korea_kr" and a.body_source == "api" and a.section == "press" for a in articles)
    (following,) = requests_in(out, first)
    assert following.cb_kwargs["page"] == 2 and "&pageNo=2&" in following.url
    third = requests_in(call(s, following, page("156780003", "156780004", total=5)), first)
    assert [r.cb_kwargs["page"] for r in third] == [3]
    assert requests_in(call(s, third[0], page("156780005", total=5)), first) == []


def test_without_total_count_a_full_page_means_maybe_more_and_ids_are_yielded_once() -> None:
    s = spider()
    first = started(s)[0]
    out = call(s, first, page("156780001", "156780002", total=None))
    (following,) = requests_in(out, first)
    again = call(s, following, page("156780002", total=None))
    assert not [x for x in again if isinstance(x, ParsedArticle)]  # already yielded by page 1
    assert requests_in(again, first) == []  # a short page is the last


def test_a_refused_key_records_a_redacted_failure_and_stops_the_whole_crawl() -> None:
    s = spider()
    first = started(s)[0]
    envelope = (
        b"<OpenAPI_ServiceResponse><cmmMsgHeader><errMsg>SERVICE ERROR</errMsg>"
        b"<returnAuthMsg>SERVICE_KEY_IS_NOT_REGISTERED_ERROR</returnAuthMsg>"
        b"<returnReasonCode>30</returnReasonCode></cmmMsgHeader></OpenAPI_ServiceResponse>"
    )
    output = s.parse_page(respond(first, envelope, 401), **first.cb_kwargs)
    failure = next(output)
    assert isinstance(failure, FailedPage) and failure.kind == "api_key_rejected"
    assert "key not registered" in failure.reason
    assert KEY not in failure.url and ENCODED not in failure.url and "serviceKey=[redacted]" in failure.url
    with pytest.raises(CloseSpider) as closed:
        next(output)
    assert closed.value.reason == "api_key_rejected"


def test_a_window_error_is_recorded_and_the_other_windows_go_on() -> None:
    s = spider()
    first = started(s)[0]
    body = b"<response><header><resultCode>98</resultCode><resultMsg>3day</resultMsg></header></response>"
    failure, *others = call(s, first, body)  # no CloseSpider: only this window failed
    assert isinstance(failure, FailedPage) and failure.kind == "api_window"
    assert "window over 3 days" in failure.reason
    assert len(requests_in(others)) == 2  # the other windows are still asked for


@pytest.mark.parametrize(("status", "kind"), [(500, "http_500"), (404, "http_404"), (200, "api_malformed")])
def test_a_body_that_is_not_the_api_is_named_by_its_status(status: int, kind: str) -> None:
    s = spider()
    first = started(s)[0]
    failure, *_ = call(s, first, b"<html><body>Internal Server Error</body></html>", status)
    assert isinstance(failure, FailedPage) and failure.kind == kind
    assert ENCODED not in failure.url


def test_a_skipped_item_is_a_failure_named_by_its_id() -> None:
    s = spider()
    first = started(s)[0]
    body = page("156780001", total=2).replace(
        b"</items>", b"<NewsItem><NewsItemId>156780002</NewsItemId></NewsItem></items>"
    )
    out = call(s, first, body)
    failures = [x for x in out if isinstance(x, FailedPage)]
    assert [(f.kind, f.reason) for f in failures] == [("api_item_invalid", "API item: no Title")]
    assert failures[0].url.endswith("#item=156780002") and ENCODED not in failures[0].url


def test_an_unknown_section_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown API section 'fact'"):
        spider(section="fact")
