"""The element index answers every selector it takes exactly as lxml's CSSSelector does."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml.cssselect import CSSSelector

from crawler.sites.css_index import ElementIndex, plan
from crawler.sites.html import Document
from crawler.sites.korea_kr import ATTACHMENT_BOXES, LICENCE_SCOPES
from crawler.sites.korea_kr_layouts import ALL_LAYOUTS, INFO_FALLBACKS, MINISTRY_FALLBACKS, TITLE_FALLBACKS

FIXTURES = Path(__file__).parent / "fixtures" / "korea_kr"
LAYOUT_SELECTORS = sorted(
    {
        selector
        for layout in ALL_LAYOUTS
        for group in (
            layout.markers,
            layout.title,
            layout.info,
            layout.ministry_link,
            layout.body,
            layout.subtitles,
        )
        for selector in group
    }
    | {*TITLE_FALLBACKS, *INFO_FALLBACKS, *MINISTRY_FALLBACKS, *LICENCE_SCOPES, ATTACHMENT_BOXES}
)
EDGE_CASES = [
    "*", "div", "DIV", "#container", "section#container", "#container > *", ".a.b", "p.Foo", ".foo",
    "div > p", "div p > span", "ul > li a", "div:not(.x)", ".x:not(.y):not(.z)", "div, p, div",
    "h1, #container, .info", "body > main > section", "html", "head meta",
]  # fmt: skip


@cache
def pages() -> tuple[tuple[str, str], ...]:
    from bench.korea_pages import pages as chrome_pages

    found = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.html"))]
    found += [(url, full) for url, _, full in chrome_pages(3, start_day=date(2026, 11, 1), days=20)]
    found.append(
        ("odd classes", "<div class=' a\tb\x0cc  Foo '><p class='a b' id='x'><p class='b a'>t</p></div>")
    )
    return tuple(found)


def scopes(html: str) -> list[Document]:
    page = Document.parse(html, "")
    container = page.by_id("container")
    return [page] + ([page.within(container)] if container is not None else [])


def assert_same(selector: str) -> None:
    expected = CSSSelector(selector, translator="html")
    for name, html in pages():
        for doc in scopes(html):
            assert doc.css(selector) == expected(doc.root), (name, selector)


@pytest.mark.parametrize("selector", LAYOUT_SELECTORS + EDGE_CASES)
def test_layout_selectors(selector: str) -> None:
    assert_same(selector)


def test_every_layout_selector_is_answered_by_the_index() -> None:
    assert [s for s in LAYOUT_SELECTORS if plan(s) is None] == []


@pytest.mark.parametrize("selector", ['link[rel="canonical"]', "a[href]", "p:first-child", "a + b"])
def test_other_selectors_go_to_the_xpath(selector: str) -> None:
    assert plan(selector) is None
    assert_same(selector)


def test_the_index_covers_the_root_and_nothing_above_it() -> None:
    doc = Document.parse("<div class='a'><div class='a' id='r'><p class='b'>x</p></div></div>", "")
    inner = doc.within(doc.by_id("r"))
    assert [e.get("id") for e in inner.css(".a")] == ["r"]
    assert len(inner.css(".a .b")) == 1 and inner.css(".a .a .b") == [] and doc.css(".a .a .b")
    assert ElementIndex(doc.by_id("r")).select(plan("div > p") or ()) == doc.css("#r > p")


NAMES = st.sampled_from(["a", "b", "info", "variety", "article_head", "view_cont", "Foo", "c"])
TAGS = st.sampled_from(["", "", "div", "p", "a", "span", "h1", "h2", "li", "section", "*"])
COMPOUND = st.builds(
    lambda tag, element_id, classes, negated: (
        tag + (f"#{element_id}" if element_id else "") + "".join(f".{c}" for c in classes)
        + "".join(f":not(.{c})" for c in negated)
    ) or "*",
    TAGS, st.sampled_from(["", "", "", "container", "x"]), st.lists(NAMES, max_size=2),
    st.lists(NAMES, max_size=1),
)  # fmt: skip
CHAIN = st.builds(
    lambda first, rest: first + "".join(f"{combinator}{compound}" for combinator, compound in rest),
    COMPOUND, st.lists(st.tuples(st.sampled_from([" ", " > "]), COMPOUND), max_size=3),
)  # fmt: skip
SELECTOR = st.lists(CHAIN, min_size=1, max_size=3).map(", ".join)


@settings(max_examples=300, deadline=None)
@given(SELECTOR)
def test_generated_selectors(selector: str) -> None:
    assert plan(selector) is not None
    assert_same(selector)


def test_a_wide_group_on_a_body() -> None:
    from crawler.sites.html import css_indexed
    from crawler.sites.korea_kr import CHROME

    expected = CSSSelector(CHROME, translator="html")
    for _, html in pages():
        for doc in scopes(html):
            for body in doc.css("div.view_cont, #viewCont, .article_body"):
                assert css_indexed(body, CHROME) == expected(body)


BARE = st.one_of(
    st.sampled_from(["div", "p", "a", "span", "li", "section", "script", "button", "aside"]),
    NAMES.map(lambda name: f".{name}"),
    st.sampled_from(["#container", "#x", "#r"]),
)
BARE_GROUP = st.lists(BARE, min_size=1, max_size=6).map(", ".join)


@settings(max_examples=200, deadline=None)
@given(BARE_GROUP)
def test_a_group_of_bare_names_is_walked_as_cssselect_answers(selector: str) -> None:
    from crawler.sites.css_index import bare_names
    from crawler.sites.html import css_indexed

    assert bare_names(selector) is not None
    expected = CSSSelector(selector, translator="html")
    for name, html in pages():
        for doc in scopes(html):
            assert css_indexed(doc.root, selector) == expected(doc.root), (name, selector)


@pytest.mark.parametrize("selector", ["div.a", "div p", ".a.b", "#x.a", "p:not(.a)", "*", "a[href]"])
def test_other_groups_are_not_bare_names(selector: str) -> None:
    from crawler.sites.css_index import bare_names

    assert bare_names(f"aside, {selector}") is None
