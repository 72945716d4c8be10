"""The sanitizer built once (nh3.Cleaner) cleans exactly as nh3.clean with the same options did."""

from __future__ import annotations

import nh3
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.posts import sanitize as sanitizer
from crawler.posts.sanitize import plain_text, sanitize, sanitizer_options

PIECES = st.sampled_from(
    [
        "<p>", "</p>", '<p data-ke-size="size16">', '<p data-ke-size="size99">', "<h2>", "<a href=",
        '"https://www.korea.kr/a?b=1&c=2"', '"javascript:alert(1)"', '"/relative"', ">", "</a>",
        '<img src="https://x.kr/a.jpg" alt="사진">', '<img src="data:x">', "<script>", "</script>",
        "<style>p{}</style>", "<!-- 주석 -->", '<td colspan="2">', '<td colspan="x">', "<table>", "<tr>",
        "<iframe src='https://x'></iframe>", "<b onclick='x()'>", "&amp;", "&lt;script&gt;", "&#123;",
        "정책브리핑", "본문", " ", "\n", "<br>", "<div>", "</div>", "<svg><path/></svg>", "<", "&",
    ]
)  # fmt: skip
HTML = st.lists(PIECES, max_size=12).map("".join) | st.text(max_size=30)


@settings(max_examples=500, deadline=None)
@given(block=HTML, link_rel=st.sampled_from(["nofollow noopener", "", "noopener"]))
def test_sanitize_equals_nh3_clean(block: str, link_rel: str) -> None:
    assert sanitize(block, link_rel) == nh3.clean(block, **sanitizer_options(link_rel)).strip()


@settings(max_examples=500, deadline=None)
@given(text=HTML)
def test_tag_stripping_equals_nh3_clean(text: str) -> None:
    expected = nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}, strip_comments=True)
    assert sanitizer._strip_tags(text) == expected
    assert isinstance(plain_text(text), str)
