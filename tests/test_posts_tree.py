"""crawler.posts.tree.parse_fragment: lxml.html.fragment_fromstring's tree, in HTML_PARSER's document."""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from crawler.posts.tree import parse_fragment
from domain.text import clean_text

BODIES = (
    "", "   ", "text only", "  lead <p>a</p> tail", "<p>a</p><p>b</p>", "<form><input name=x></form><p>c</p>",
    "<table><tr><td>1</td></tr></table>", "<!-- c --><p>x</p>", "<html><body><p>full</p></body></html>",
    "<p>a<br>b</p>\n\n<div><img src='/i.jpg' alt='사진'></div>", "<select><option>o</option></select>",
)  # fmt: skip


def expected(html: str) -> bytes:
    text = clean_text(html)
    if not text.strip():
        return b"<div/>"
    return etree.tostring(lxml.html.fragment_fromstring(text, create_parent="div"))


@pytest.mark.parametrize("html", BODIES)
def test_the_tree_is_fragment_fromstrings(html: str) -> None:
    assert etree.tostring(parse_fragment(html)) == expected(html)


PIECES = ("<p>", "</p>", "<div>", "</div>", "글", " ", "<br>", "<form>", "<input>", "<td>", "<!--", "-->",
          "&amp;", "<b>", "</b>", "\n")  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES)).map("".join))
def test_generated_fragments_parse_as_fragment_fromstring(html: str) -> None:
    assert etree.tostring(parse_fragment(html)) == expected(html)


def test_every_element_is_a_plain_html_element() -> None:
    """No Python class lookup per element (lxml.html's own parser picks form classes in Python)."""
    root = parse_fragment("<form><input name=x><select><option>o</option></select></form><p>t</p>")
    assert {type(e) for e in root.iter(etree.Element)} == {lxml.html.HtmlElement}
