"""Table tests for the data.go.kr Open API parser: windows, request URLs, items, the error envelope."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.sites.korea_kr_api import (
    ApiError,
    ApiPage,
    encode_key,
    parse_api_datetime,
    parse_response,
    request_url,
    windows,
)
from domain.article import KST, Attachment

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def envelope(items: str, *, total: int | str = 1, code: str = "0", wrapped: bool = True) -> str:
    listing = f"<items>{items}</items>" if wrapped else items
    return (
        f"{HEAD}<response><header><resultCode>{code}</resultCode><resultMsg>NORMAL_SERVICE</resultMsg></header>"
        f"<body>{listing}<numOfRows>10</numOfRows><pageNo>1</pageNo><totalCount>{total}</totalCount></body>"
        "</response>"
    )


def item(**fields: str) -> str:
    base = {
        "NewsItemId": "156780001",
        "ApproveDate": "11/19/2026 14:05:09",
        "Title": "<![CDATA[청년 주거 지원 방안 마련&amp;middot;시행]]>",
        "SubTitle1": "<![CDATA[  대상 확대  ]]>",
        "SubTitle2": "",
        "SubTitle3": "<![CDATA[현장 의견 반영]]>",
        "ContentsType": "H",
        "DataContents": (
            "<![CDATA[<p>국토교통부는 19일 방안을 발표했다.</p>"
            "<p>문의 : 국토교통부 주택기금과(044-201-3337)</p>]]>"
        ),
        "MinisterCode": "국토교통부",
        "OriginalUrl": "<![CDATA[http://m.korea.kr/briefing/pressReleaseView.do?call_from=openapi&newsId=156780001]]>",
        "KoglType": "1",
        "EmbargoDate": "",
    }
    base.update(fields)
    return "<NewsItem>" + "".join(f"<{k}>{v}</{k}>" for k, v in base.items() if v is not None) + "</NewsItem>"


# --- windows and URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("2026-11-20", "2026-11-20", [("2026-11-20", "2026-11-20")]),
        ("2026-11-18", "2026-11-20", [("2026-11-18", "2026-11-20")]),
        ("2026-11-18", "2026-11-21", [("2026-11-18", "2026-11-20"), ("2026-11-21", "2026-11-21")]),
        (
            "2026-12-30",
            "2027-01-05",
            [("2026-12-30", "2027-01-01"), ("2027-01-02", "2027-01-04"), ("2027-01-05", "2027-01-05")],
        ),
    ],
)
def test_windows_cut_a_range_into_three_day_pieces(
    since: str, until: str, expected: list[tuple[str, str]]
) -> None:
    got = windows(date.fromisoformat(since), date.fromisoformat(until))
    assert [(a.isoformat(), b.isoformat()) for a, b in got] == expected


def test_windows_refuse_a_reversed_range() -> None:
    with pytest.raises(ValueError, match="after"):
        windows(date(2026, 11, 21), date(2026, 11, 20))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)), st.integers(0, 60))
def test_windows_cover_every_day_once_and_never_exceed_three_days(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    got = windows(start, end)
    days = [a + timedelta(days=n) for a, b in got for n in range((b - a).days + 1)]
    assert days == [start + timedelta(days=n) for n in range(length + 1)]
    assert all(0 <= (b - a).days <= 2 for a, b in got)


def test_request_url_names_endpoint_dates_page_and_encodes_a_raw_key() -> None:
    url = request_url(
        "https://apis.data.go.kr/1371000/",
        "press",
        start=date(2026, 11, 18),
        end=date(2026, 11, 20),
        key="ab+c/d==",
        page=2,
        rows=50,
    )
    assert url == (
        "https://apis.data.go.kr/1371000/pressReleaseService/pressReleaseList?serviceKey=ab%2Bc%2Fd%3D%3D"
        "&startDate=20261118&endDate=20261120&pageNo=2&numOfRows=50"
    )
    policy = request_url("http://x/1371000", "policy", start=date(2026, 1, 2), end=date(2026, 1, 2), key="k")
    assert policy.startswith("http://x/1371000/policyNewsService2/policyNewsList2?")


@pytest.mark.parametrize(
    ("key", "sent"),
    [
        ("ab+c/d==", "ab%2Bc%2Fd%3D%3D"),
        ("ab%2Bc%2Fd%3D%3D", "ab%2Bc%2Fd%3D%3D"),
        ("plainKEY123", "plainKEY123"),
    ],
)
def test_a_key_already_in_its_encoding_form_is_not_encoded_twice(key: str, sent: str) -> None:
    assert encode_key(key) == sent


def test_request_url_refuses_an_unknown_section() -> None:
    with pytest.raises(ValueError, match="unknown API section 'fact'"):
        request_url("http://x", "fact", start=date(2026, 1, 1), end=date(2026, 1, 1), key="k")


# --- items --------------------------------------------------------------------------------------


def test_an_item_becomes_a_korea_kr_article_with_every_field() -> None:
    files = (
        "<FileName>붙임1. 보도자료.hwpx</FileName>"
        "<FileUrl>/common/download.do?fileId=1&amp;tblKey=GMN</FileUrl>"
        "<FileName>붙임2. 참고자료(조간).pdf</FileName>"
        "<FileUrl><![CDATA[https://www.korea.kr/common/download.do?fileId=2&tblKey=GMN]]></FileUrl>"
    )
    xml = envelope(
        item(EmbargoDate="11/20/2026 06:00:00", GroupingCode="press").replace(
            "</NewsItem>", files + "</NewsItem>"
        )
    )
    page = parse_response(xml, section="press")
    assert (page.total, page.page, page.rows, page.skipped) == (1, 1, 10, ())
    (a,) = page.items
    assert (a.source, a.external_id, a.section, a.body_source) == ("korea_kr", "156780001", "press", "api")
    assert a.url == "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156780001"
    assert a.title == "청년 주거 지원 방안 마련·시행"  # entities decoded twice, as korea.kr escapes them
    assert a.subtitles == ("대상 확대", "현장 의견 반영")
    assert a.published_at == datetime(2026, 11, 19, 14, 5, 9, tzinfo=KST)
    assert a.published_at.utcoffset() == timedelta(hours=9)
    assert a.embargo_until == datetime(2026, 11, 20, 6, 0, tzinfo=KST)
    assert a.ministry == "국토교통부"
    assert (a.license_type, a.license_text_only, a.license) == (1, True, "KOGL-1")
    # The closing contact line is split off, as the page parser does: a post prints it once.
    assert a.body_html == "<p>국토교통부는 19일 방안을 발표했다.</p>"
    assert a.contact == "국토교통부 주택기금과(044-201-3337)"
    assert a.attachments == (
        Attachment(
            "붙임1. 보도자료.hwpx", "https://www.korea.kr/common/download.do?fileId=1&tblKey=GMN", "hwpx"
        ),
        Attachment(
            "붙임2. 참고자료(조간).pdf", "https://www.korea.kr/common/download.do?fileId=2&tblKey=GMN", "pdf"
        ),
    )
    assert (a.rep_code, a.tags, a.images) == (None, (), ())  # only the page has these


def test_items_straight_under_body_without_a_header_are_read_too() -> None:
    xml = f"{HEAD}<response><body>{item()}{item(NewsItemId='156780002')}</body></response>"
    page = parse_response(xml, section="press")
    assert [a.external_id for a in page.items] == ["156780001", "156780002"]
    assert page.total is None and page.last_page(10) is None


def test_tag_names_are_read_case_insensitively() -> None:
    xml = envelope(
        item()
        .replace("NewsItemId", "newsItemID")
        .replace("<Title>", "<TITLE>")
        .replace("</Title>", "</TITLE>")
    )
    (a,) = parse_response(xml, section="press").items
    assert (a.external_id, a.title) == ("156780001", "청년 주거 지원 방안 마련·시행")


@pytest.mark.parametrize(
    ("kind", "contents", "expected"),
    [
        (
            "T",
            "<![CDATA[첫 줄 <b>굵게</b> & 기호\n\n  둘째   줄  ]]>",
            "<p>첫 줄 &lt;b&gt;굵게&lt;/b&gt; &amp; 기호</p>\n<p>둘째 줄</p>",
        ),
        ("H", "<![CDATA[<div><p>본문</p></div>]]>", "<div><p>본문</p></div>"),
        ("H", "&lt;p&gt;두 번 이스케이프된 본문&lt;/p&gt;", "<p>두 번 이스케이프된 본문</p>"),
        ("", "<![CDATA[<p>형식 표시 없는 HTML</p>]]>", "<p>형식 표시 없는 HTML</p>"),
        ("", "형식 표시 없는 글", "<p>형식 표시 없는 글</p>"),
    ],
)
def test_bodies_by_contents_type(kind: str, contents: str, expected: str) -> None:
    (a,) = parse_response(envelope(item(ContentsType=kind, DataContents=contents)), section="policy").items
    assert a.body_html == expected


def test_the_id_comes_from_original_url_when_news_item_id_is_missing() -> None:
    xml = envelope(
        item(
            NewsItemId="",
            OriginalUrl="https://www.korea.kr/news/policyNewsView.do?newsId=148900123&amp;pWise=sub",
        )
    )
    (a,) = parse_response(xml, section="policy").items
    assert (a.external_id, a.url) == (
        "148900123",
        "https://www.korea.kr/news/policyNewsView.do?newsId=148900123",
    )


def test_a_url_for_another_id_or_no_url_gives_the_sections_canonical_url() -> None:
    xml = envelope(
        item(OriginalUrl="https://www.korea.kr/news/policyNewsView.do?newsId=999999999")
        + item(NewsItemId="156780002", OriginalUrl=None)  # type: ignore[arg-type]
    )
    a, b = parse_response(xml, section="press").items
    assert a.url == "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156780001"
    assert b.url == "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156780002"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"NewsItemId": "", "OriginalUrl": ""}, "no NewsItemId and no korea.kr OriginalUrl"),
        ({"Title": ""}, "no Title"),
        ({"ApproveDate": "언젠가"}, "no usable ApproveDate ('언젠가')"),
        ({"DataContents": "  "}, "no DataContents (body)"),
    ],
)
def test_an_unusable_item_is_skipped_with_its_reason_and_the_rest_still_parse(
    fields: dict[str, str], reason: str
) -> None:
    xml = envelope(item(**fields) + item(NewsItemId="156780009"), total=2)
    page = parse_response(xml, section="press")
    assert [a.external_id for a in page.items] == ["156780009"]
    (skipped,) = page.skipped
    assert skipped.reason == reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("KOGL1", 1), ("제4유형", 4), ("공공누리 제2유형", 2), ("", None), ("N", None)],
)
def test_kogl_type_values(value: str, expected: int | None) -> None:
    (a,) = parse_response(envelope(item(KoglType=value)), section="press").items
    assert (a.license_type, a.license_text_only) == (expected, expected is not None)


@pytest.mark.parametrize("embargo", ["", "11/19/2026 14:05:09", "11/18/2026 09:00:00", "00/00/0000 00:00:00"])
def test_an_embargo_not_after_publication_is_no_embargo(embargo: str) -> None:
    (a,) = parse_response(envelope(item(EmbargoDate=embargo)), section="press").items
    assert a.embargo_until is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11/19/2026 14:05:09", datetime(2026, 11, 19, 14, 5, 9, tzinfo=KST)),
        ("  11/19/2026   14:05:09 ", datetime(2026, 11, 19, 14, 5, 9, tzinfo=KST)),
        ("2026-11-19 14:05:09", datetime(2026, 11, 19, 14, 5, 9, tzinfo=KST)),
        ("20261119140509", datetime(2026, 11, 19, 14, 5, 9, tzinfo=KST)),
        ("11/19/2026", datetime(2026, 11, 19, tzinfo=KST)),
        ("19/11/2026 14:05:09", None),
        ("", None),
    ],
)
def test_api_datetimes_are_kst(value: str, expected: datetime | None) -> None:
    assert parse_api_datetime(value) == expected


@pytest.mark.parametrize(
    ("total", "rows", "last"), [(0, 100, 1), (1, 100, 1), (100, 100, 1), (101, 100, 2), (250, 100, 3)]
)
def test_last_page_from_total_count(total: int, rows: int, last: int) -> None:
    assert ApiPage(items=(), total=total).last_page(rows) == last


def test_no_data_is_an_empty_page_not_an_error() -> None:
    assert parse_response(result("03", "NODATA_ERROR"), section="policy") == ApiPage(items=())


def test_entities_are_never_expanded_from_outside(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT", encoding="utf-8")
    xml = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>' + envelope(
        item(Title="&x;제목")
    ).removeprefix(HEAD)
    (a,) = parse_response(xml, section="press").items
    assert "SECRET-CONTENT" not in a.title and a.title.endswith("제목")


# --- the error envelope -------------------------------------------------------------------------


def gateway(auth: str, code: str) -> str:
    return (
        "<OpenAPI_ServiceResponse><cmmMsgHeader><errMsg>SERVICE ERROR</errMsg>"
        f"<returnAuthMsg>{auth}</returnAuthMsg><returnReasonCode>{code}</returnReasonCode>"
        "</cmmMsgHeader></OpenAPI_ServiceResponse>"
    )


def result(code: str, message: str) -> str:
    header = f"<header><resultCode>{code}</resultCode><resultMsg>{message}</resultMsg></header>"
    return f"{HEAD}<response>{header}</response>"


@pytest.mark.parametrize(
    ("body", "kind", "fatal", "says"),
    [
        (
            gateway("SERVICE_KEY_IS_NULL", "30"),
            "api_no_key",
            True,
            "no service key: set BRIEFING_DATA_GO_KR_KEY",
        ),
        (
            gateway("SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "30"),
            "api_key_rejected",
            True,
            "key not registered",
        ),
        (gateway("", "31"), "api_key_expired", True, "extend it on data.go.kr"),
        (
            gateway("LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", "22"),
            "api_quota",
            True,
            "quota exceeded",
        ),
        (gateway("UNREGISTERED_IP_ERROR", "32"), "api_ip_rejected", True, "IP address"),
        (gateway("NO_OPENAPI_SERVICE_ERROR", "12"), "api_not_found", True, "BRIEFING_DATA_GO_KR_BASE_URL"),
        (gateway("SOMETHING_NEW", "77"), "api_error", True, "gateway error: SOMETHING_NEW"),
        (result("98", "날짜범위 3일 초과"), "api_window", False, "window over 3 days"),
        (result("97", "날짜형식 오류"), "api_date_format", False, "must be YYYYMMDD"),
        (result("99", "APPLICATION ERROR"), "api_error", False, "try again later"),
        (result("42", "뭔가 잘못됨"), "api_error", False, "data.go.kr error: 뭔가 잘못됨"),
        ("SERVICE_KEY_IS_NULL", "api_no_key", True, "set BRIEFING_DATA_GO_KR_KEY"),
        ("<html><body>점검 중</body></html>", "api_malformed", False, "not an API response"),
        ("<html><body>점검 중", "api_malformed", False, "not an XML response"),
        ("", "api_malformed", False, "not an XML response"),
    ],
)
def test_errors_become_named_api_errors_that_say_what_to_do(
    body: str, kind: str, fatal: bool, says: str
) -> None:
    with pytest.raises(ApiError) as caught:
        parse_response(body, section="policy")
    assert (caught.value.kind, caught.value.fatal) == (kind, fatal)
    assert says in caught.value.message
    assert says in str(caught.value)
