"""The pure RSS/Atom parser: identities, titles, bodies, times, licences, teasers, extraction."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from crawler.sites.feed import (
    clean_body,
    entry_article,
    extract_body,
    parse_feed,
    parse_time,
    plain_title,
)
from domain.article import KST
from tests.standins import feeds

FETCHED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:9"


def parse(text: str, url: str = f"{BASE}/feed.xml"):  # type: ignore[no-untyped-def]
    return parse_feed(text.encode("utf-8"), url=url, fetched_at=FETCHED)


def rss(items: str) -> str:
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>"


def test_korea_kr_style_rss() -> None:
    feed = parse(feeds.korea_rss(3), "https://www.korea.kr/rss/pressrelease.xml")
    assert feed.is_feed and feed.title == "정책브리핑 보도자료"
    # Four items, one of them the first again with other tracking parameters: three entries.
    assert [e.external_id for e in feed.entries] == [
        f"https://www.korea.kr/briefing/pressReleaseView.do?newsId={feeds.news_id(n)}" for n in range(3)
    ]
    first, second = feed.entries[0], feed.entries[1]
    assert first.url == first.external_id  # call_from=rsslink is gone
    assert first.title == feeds.korea_title(0) == '자율제조·AI "전략" 0호'
    assert (first.ministry, second.ministry) == ("국토교통부", "외교부")
    assert first.full and second.full
    assert "btn_textview" not in first.body_html and "자료제공" not in first.body_html
    assert "icon_logo" not in first.body_html and not first.body_html.startswith("<br")
    assert feeds.paragraphs(0)[4] in first.body_html
    # 01:00 GMT and 10:00 +0900 are the same instants: 10:00 and 11:00 KST.
    assert first.published_at == datetime(2026, 6, 15, 10, 0, tzinfo=KST)
    assert second.published_at == datetime(2026, 6, 15, 11, 0, tzinfo=KST)
    assert first.published_at.utcoffset() == KST.utcoffset(first.published_at)
    assert first.license_type is None and first.author == "국토교통부"


def test_atom_with_full_content_and_a_kogl_statement() -> None:
    feed = parse(feeds.atom_feed(2), f"{BASE}/atom.xml")
    first = feed.entries[0]
    assert first.external_id == "urn:briefing:atom:0"
    assert first.url == f"{BASE}/atom/0.html"  # relative link resolved against the feed
    assert first.title == "Atom & 기사 0"
    assert first.full and feeds.paragraphs(0, 3)[2] in first.body_html and "요약" not in first.body_html
    assert (first.license_type, first.license_text_only) == (1, True)
    assert first.tags == ("정책",) and first.author == "기자 0"
    assert first.published_at == datetime(2026, 6, 15, 10, 0, tzinfo=KST)


def test_summary_only_entries_ask_for_the_page() -> None:
    feed = parse(feeds.summary_rss(2, BASE))
    first = feed.entries[0]
    assert first.external_id == "summary-0"  # a guid that is not a link is kept as it is
    assert first.url == f"{BASE}/articles/0.html"
    assert not first.full and first.body_html.endswith("…")


@pytest.mark.parametrize(
    ("description", "full"),
    [
        ("짧은 소개", False),
        ("긴 본문입니다. " * 60, True),
        ("긴 본문이지만 잘렸습니다 " * 60 + "…", False),
        ("", False),
    ],
)
def test_rss_description_full_or_teaser(description: str, full: bool) -> None:
    (entry,) = parse(rss(f"<item><title>x</title><link>{BASE}/a</link><description>{description}"
                         "</description></item>")).entries
    assert entry.full is full


def test_atom_summary_is_never_the_full_text() -> None:
    long = "긴 요약입니다. " * 80
    atom = (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>a</title><id>a</id><entry><id>e1</id>'
            f'<title>t</title><link href="{BASE}/e1"/><updated>2026-01-01T00:00:00Z</updated>'
            f"<summary>{long}</summary></entry></feed>")
    (entry,) = parse(atom).entries
    assert not entry.full


def test_identity_prefers_the_guid_and_falls_back_to_the_link() -> None:
    items = (
        f"<item><title>a</title><link>{BASE}/a#top</link></item>"
        f"<item><title>b</title><link>{BASE}/b</link><guid>{BASE}/b?x=1</guid></item>"
        f"<item><title>c</title><link>{BASE}/c</link><guid isPermaLink='false'>id-c</guid></item>"
        f"<item><title>dup</title><link>{BASE}/other</link><guid isPermaLink='false'>id-c</guid></item>"
        "<item><title>no link</title><description>nothing to link to</description></item>"
        f"<item><title>long</title><link>{BASE}/{'x' * 120}</link></item>"
    )
    feed = parse(rss(items))
    ids = [e.external_id for e in feed.entries]
    assert ids[:3] == [f"{BASE}/a", f"{BASE}/b?x=1", "id-c"]
    assert ids[3].startswith("sha1:") and len(ids[3]) <= 100
    assert [e.title for e in feed.entries][2] == "c"  # a duplicate guid keeps the first entry
    assert feed.skipped == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 15 Jun 2026 01:00:00 GMT", datetime(2026, 6, 15, 10, 0, tzinfo=KST)),
        ("Mon, 15 Jun 2026 10:00:00 +0900", datetime(2026, 6, 15, 10, 0, tzinfo=KST)),
        ("2026-06-15T10:00:00+09:00", datetime(2026, 6, 15, 10, 0, tzinfo=KST)),
        ("2026-06-15T01:00:00Z", datetime(2026, 6, 15, 10, 0, tzinfo=KST)),
        # No zone at all: korea.kr writes Korean time, so a zoneless time is KST, not UTC.
        ("2026-06-15T10:00:00", datetime(2026, 6, 15, 10, 0, tzinfo=KST)),
        ("Mon, 15 Jun 2026 10:00:00 -0000", datetime(2026, 6, 15, 10, 0, tzinfo=KST)),
    ],
)
def test_times_are_aware_and_korean(raw: str, expected: datetime) -> None:
    parsed = parse_time(raw)
    assert parsed == expected and parsed is not None and parsed.tzinfo is KST


def test_the_utc_tuple_is_only_a_fallback_and_read_as_utc() -> None:
    assert parse_time("not a date", time.gmtime(0)) == datetime(1970, 1, 1, 9, 0, tzinfo=KST)
    assert parse_time(None) is None


def test_an_entry_without_any_date_gets_the_fetch_time() -> None:
    (entry,) = parse(rss(f"<item><title>t</title><link>{BASE}/a</link></item>")).entries
    assert entry.published_at == FETCHED.astimezone(KST)


@pytest.mark.parametrize(
    ("raw", "detail", "expected"),
    [
        ("자율제조&amp;middot;AI &amp;quot;전략&amp;quot;", None, '자율제조·AI "전략"'),
        ("<b>굵은</b>  제목 &amp;amp; 끝", {"type": "text/html"}, "굵은 제목 & 끝"),
        ("Plain & simple", {"type": "text/plain"}, "Plain & simple"),
    ],
)
def test_titles(raw: str, detail: dict[str, str] | None, expected: str) -> None:
    assert plain_title(raw, detail) == expected


@pytest.mark.parametrize(
    ("text", "kind", "text_only"),
    [
        ("공공누리 제1유형(출처표시)", 1, False),
        ("이 자료는 텍스트에 한하여 공공누리 제 3 유형", 3, True),
        ("Licensed under KOGL Type 4", 4, False),
        ("Creative Commons BY 4.0", None, False),
    ],
)
def test_licence_only_when_the_feed_states_a_kogl_type(text: str, kind: int | None, text_only: bool) -> None:
    feed = rss(f"<copyright>{text}</copyright><item><title>t</title><link>{BASE}/a</link></item>")
    (entry,) = parse(feed).entries
    assert (entry.license_type, entry.license_text_only) == (kind, text_only)


def test_not_a_feed() -> None:
    feed = parse("<!doctype html><html><body><p>home</p></body></html>")
    assert not feed.is_feed and feed.problem and "not an RSS or Atom feed" in feed.problem


def test_clean_body_keeps_the_article_only() -> None:
    body = clean_body(
        "<a href='x'><img src='https://www.korea.kr/newsWeb/resources/rss/btn_textview.gif' /></a>"
        "<br /><br /><p>본문</p><br />[자료제공 :<a href='https://www.korea.kr'><img "
        "src='https://www.korea.kr/newsWeb/resources/rss/icon_logo.gif' /></a>]<br />"
    )
    assert body == "<p>본문</p>"


def test_extract_body_from_an_article_page() -> None:
    body = extract_body(feeds.article_page(3), url=f"{BASE}/articles/3.html", title="요약 기사 3")
    assert all(p in body for p in feeds.paragraphs(3))
    assert "사이드바" not in body and "홈" not in body and "<h1>" not in body
    assert extract_body("<html><body></body></html>", url=f"{BASE}/x") == ""


def test_entry_article() -> None:
    entry = parse(feeds.summary_rss(1, BASE)).entries[0]
    article = entry_article(entry, source="feed:teasers", body_html="<p>full</p>", body_source="extracted")
    assert (article.source, article.external_id, article.section) == ("feed:teasers", "summary-0", "feed")
    assert (article.body_html, article.body_source) == ("<p>full</p>", "extracted")
    assert article.license_type is None
    assert entry_article(entry, source="feed:teasers").body_html == entry.body_html
