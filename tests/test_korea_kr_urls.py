"""Tests for korea.kr discovery: URL canonicalisation, fetch URLs, list pages and their POST forms."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.sites.korea_kr import (
    SECTIONS,
    ListItem,
    ListPage,
    canonical_url,
    echo_matches,
    fetch_url,
    is_alias_host,
    list_form_data,
    news_id,
    parse_list_page,
    section_of,
)

POLICY = "https://www.korea.kr/news/policyNewsView.do?newsId=148910717"
PRESS = "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156337109"
REPLICA = "http://127.0.0.1:8123"


# --- canonical_url ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (POLICY, POLICY),
        ("https://m.korea.kr/news/policyNewsView.do?newsId=148910717", POLICY),
        ("https://admin.korea.kr/news/policyNewsView.do?newsId=148910717", POLICY),
        ("https://www2.korea.kr/news/policyNewsView.do?newsId=148910717", POLICY),
        ("https://korea.kr/news/policyNewsView.do?newsId=148910717", POLICY),
        ("http://www.korea.kr/news/policyNewsView.do?newsId=148910717", POLICY),
        ("HTTPS://M.KOREA.KR/news/policyNewsView.do?newsId=148910717", POLICY),
        ("https://www.korea.kr.:443/news/policyNewsView.do?newsId=148910717", POLICY),
        ("  https://www.korea.kr/news/policyNewsView.do?newsId=148910717#top  ", POLICY),
        # Tracking and list-context parameters, in any order.
        ("https://www.korea.kr/news/policyNewsView.do?newsId=148910717&call_from=rsslink", POLICY),
        ("https://m.korea.kr/briefing/pressReleaseView.do?call_from=rsslink&newsId=156337109", PRESS),
        ("https://www.korea.kr/news/policyNewsView.do?newsId=148910717&call_from=naver_news", POLICY),
        ("https://m.korea.kr/news/policyNewsView.do?newsId=148910717&pWise=mSub&pWiseSub=C2", POLICY),
        ("https://www.korea.kr/news/policyNewsView.do?pWise=main&pWiseMain=L1&newsId=148910717", POLICY),
        (
            "https://www.korea.kr/news/policyNewsView.do?newsId=148910717&pageIndex=3&srchWord=%EC%98%88%EC%82%B0",
            POLICY,
        ),
        (
            "https://m.korea.kr/briefing/pressReleaseView.do?gubun=pressRelease&newsId=156337109&pageIndex=1&repCode=",
            PRESS,
        ),
        ("https://www.korea.kr/briefing/pressReleaseView.do?repCode=A00005&newsId=156337109", PRESS),
        ("https://www.korea.kr/briefing/pressReleaseView.do?newsId=156337109&amp;pWise=sub", PRESS),
        ("https://www.korea.kr/briefing/pressReleaseView.do?pWise=sub&amp;newsId=156337109", PRESS),
        # Servlet session ids as a path parameter.
        (
            "http://www.korea.kr/news/policyNewsView.do;JSESSIONID_KOREA=NzfxkkuL!341755297!427575544?newsId=148910717",
            POLICY,
        ),
        ("https://www.korea.kr/news/policyNewsView.do;jsessionid=abc?pWise=sub&newsId=148910717", POLICY),
        # The path prefix is kept: /news/ and /briefing/ variants stay distinct URLs.
        (
            "https://admin.korea.kr/news/pressReleaseView.do?newsId=156758855&pWise=mSub&pWiseSub=C8",
            "https://www.korea.kr/news/pressReleaseView.do?newsId=156758855",
        ),
        # admin2. serves the press-release layout without .view_title (spec §13.1): an alias too,
        # as is any other *.korea.kr host serving a view page.
        (
            "https://admin2.korea.kr/briefing/pressReleaseView.do?newsId=156782659",
            "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156782659",
        ),
        (
            "http://admin2.korea.kr/briefing/pressReleaseView.do?pWise=sub&newsId=156782659&pageIndex=2",
            "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156782659",
        ),
        (
            "https://news3.korea.kr/news/policyNewsView.do?newsId=148910717",
            POLICY,
        ),
        (
            "https://m.korea.kr/news/policyBriefingView.do?newsId=156706663&pWise=mSub&pWiseSub=C2",
            "https://www.korea.kr/news/policyBriefingView.do?newsId=156706663",
        ),
        (
            "https://www.korea.kr/briefing/actuallyView.do?newsId=148874193",
            "https://www.korea.kr/briefing/actuallyView.do?newsId=148874193",
        ),
        (
            "https://www.korea.kr/multi/visualNewsView.do?newsId=148962226&pWise=main",
            "https://www.korea.kr/multi/visualNewsView.do?newsId=148962226",
        ),
        (
            "https://www.korea.kr/briefing/pressReleaseView.do?newsId=140069635",
            "https://www.korea.kr/briefing/pressReleaseView.do?newsId=140069635",
        ),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "#pageLink",
        "javascript:pageLink(2)",
        "mailto:press@korea.kr",
        "ftp://www.korea.kr/news/policyNewsView.do?newsId=148910717",
        "https://www.korea.kr/",
        "https://www.korea.kr/news/policyNewsList.do?pageIndex=2",
        "https://www.korea.kr/news/ministryNewsList.do?repCode=A00005",
        "https://www.korea.kr/etc/noticeView.do?newsId=132038885",  # a notice, not an article
        "https://www.korea.kr/archive/expDocView.do?docId=40456",  # docId, not newsId
        "https://gonggam.korea.kr/newsContentView.es?news_id=0a1b2c3d-0000-4000-8000-000000000000",
        "https://gonggam.korea.kr/news/policyNewsView.do?newsId=148910717",  # another CMS
        "https://admin2.korea.kr/common/docViewer.do?fileId=198765001",  # a viewer, not an article
        "https://example.com/news/policyNewsView.do?newsId=148910717",
        "https://notkorea.kr/news/policyNewsView.do?newsId=148910717",
        "https://www.korea.kr/news/policyNewsView.do",
        "https://www.korea.kr/news/policyNewsView.do?newsId=",
        "https://www.korea.kr/news/policyNewsView.do?newsId=abc",
        "https://www.korea.kr/news/policyNewsView.do?newsId=12345",
        "https://www.korea.kr/news/policyNewsView.do?newsid=148910717",  # parameter names are case-sensitive
        "https://www.korea.kr/news/policyNewsView.do?id=148910717",
        "https://www.korea.kr/common/download.do?fileId=198765001&newsId=148910717",
        "/news/policyNewsView.do?newsId=148910717",  # relative without a base
        "http://[::1/news/policyNewsView.do?newsId=148910717",
    ],
)
def test_non_article_urls_have_no_canonical_form(url: str) -> None:
    assert canonical_url(url) is None


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        (
            "/news/policyNewsView.do?newsId=148910717&pageIndex=2",
            "https://www.korea.kr/news/policyNewsList.do",
            POLICY,
        ),
        ("policyNewsView.do?newsId=148910717", "https://m.korea.kr/news/policyNewsList.do", POLICY),
        ("//m.korea.kr/news/policyNewsView.do?newsId=148910717", "https://www.korea.kr/", POLICY),
        # Links on a replica page resolve to korea.kr paths, absolute self-links included.
        ("/news/policyNewsView.do?newsId=148910717", f"{REPLICA}/news/policyNewsList.do", POLICY),
        (f"{REPLICA}/news/policyNewsView.do?newsId=148910717", f"{REPLICA}/news/policyNewsList.do", POLICY),
        ("https://m.korea.kr/news/policyNewsView.do?newsId=148910717", f"{REPLICA}/x", POLICY),
        # ... but never a third host (the same host on another port or scheme is the same site).
        ("https://example.com/news/policyNewsView.do?newsId=148910717", f"{REPLICA}/x", None),
        ("https://127.0.0.1/news/policyNewsView.do?newsId=148910717", f"{REPLICA}/x", POLICY),
        ("/news/policyNewsList.do?pageIndex=2", "https://www.korea.kr/news/policyNewsList.do", None),
    ],
)
def test_canonical_url_resolves_relative_links_against_base(
    url: str, base: str, expected: str | None
) -> None:
    assert canonical_url(url, base=base) == expected


def test_news_id() -> None:
    assert (
        news_id("https://m.korea.kr/briefing/pressReleaseView.do?call_from=rsslink&newsId=156337109")
        == "156337109"
    )
    assert news_id("/news/policyNewsView.do?newsId=148910717", base="https://www.korea.kr/") == "148910717"
    assert news_id("https://www.korea.kr/news/policyNewsList.do") is None


_hosts = st.sampled_from(["www.korea.kr", "m.korea.kr", "korea.kr", "admin.korea.kr", "www2.korea.kr"])
_views = st.sampled_from(
    [
        "/news/policyNewsView.do",
        "/briefing/pressReleaseView.do",
        "/news/policyBriefingView.do",
        "/briefing/actuallyView.do",
    ]
)
_noise = st.lists(
    st.tuples(
        st.sampled_from(["call_from", "pWise", "pWiseSub", "pageIndex", "srchWord", "repCode", "gubun"]),
        st.text("abc123", max_size=5),
    ),
    max_size=4,
)


@given(
    scheme=st.sampled_from(["http", "https"]),
    host=_hosts,
    path=_views,
    session=st.sampled_from(["", ";JSESSIONID_KOREA=xY1!2!3"]),
    ident=st.integers(100_000_000, 999_999_999),
    noise=_noise,
    position=st.integers(0, 4),
)
def test_any_alias_form_canonicalises_to_one_url(
    scheme: str, host: str, path: str, session: str, ident: int, noise: list[tuple[str, str]], position: int
) -> None:
    params = [f"{k}={v}" for k, v in noise]
    params.insert(min(position, len(params)), f"newsId={ident}")
    url = f"{scheme}://{host}{path}{session}?{'&'.join(params)}"
    expected = f"https://www.korea.kr{path}?newsId={ident}"
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected


# --- hosts, fetch URLs and sections -----------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.korea.kr", True),
        ("M.Korea.KR", True),
        ("korea.kr.", True),
        ("admin.korea.kr", True),
        ("www2.korea.kr", True),
        # Any *.korea.kr host serving a view page is an alias (spec §13.1), not a fixed list.
        ("admin2.korea.kr", True),
        ("ADMIN3.korea.kr", True),
        ("gonggam.korea.kr", False),
        ("x..korea.kr", False),
        ("-bad.korea.kr", False),
        ("korea.kr.example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_is_alias_host(host: str | None, expected: bool) -> None:
    assert is_alias_host(host) is expected


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://www.korea.kr", POLICY),
        ("https://www.korea.kr/", POLICY),
        (REPLICA, f"{REPLICA}/news/policyNewsView.do?newsId=148910717"),
        (f"{REPLICA}/", f"{REPLICA}/news/policyNewsView.do?newsId=148910717"),
        (
            "http://localhost:8000/mirror/",
            "http://localhost:8000/mirror/news/policyNewsView.do?newsId=148910717",
        ),
    ],
)
def test_fetch_url(base: str, expected: str) -> None:
    assert fetch_url(POLICY, base) == expected


def test_fetch_url_canonicalises_its_input_first() -> None:
    url = "https://m.korea.kr/news/policyNewsView.do?pWise=mSub&newsId=148910717"
    assert fetch_url(url, REPLICA) == f"{REPLICA}/news/policyNewsView.do?newsId=148910717"


@pytest.mark.parametrize(
    ("url", "base"), [("https://www.korea.kr/news/policyNewsList.do", REPLICA), (POLICY, "127.0.0.1:8123")]
)
def test_fetch_url_refuses_what_it_cannot_map(url: str, base: str) -> None:
    with pytest.raises(ValueError):
        fetch_url(url, base)


def test_sections() -> None:
    assert {key: (s.list_path, s.view_path) for key, s in SECTIONS.items() if key != "cabinet"} == {
        "policy": ("/news/policyNewsList.do", "/news/policyNewsView.do"),
        "press": ("/briefing/pressReleaseList.do", "/briefing/pressReleaseView.do"),
        "briefing": ("/briefing/policyBriefingList.do", "/briefing/policyBriefingView.do"),
        "fact": ("/briefing/actuallyList.do", "/briefing/actuallyView.do"),
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (POLICY, "policy"),
        (PRESS, "press"),
        ("https://m.korea.kr/news/pressReleaseView.do?newsId=156758855", "press"),
        ("https://www.korea.kr/news/policyBriefingView.do?newsId=156706663", "briefing"),
        ("https://www.korea.kr/news/actuallyView.do?newsId=148861424", "fact"),
        ("https://www.korea.kr/briefing/stateCouncilView.do?newsId=156770101", "cabinet"),
        ("https://www.korea.kr/multi/visualNewsView.do?newsId=148962226", None),
        ("https://www.korea.kr/news/policyNewsList.do", None),
    ],
)
def test_section_of(url: str, expected: str | None) -> None:
    assert section_of(url) == expected


# --- list pages -------------------------------------------------------------------------------
LIST_URL = "https://www.korea.kr/briefing/pressReleaseList.do"


def list_page(items: str, *, form: str = "", paging: str = "", extra: str = "") -> str:
    return (
        f"<html><body><form id='mainForm' action='/briefing/pressReleaseList.do' method='post'>{form}"
        f"<div class='list_type'><ul>{items}</ul></div><div class='paging'>{paging}</div></form>"
        f"{extra}</body></html>"
    )


def item(href: str, title: str = "제목", source: str = "<span>2026.05.12</span><span>국방부</span>") -> str:
    return (
        f"<li><a href='{href}'><strong>{title}</strong><span class='lead'>미리보기</span>"
        f"<span class='source'>{source}</span></a></li>"
    )


def test_list_links_only_inside_list_type_and_deduplicated() -> None:
    html = list_page(
        item("/briefing/pressReleaseView.do?newsId=156700001&pageIndex=1")
        + item("https://m.korea.kr/briefing/pressReleaseView.do?call_from=rsslink&newsId=156700001", "중복")
        + item("/briefing/pressReleaseView.do?newsId=156700002"),
        extra="<aside><a href='/briefing/pressReleaseView.do?newsId=156799999'>인기</a></aside>",
    )
    page = parse_list_page(html, LIST_URL)
    assert [(i.news_id, i.title) for i in page.items] == [("156700001", "제목"), ("156700002", "제목")]
    assert page.items[0] == ListItem(
        "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156700001",
        "156700001",
        "제목",
        date(2026, 5, 12),
        "국방부",
        "미리보기",
        lines=("미리보기",),
    )


def test_list_item_without_article_link_is_skipped() -> None:
    page = parse_list_page(
        list_page("<li><a href='/briefing/pressReleaseList.do?pageIndex=2'>더보기</a></li>"), LIST_URL
    )
    assert (page.items, page.is_empty) == ((), True)


def test_list_item_date_may_be_missing() -> None:
    html = list_page(
        item("/briefing/pressReleaseView.do?newsId=156700001", source="<span>미정</span><span>국방부</span>")
    )
    assert parse_list_page(html, LIST_URL).items[0].date is None


def test_briefing_table_rows() -> None:
    html = (
        "<html><body><div class='list_type'><table><tbody><tr><td>국무조정실</td>"
        "<td><a href='/briefing/policyBriefingView.do?newsId=156770001'><strong>정례 브리핑</strong></a></td>"
        "<td>2026.05.21</td><td>국무조정실장</td></tr></tbody></table></div></body></html>"
    )
    (row,) = parse_list_page(html, LIST_URL).items
    assert (row.title, row.date, row.ministry) == ("정례 브리핑", date(2026, 5, 21), "국무조정실")


def test_form_fields_are_what_a_browser_would_post() -> None:
    form = (
        "<input type='hidden' name='pageIndex' value='1'><input type='hidden' name='cateId'>"
        "<input name='srchWord' value='예산'><input type='checkbox' name='on' value='y' checked>"
        "<input type='checkbox' name='off' value='n'><input type='radio' name='r' value='a'>"
        "<input type='radio' name='r' value='b' checked><input type='submit' name='go' value='검색'>"
        "<select name='srchType'><option value='all'>전체</option>"
        "<option value='title' selected>제목</option></select>"
        "<select name='period'><option>전체</option></select><textarea name='memo'>메모</textarea>"
        "<input value='이름 없음'>"
    )
    assert parse_list_page(list_page("", form=form), LIST_URL).form_fields == {
        "pageIndex": "1",
        "cateId": "",
        "srchWord": "예산",
        "on": "y",
        "r": "b",
        "srchType": "title",
        "period": "전체",
        "memo": "메모",
    }


def test_form_action_is_absolute_on_the_fetching_host() -> None:
    page = parse_list_page(list_page(""), f"{REPLICA}/briefing/pressReleaseList.do")
    assert page.form_action == f"{REPLICA}/briefing/pressReleaseList.do"
    assert parse_list_page("<html><body></body></html>", LIST_URL).form_action is None


@pytest.mark.parametrize(
    ("paging", "current", "last"),
    [
        (
            "<a onclick='pageLink(1)'>1</a><a class='on' onclick='pageLink(2)'>2</a>"
            "<a onclick='pageLink(9)'>끝</a>",
            2,
            9,
        ),
        ("<span class='num on'>4</span><a href='#pageLink' onclick='pageLink(5); return false;'>5</a>", 4, 5),
        ("<strong class='on'>7</strong>", 7, 7),
        ("<a class='on' href='#'><span class='hide'>현재 페이지</span> 3</a>", 3, 3),
        ("", None, None),
    ],
)
def test_pagination(paging: str, current: int | None, last: int | None) -> None:
    page = parse_list_page(list_page("", paging=paging), LIST_URL)
    assert (page.current_page, page.last_page) == (current, last)


@pytest.mark.parametrize(
    ("result", "total"),
    [
        ("<div class='result'>총 <strong>1,273</strong>건</div>", 1273),
        ("<div class='result'>총 1327건</div>", 1327),
        ("", None),
    ],
)
def test_total(result: str, total: int | None) -> None:
    assert parse_list_page(list_page("", extra=result), LIST_URL).total == total


def test_no_data_in_the_list_means_empty_even_with_stray_items() -> None:
    html = list_page("<li class='no_data'>검색 결과가 없습니다.</li>")
    assert parse_list_page(html, LIST_URL).is_empty is True


def test_no_data_outside_the_list_is_a_widget() -> None:
    html = list_page(
        item("/briefing/pressReleaseView.do?newsId=156700001"), extra="<div class='no_data'>영상 없음</div>"
    )
    assert parse_list_page(html, LIST_URL).is_empty is False


def test_garbage_list_page() -> None:
    assert parse_list_page("", LIST_URL) == ListPage((), {}, None, None, None, None, True)


# --- POST body and echo check ---------------------------------------------------------------
FIRST = ListPage(
    items=(),
    form_fields={"pageIndex": "1", "repCode": "A00005", "startDate": "", "endDate": "", "cateId": "7"},
    form_action="https://www.korea.kr/briefing/pressReleaseList.do",
    current_page=1,
    last_page=3,
    total=25,
    is_empty=False,
)


def test_list_form_data_keeps_every_field_and_sets_page_and_dates() -> None:
    data = list_form_data(FIRST, page_index=3, since=date(2026, 5, 1), until=date(2026, 5, 7))
    assert data == {
        "pageIndex": "3",
        "repCode": "A00005",
        "startDate": "2026-05-01",
        "endDate": "2026-05-07",
        "cateId": "7",
    }
    assert FIRST.form_fields["pageIndex"] == "1"  # the first page stays untouched


def test_list_form_data_extra_fields() -> None:
    data = list_form_data(
        FIRST, page_index=1, since=date(2026, 5, 1), until=date(2026, 5, 1), extra={"repCode": "B00003"}
    )
    assert data["repCode"] == "B00003"


def answered(page_index: str, start: str, end: str, current: int | None) -> ListPage:
    fields = {"pageIndex": page_index, "startDate": start, "endDate": end, "repCode": "A00005"}
    return ListPage((), fields, None, current, None, None, False)


def asked_page_two(page: ListPage, extra: dict[str, str] | None = None) -> bool:
    return echo_matches(page, page_index=2, since=date(2026, 5, 1), until=date(2026, 5, 7), extra=extra)


@pytest.mark.parametrize(
    ("page", "ok"),
    [
        (answered("2", "2026-05-01", "2026-05-07", 2), True),
        (answered("2", "2026.05.01", "2026.05.07", None), True),  # separators may differ
        (answered("1", "2026-05-01", "2026-05-07", 1), False),  # the server fell back to page 1
        (answered("2", "2026-05-01", "2026-05-07", 1), False),  # hidden field and pager disagree
        (answered("2", "", "", 2), False),  # the date filter was dropped
        (answered("2", "2026-04-01", "2026-05-07", 2), False),
        (ListPage((), {}, None, None, None, None, True), True),  # nothing echoed: nothing to contradict
    ],
)
def test_echo_matches(page: ListPage, ok: bool) -> None:
    assert asked_page_two(page) is ok


def test_echo_matches_empty_page_index_is_page_one() -> None:
    page = answered("", "2026-05-01", "2026-05-07", None)
    assert echo_matches(page, page_index=1, since=date(2026, 5, 1), until=date(2026, 5, 7))
    assert not echo_matches(page, page_index=2, since=date(2026, 5, 1), until=date(2026, 5, 7))


def test_echo_matches_extra_filters() -> None:
    page = answered("2", "2026-05-01", "2026-05-07", 2)
    assert asked_page_two(page, {"repCode": "A00005"})
    assert not asked_page_two(page, {"repCode": "B00003"})
