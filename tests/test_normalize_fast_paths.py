"""Shortcuts in the normalizer's steps decide as the full computations they skip."""

from __future__ import annotations

import re

import lxml.html
from hypothesis import given
from hypothesis import strategies as st

from crawler.posts.body import _CHROME_TEXT, _CHROME_TEXT_MAX, _short_text
from crawler.posts.layout import _collapsed

WHITESPACE = re.compile(r"\s+")
# The second set is what lxml accepts in markup (no C0 controls but tab and newlines).
MARKUP_CHARS = "a 가\t\n\x85\xa0\u2028\u3000\u200b\ufeff.목록"
TEXT = st.text(alphabet=st.sampled_from(MARKUP_CHARS + "\r\x0b\x0c\x1c"), max_size=12)
MARKUP_TEXT = st.text(alphabet=st.sampled_from(MARKUP_CHARS), max_size=12)


@given(TEXT)
def test_collapsed_text_is_left_as_the_regex_leaves_it(text: str) -> None:
    if _collapsed(text):
        assert WHITESPACE.sub(" ", text) == text


@given(st.lists(MARKUP_TEXT, min_size=1, max_size=4))
def test_short_text_is_text_content_without_whitespace(pieces: list[str]) -> None:
    markup = "<div>" + "".join(f"<span>{p}</span>{p}" for p in pieces) + "</div>"
    element = lxml.html.fragment_fromstring(markup)
    full = "".join(element.text_content().split())
    short = _short_text(element, _CHROME_TEXT_MAX)
    assert short == (full if len(full) <= _CHROME_TEXT_MAX else None)
    assert (short in _CHROME_TEXT) == (full in _CHROME_TEXT)


@given(st.text(alphabet=st.sampled_from(MARKUP_CHARS), max_size=40), st.lists(MARKUP_TEXT, max_size=3))
def test_short_text_of_an_element_starting_with_text(lead: str, pieces: list[str]) -> None:
    # The element's own text is read first, and only its first words when they are long enough.
    markup = "<div>" + lead + "".join(f"<span>{p}</span>{p}" for p in pieces) + "</div>"
    element = lxml.html.fragment_fromstring(markup)
    full = "".join(element.text_content().split())
    assert _short_text(element, _CHROME_TEXT_MAX) == (full if len(full) <= _CHROME_TEXT_MAX else None)
