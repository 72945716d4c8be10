"""The sliced parse (head + #container only) reads every page as the whole page's parse does.

`parse_article` parses a page as its head and its article container when
crawler/sites/slicing.py proves the chrome around cannot change the answer; these tests hold it
to that: on every korea.kr fixture, on the replica's pages plain and inside a korea.kr-sized
chrome, and on pages mutated around the markers the slice relies on (missing, twice, inside
comments and scripts, the container unclosed, quotes left open, tags the parser reads moved
into the chrome), the article (or the error) is the whole parse's, and whenever a slice is
taken, the container's subtree, the meta tags, the ld+json objects and the canonical link are
the whole page's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from crawler.errors import CrawlError
from crawler.sites import korea_kr
from crawler.sites.html import Document
from crawler.sites.korea_kr import parse_article
from crawler.sites.slicing import sliced_document

FIXTURES = Path(__file__).parent / "fixtures" / "korea_kr"
URL = "https://www.korea.kr/news/policyNewsView.do?newsId=148900001"
SECTIONS = ("policy", "press", "briefing", "fact", "cabinet")
ARTICLE_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.html") if not p.name.startswith("list_"))


def whole(html: str, url: str, section: str) -> object:
    """What the whole page's parse answers: the article, or the error's type and message."""
    try:
        return korea_kr._parse(Document.parse(html, url), url, section)
    except CrawlError as error:
        return type(error), str(error)


def answer(html: str, url: str, section: str) -> object:
    try:
        return parse_article(html, url, section=section)
    except CrawlError as error:
        return type(error), str(error)


def assert_same_reads(html: str, url: str) -> bool:
    """When the page slices, every read the parser makes outside the container is the whole page's."""
    sliced = sliced_document(html, url, "container")
    if sliced is None:
        return False
    full = Document.parse(html, url)
    assert sliced.meta == full.meta
    assert sliced.json_ld == full.json_ld
    assert [e.get("href") for e in sliced.css(korea_kr.CANONICAL_LINK)] == [
        e.get("href") for e in full.css(korea_kr.CANONICAL_LINK)
    ]
    mine, theirs = sliced.by_id("container"), full.by_id("container")
    assert theirs is not None and mine is not None
    assert etree.tostring(mine, with_tail=False) == etree.tostring(theirs, with_tail=False)
    return True


def assert_same(html: str, url: str = URL, sections: tuple[str, ...] = SECTIONS) -> bool:
    sliced = assert_same_reads(html, url)
    for section in sections:
        assert answer(html, url, section) == whole(html, url, section), section
    return sliced


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.html")))
def test_every_fixture_reads_the_same_sliced(name: str) -> None:
    html = (FIXTURES / name).read_text(encoding="utf-8")
    sliced = assert_same(html)
    # The slice is taken wherever the page has a container (the old layout and the viewer have none).
    assert sliced == ('id="container"' in html)


@cache
def replica_pages() -> list[tuple[str, str, str]]:
    from bench.common import REPLICA_START
    from bench.korea_pages import pages

    return pages(24, start_day=REPLICA_START, days=6)


@pytest.mark.parametrize("n", range(24))
def test_the_replica_pages_read_the_same_plain_and_in_chrome(n: int) -> None:
    url, plain, chrome = replica_pages()[n]
    assert assert_same(plain, url, ("policy",))
    assert assert_same(chrome, url, ("policy",))
    assert parse_article(plain, url) == parse_article(chrome, url)


def chrome_page() -> tuple[str, str]:
    url, _, chrome = replica_pages()[0]
    return url, chrome


def test_a_missing_title_is_still_the_layout_error_naming_it() -> None:
    url, html = chrome_page()
    broken = html.replace('<div class="view_title"><h1>', '<div class="view_title"><h6>', 1)
    broken = broken.replace('"headline"', '"x"').replace('property="og:title"', 'property="x"')
    assert broken != html
    with pytest.raises(korea_kr.FieldMissing, match="layout changed: no title found"):
        parse_article(broken, url)
    assert answer(broken, url, "policy") == whole(broken, url, "policy")


# Each edit names a way the skipped chrome could change the whole page's answer; the slice must
# notice it (and parse the whole page) or be right anyway.
EDITS = {
    "no container": lambda h: h.replace('id="container"', 'id="content"'),
    "container twice, in the chrome": lambda h: h.replace("<main", '<div id="container"></div><main', 1),
    "container twice, by a character reference": lambda h: h.replace(
        "<main", '<div id="&#99;ontainer"><p>가짜</p></div><main', 1
    ),
    "container twice, by a hex reference": lambda h: h.replace(
        "<main", "<div id=cont&#x61;iner></div><main", 1
    ),
    "container twice, after it": lambda h: h.replace("</main>", '</main><div id="container">x</div>', 1),
    "container in a comment": lambda h: h.replace(
        '<section id="container">', '<!-- <section id="container">', 1
    ).replace("</main>", "--></main>", 1),
    "comment left open before": lambda h: h.replace("<main", "<!-- <main", 1),
    "comment left open in it": lambda h: h.replace(
        '<div class="article_body">', '<!-- <div class="article_body">', 1
    ),
    "container in a script": lambda h: h.replace("<main", '<script>var s = "', 1).replace(
        '<section id="container">', '<section id="container">";</script>', 1
    ),
    "container unclosed": lambda h: h.replace("</section>\n", "\n", 1),
    "stray end tag in it": lambda h: h.replace(
        '<div class="article_body">', '</main><div class="article_body">', 1
    ),
    "stray div end tag in it": lambda h: h.replace(
        '<div class="article_body">', '</div><div class="article_body">', 1
    ),
    "open quote before": lambda h: h.replace(
        '<section id="container">', '<a title="x><section id="container">', 1
    ),
    "open quote, far before": lambda h: h.replace("<main", '<a title="x><main', 1),
    "open quote, equals sign": lambda h: h.replace("<main", "<a title='x><main", 1),
    "unquoted value into it": lambda h: h.replace('<main id="main">\n', "<a href=x", 1),
    "meta in the chrome": lambda h: h.replace("<main", '<meta property="og:title" content="가짜"><main', 1),
    "canonical in the footer": lambda h: h.replace(
        "</body>", '<link rel="canonical" href="https://www.korea.kr/news/policyNewsView.do?newsId=1">', 1
    ),
    "ld+json in the footer": lambda h: h.replace(
        "</body>",
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "가짜"}</script></body>',
        1,
    ),
    "ld+json hidden by a reference": lambda h: h.replace(
        "</body>",
        '<script type="application/ld&#43;json">{"@type": "NewsArticle", "keywords": "가짜"}</script></body>',
        1,
    ),
    "upper-case script": lambda h: h.replace("<main", "<SCRIPT>x</SCRIPT><main", 1),
    "mixed-case script left open": lambda h: h.replace("<main", "<sCRIPT>x</script-x><main", 1),
    "p left open before, its end tag in it": lambda h: h.replace("<main", "<p><main", 1).replace(
        '<div class="article_body">', '</p><div class="article_body">', 1
    ),
    "list item open before, another in it": lambda h: h.replace("<main", "<ul><li><main", 1).replace(
        '<div class="article_body">', '<li>x</li><div class="article_body">', 1
    ),
    "form open before, another in it": lambda h: h.replace("<main", "<form><main", 1).replace(
        '<div class="article_body">', '<form><input></form><div class="article_body">', 1
    ),
    "plaintext": lambda h: h.replace("<main", "<plaintext><main", 1),
    "textarea left open": lambda h: h.replace("<main", "<textarea><main", 1),
    "body end before it": lambda h: h.replace("<main", "</body><main", 1),
    "second body": lambda h: h.replace("<main", '<body class="x"><main', 1),
    "section start in a comment in it": lambda h: h.replace(
        '<div class="article_body">', '<!-- <section> --><div class="article_body">', 1
    ),
    "section end in a comment in it": lambda h: h.replace(
        '<div class="article_body">', '<!-- </section> --><div class="article_body">', 1
    ),
    "section end in a script in it": lambda h: h.replace(
        '<div class="article_body">', '<script>"</section>"</script><div class="article_body">', 1
    ),
    "nested section": lambda h: h.replace(
        '<div class="article_body">', '<section class="inner"><p>x</p></section><div class="article_body">', 1
    ),
    "script escape before": lambda h: h.replace("<main", "<script><!-- <script></script> --><main", 1),
    # Letters (?i) takes for ASCII ones ("ı" for "i", the Kelvin sign for "k"), which the tokenizer
    # does not lower-case: no link, title or script to the parser, so the slice may be taken.
    "look-alike canonical in the footer": lambda h: h.replace(
        "</body>", '<l\u0131nk rel="canonical" href="https://www.korea.kr/news/policyNewsView.do?newsId=1">',
        1,
    ),
    "look-alike canonical, Kelvin sign": lambda h: h.replace(
        "</body>", '<lin\u212a rel="canonical" href="https://www.korea.kr/news/policyNewsView.do?newsId=1">',
        1,
    ),
    "look-alike title left open before": lambda h: h.replace("<main", "<t\u0131tle><main", 1),
    "look-alike ld+json in the footer": lambda h: h.replace(
        "</body>",
        '<scr\u0131pt type="application/ld+json">{"@type": "NewsArticle", "headline": "가짜"}'
        "</scr\u0131pt></body>",
        1,
    ),
    # HTML5 also ends a comment at "--!>", and "<!-->" is a whole empty comment: markup the scan
    # takes for comment text up to the next "-->" is live to the parser.
    "comment ended by --!> before": lambda h: h.replace(
        "<main", "<!-- x --!><div class='a'><p>x</p></div> --><main", 1
    ),
    "empty comment <!--> before": lambda h: h.replace("<main", "<!--><div><p>x</p></div>--><main", 1),
    "meta after a --!> comment end": lambda h: h.replace(
        "<main", '<!-- --!><meta property="og:title" content="가짜"> --><main', 1
    ),
    "unquoted value after a --!> comment end": lambda h: h.replace(
        '<main id="main">\n', "<!-- --!><a href=x -->", 1
    ),
    "cdata in it": lambda h: h.replace(
        '<div class="article_body">', '<svg><![CDATA[</section>]]></svg><div class="article_body">', 1
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("plain", [False, True], ids=["chrome", "plain"])
def test_edited_pages_read_the_same(edit: str, plain: bool) -> None:
    url, plain_html, chrome_html = replica_pages()[1]
    html = EDITS[edit](plain_html if plain else chrome_html)
    assert_same(html, url, ("policy", "press"))


def test_the_edits_that_must_not_slice_do_not() -> None:
    url, _, html = replica_pages()[2]
    for edit in (
        "container in a comment", "comment left open before",
        "container twice, by a character reference", "container twice, by a hex reference",
        "container in a script", "container unclosed", "stray end tag in it", "open quote before",
        "open quote, equals sign", "meta in the chrome", "canonical in the footer", "ld+json in the footer",
        "ld+json hidden by a reference", "upper-case script", "mixed-case script left open",
        "plaintext", "textarea left open",
        "body end before it", "second body", "section end in a comment in it", "script escape before",
        "p left open before, its end tag in it", "meta after a --!> comment end",
    ):  # fmt: skip
        edited = EDITS[edit](html)
        assert edited != html, edit
        assert sliced_document(edited, url, "container") is None, edit


SNIPPETS = (
    "<!--", "-->", "--!>", "<!-->", "<script>", "</script>", "<script type=\"application/ld+json\">",
    '{"@type": "NewsArticle", "headline": "가짜 제목", "datePublished": "2020-01-01T00:00:00+09:00"}',
    "<style>", "</style>", "<textarea>", "</textarea>", "<title>", "</title>", "<iframe>", "</iframe>",
    '<section id="container">', '<div id="container">', "<section>", "</section>", "<div>", "</div>",
    "</main>", "<main>", "<p>", "</p>", "<table><tr><td>", "</td></tr></table>", '"', "'", "=", ">", "<",
    '<a title="', "<a title='", "<a href=", '<meta property="og:title" content="가짜">',
    '<meta property="article:published_time" content="2020-01-01T00:00:00+09:00">',
    '<link rel="canonical" href="https://www.korea.kr/news/policyNewsView.do?newsId=7">',
    "<body>", "</body>", "<html>", "</html>", "<head>", "</head>", "<plaintext>", "<![CDATA[", "]]>",
    "<SCRIPT>", "</SCRIPT>", "<sCRIPT>", "<Meta content=x name=y>",
    "<?php ?>", "<!DOCTYPE html>", "</ x>", "<noscript>", "</noscript>",
    "<h1>가짜</h1>", '<div class="view_title"><h1>가짜</h1></div>', "<span>2020.01.01</span>",
    "&#43;", "&amp;", "<svg>", "</svg>", "<template>", "</template>",
)  # fmt: skip
MARKERS = ('id="container"', "<section", "</section>", "<main", "</main>", "<body", "</head>", "</body>",
           'class="article_body"', "view_cont", "<footer", "<aside", "<script", "</script>")  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    """A replica page (plain or in chrome) with a few snippets put in or chunks cut near its markers."""
    url, plain, chrome = replica_pages()[draw(st.integers(0, 5))]
    html = draw(st.sampled_from((plain, chrome)))
    for _ in range(draw(st.integers(1, 3))):
        marker = draw(st.sampled_from(MARKERS))
        spots = [i for i in range(len(html)) if html.startswith(marker, i)] or [0]
        at = max(0, min(len(html), draw(st.sampled_from(spots)) + draw(st.integers(-40, 40))))
        if draw(st.booleans()):
            html = html[:at] + draw(st.sampled_from(SNIPPETS)) + html[at:]
        else:
            html = html[:at] + html[at + draw(st.integers(1, 30)) :]
    return url, html


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_pages_read_the_same(page: tuple[str, str]) -> None:
    url, html = page
    assert_same(html, url, ("policy", "press"))


def test_an_older_libxml2_parses_every_page_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.sites.slicing as slicing

    url, _, html = replica_pages()[3]
    assert sliced_document(html, url, "container") is not None
    monkeypatch.setattr(slicing, "_HTML5_TOKENIZER", False)
    assert sliced_document(html, url, "container") is None
    assert parse_article(html, url) == whole(html, url, "policy")


def test_character_references_outside_ids_still_slice() -> None:
    url, _, html = replica_pages()[4]
    edited = html.replace(
        "<main", '<a href="/x?a=1&#38;b=2" title="&#99;ontainer" data-id="&#99;">x</a><main', 1
    )
    assert edited != html
    assert sliced_document(edited, url, "container") is not None
    assert_same(edited, url, ("policy",))


def test_look_alike_tag_names_still_slice() -> None:
    url, _, html = replica_pages()[5]
    for edit in (
        "look-alike canonical in the footer", "look-alike canonical, Kelvin sign",
        "look-alike title left open before", "look-alike ld+json in the footer",
    ):  # fmt: skip
        edited = EDITS[edit](html)
        assert edited != html, edit
        assert sliced_document(edited, url, "container") is not None, edit
        assert_same(edited, url, ("policy",))
