"""The korea.kr parser reads an article's fields inside #container, never in the site chrome around it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crawler.sites.html import Document
from crawler.sites.korea_kr import parse_article

FIXTURES = Path(__file__).parent / "fixtures" / "korea_kr"
URL = "https://www.korea.kr/news/policyNewsView.do?newsId=148900001"

# Site chrome that looks like article parts: a ministry link, an info line with a date, a
# licence mark, an attachment box and a heading, in the header and the footer.
CHROME = (
    "<div class='info'><span>2020.01.01</span><a class='gotosite' href='/x?repCode=Z99'>헤더 부처</a></div>"
    "<h1>사이트 제목</h1><div class='article_footer'>공공누리 제4유형</div>"
    "<div class='filedown'><a href='/common/download.do?fileId=999'>chrome.pdf</a></div>"
)


def page(article_info: str, *, licence: str = "") -> str:
    return (
        f"<html><head></head><body><header>{CHROME}</header><main id='main'><section id='container'>"
        "<div class='view_title'><h1>제목</h1></div><div class='article_wrap'><div class='article_head'>"
        f"<div class='variety'><div class='info'>{article_info}</div></div></div>"
        "<div class='article_body'><div class='view_cont'><p>본문입니다.</p></div></div>"
        f"{licence}</div></section></main><footer>{CHROME}</footer></body></html>"
    )


def test_fields_come_from_the_container_not_the_chrome() -> None:
    article = parse_article(page("<span>2026.05.12</span>"), URL)
    assert article.title == "제목"
    assert article.published_at.date() == date(2026, 5, 12)
    assert article.ministry is None and article.rep_code is None  # the header's link is chrome
    assert article.attachments == ()
    assert article.license_type is None


def test_the_container_fallbacks_keep_their_order() -> None:
    info = "<span>2026.05.12</span><span><a class='gotosite' href='/m?repCode=A1'>국방부</a></span>"
    licence = "<div class='article_footer'>공공누리 제2유형</div>"
    article = parse_article(page(info, licence=licence), URL)
    assert (article.ministry, article.rep_code, article.license_type) == ("국방부", "A1", 2)


def test_a_page_without_a_container_is_read_whole() -> None:
    html = (FIXTURES / "old_layout_file_down.html").read_text(encoding="utf-8")
    assert Document.parse(html, URL).by_id("container") is None
    assert parse_article(html, URL, section="press").attachments


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.html")))
def test_the_id_index_finds_what_css_finds(name: str) -> None:
    doc = Document.parse((FIXTURES / name).read_text(encoding="utf-8"), URL)
    found = doc.css("#container")
    assert doc.by_id("container") is (found[0] if found else None)


def test_remembered_queries_are_copies() -> None:
    doc = Document.parse(page("<span>2026.05.12</span>"), URL)
    first = doc.css("p")
    first.clear()
    assert doc.css("p") and doc.within(doc.root).css("p") == doc.css("p")


def test_chrome_pages_parse_as_the_replica_pages() -> None:
    from bench.korea_pages import pages

    for url, plain, full in pages(40, start_day=date(2026, 11, 1), days=20):
        assert parse_article(full, url) == parse_article(plain, url), url
