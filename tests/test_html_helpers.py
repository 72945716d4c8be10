"""Fast paths of the parser's HTML helpers answer as the general ones they replace."""

from __future__ import annotations

import gc
import re
import sys
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml.cssselect import CSSSelector

from crawler.sites.html import Document, collapse, css, has_text, text_lines, text_of

FIXTURES = Path(__file__).parent / "fixtures" / "korea_kr"
SPACE = re.compile(r"[\s\u00a0\u200b\u3000\ufeff]+")  # collapse's definition


def by_regex(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def test_collapse_knows_every_space_the_regex_knows() -> None:
    for point in range(sys.maxunicode + 1):
        ch = chr(point)
        if SPACE.fullmatch(ch) or ch.isspace():
            for text in (ch, f"a{ch}b", f" {ch}{ch}x", f"x{ch}"):
                assert collapse(text) == by_regex(text), hex(point)


@given(st.text(alphabet=st.sampled_from("a 가\t\n\u00a0\u200b\u3000\ufeff\u2028\x85\x1c.")))
def test_collapse_equals_the_regex(text: str) -> None:
    assert collapse(text) == by_regex(text)


@pytest.mark.parametrize("selector", ["img", "img, table, iframe, video", "span", "p", "a"])
def test_tag_selectors_find_what_cssselect_finds(selector: str) -> None:
    compiled = CSSSelector(selector, translator="html")
    for path in FIXTURES.glob("*.html"):
        root = Document.parse(path.read_text(encoding="utf-8"), "").root
        for element in [root, *root.iter("div", "p")]:
            assert css(element, selector) == compiled(element), (path.name, selector)


def test_head_data_is_read_from_the_same_elements_as_its_selectors() -> None:
    from lxml import etree
    from lxml.html import HtmlElement

    meta = CSSSelector("meta[content]", translator="html")
    ld = CSSSelector('script[type="application/ld+json"]', translator="html")
    for path in FIXTURES.glob("*.html"):
        root = Document.parse(path.read_text(encoding="utf-8"), "").root
        assert [m for m in root.iter("meta") if m.get("content") is not None] == meta(root)
        assert [s for s in root.iter("script") if s.get("type") == "application/ld+json"] == ld(root)
        assert all(isinstance(e, HtmlElement) for e in root.iter(etree.Element))  # drop_tree stays


def test_reading_text_leaves_no_garbage_cycle_holding_the_tree() -> None:
    # A recursive closure made a cycle per call that kept the page's tree alive until the
    # cyclic collector ran (the crawl's writer held 1,067 of them after 50 articles).
    root = lxml.html.fragment_fromstring("<div><p>첫 <b>줄</b></p><br>둘째 줄<!-- 숨김 --></div>")
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            assert text_of(root) == "첫 줄 둘째 줄"
            assert text_lines(root) == ["첫 줄", "둘째 줄"]
        assert gc.collect() == 0
    finally:
        gc.enable()


HAS_TEXT_CASES = (
    "<div></div>", "<div> \u200b\ufeff\u3000 </div>", "<div><script>x</script> </div>",
    "<div><script>x</script>y</div>", "<div><!-- x --> </div>", "<div><!-- x -->y</div>",
    "<div><p> </p><br>\u00a0<span>\ufeff</span></div>", "<div><p> </p><span><b>x</b></span></div>",
    "<div><style>x</style><noscript>x</noscript><template>x</template></div>", "<div><img alt=x></div>",
)  # fmt: skip


def test_has_text_says_whether_text_of_is_empty() -> None:
    roots = [lxml.html.fragment_fromstring(html) for html in HAS_TEXT_CASES]
    pages = sorted(FIXTURES.glob("*.html"))
    roots += [lxml.html.document_fromstring(page.read_text(encoding="utf-8")) for page in pages]
    seen = set()
    for root in roots:
        for element in root.iter():
            assert has_text(element) == bool(text_of(element)), lxml.html.tostring(element)[:200]
            seen.add(has_text(element))
    assert seen == {True, False}
