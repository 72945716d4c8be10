"""Property: hostile titles and bodies never put markup, event handlers, script URLs or controls in a post.

Checked on the post text `normalize` returns and on the `.md` file `export_posts` writes (issue 13.2).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml.html import fragment_fromstring

from crawler.posts.export import ExportItem, export_posts
from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile
from crawler.posts.sanitize import _DROPPED, is_unprintable, plain_text
from domain.article import KST, Article, Image
from tests.seed_profile import SEED_PROFILE

HOSTILE = [
    "<script>alert(1)</script>", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "<script", "</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;", "&amp;lt;script&amp;gt;", "&#60;script&#62;", "&#x3C;script",
    "<img src=x onerror=alert(1)>", "<img src='https://www.korea.kr/i.jpg' onerror='alert(1)'>",
    "<a href='javascript:alert(1)'>j</a>", "<a href=' JaVaScRiPt:alert(1)'>j</a>",
    "<a href='java\tscript:alert(1)'>j</a>", "<a href='data:text/html;base64,PHNjcmlwdD4='>d</a>",
    "<img src='data:image/png;base64,AAAA'>", "<iframe src='https://evil.example/'></iframe>",
    "<svg onload=alert(1)>", "<p onclick='x()'>", "<style>*{}</style>", "<!--", "-->", "<![CDATA[", "]]>",
    "<math><mi xlink:href='javascript:alert(1)'>m</mi></math>", "<object data=x>", "<embed src=x>",
    "<form action=x><input onfocus=alert(1) autofocus>", "<base href='javascript:x'>",
    "<a href='https://ok.example/' onmouseover='x'>ok</a>", "<p>", "</p>", "<b>", "<br>", "<table><tr><td>",
    "\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\u202e", "\u2066", "\u200f", "\ufeff", "\r\n", "\t",
    "{{ site }}", "{% raw %}", "---", ": ", " #", "'", '"', "&", "&amp;", "<", ">", "정책", "문장이다. ", " ",
]  # fmt: skip
PIECES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6))
HOSTILE_TEXT = st.lists(PIECES, max_size=14).map("".join)

TAG_START = re.compile(r"<[A-Za-z/!?]")
OPENING_TAG = re.compile(r"<[A-Za-z][^>]*>")
QUOTED_VALUE = re.compile(r"\"[^\"]*\"|'[^']*'")
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs") and ch != "\n"


def assert_safe_post(text: str) -> None:
    """What a theme may print raw and a browser may render: checked on the whole `.md` text."""
    assert "<script" not in text.lower()
    for tag in OPENING_TAG.findall(text):  # an event handler attribute, outside quoted values
        assert not EVENT_ATTRIBUTE.search(QUOTED_VALUE.sub('""', tag)), tag
    assert not any(is_control(ch) for ch in text), [ch for ch in text if is_control(ch)]
    assert not BIDI.search(text)
    lines = text.split("\n")
    close = lines.index("---", 1)
    values = yaml.safe_load("\n".join(lines[1:close]))
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                assert not TAG_START.search(item), (key, item)
    for key in ("image", "source_url"):
        if key in values:
            assert urlsplit(values[key]).scheme in ("", "http", "https"), values[key]
    body = fragment_fromstring("\n".join(lines[close + 1 :]), create_parent="div")
    for el in body.iter():
        assert el.tag not in ("script", "iframe", "style", "object", "embed", "svg", "math", "form", "base")
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            if name in ("href", "src"):
                assert urlsplit(value.strip()).scheme in ("", "http", "https"), value
                assert value.startswith(("http://", "https://", "/assets/")), value


def hostile_article(title: str, subtitle: str, body: str, text_only: bool, licence: int) -> Article:
    return Article(
        source="korea_kr",
        external_id="148900001",
        url="https://www.korea.kr/news/policyNewsView.do?newsId=148900001",
        section="policy",
        title=title,
        published_at=datetime(2026, 5, 12, 14, 5, tzinfo=KST),
        body_html=body,
        subtitles=(subtitle,),
        ministry=title,
        tags=(subtitle, title),
        images=(Image(url="https://www.korea.kr/i.jpg", caption=subtitle),),
        license_type=licence,
        license_text_only=text_only,
        contact=subtitle,
    )


LEAD = replace(SEED_PROFILE, image_policy="lead")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=HOSTILE_TEXT,
    subtitle=HOSTILE_TEXT,
    body=HOSTILE_TEXT,
    text_only=st.booleans(),
    licence=st.integers(1, 4),
    profile=st.sampled_from([SEED_PROFILE, LEAD]),
)
def test_hostile_articles_give_safe_posts_and_files(
    title: str, subtitle: str, body: str, text_only: bool, licence: int, profile: Profile
) -> None:
    article = hostile_article(title, subtitle, body, text_only, licence)
    post = normalize(article, profile)
    assert_safe_post(post.text)
    item = ExportItem(
        source=article.source,
        external_id=article.external_id,
        post=post,
        license_type=article.license_type,
        embargo_until=None,
    )
    with TemporaryDirectory() as folder:
        export_posts([item], Path(folder), all_licenses=True, now=datetime(2026, 6, 1, tzinfo=UTC))
        written = list((Path(folder) / "_posts").glob("*.md"))
        assert len(written) == 1
        assert_safe_post(written[0].read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("<script>alert(1)</script>정책 뉴스", "정책 뉴스"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;정책", "정책"),
        ("&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;정책", "정책"),
        ("<img src=x onerror=alert(1)>정책", "정책"),
        ("정책 <b>굵게</b> 뉴스", "정책 굵게 뉴스"),
        ("&lt;한정애 의장&gt; 발언", "<한정애 의장> 발언"),  # not a tag: Hangul cannot start one
        ("3 < 5 > 2", "3 < 5 > 2"),
        ("정책\u202e뉴스\x00\x1b", "정책뉴스"),
        ("정책&amp;middot;뉴스", "정책·뉴스"),
    ],
)
def test_a_title_is_plain_text_in_the_front_matter(title: str, expected: str) -> None:
    post = normalize(hostile_article(title, "부제", "<p>본문</p>", False, 1), SEED_PROFILE)
    assert post.front_matter["title"] == expected
    assert post.text.split("\n")[1].startswith("title: ")


def test_every_front_matter_string_is_plain_text() -> None:
    article = hostile_article(
        "제목", "<b>부제</b>&lt;script&gt;x&lt;/script&gt;", "<p>본문</p>", False, 1
    ).with_changes(ministry="<i>부처</i>", tags=("<a href='javascript:x'>태그</a>",), section="<s>x</s>")
    post = normalize(article, replace(SEED_PROFILE, categories={"<s>x</s>": "<em>분류</em>"}))
    assert post.front_matter["excerpt"] == "부제\n"
    assert post.front_matter["ministry"] == "부처"
    assert post.front_matter["tags"] == ["태그"]
    assert post.front_matter["categories"] == ["분류"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<script>x</script>a", "a"),
        ("a<!-- c -->b", "ab"),
        ("&lt;b&gt;x&lt;/b&gt;", "x"),
        ("a\u202eb\u2066c", "abc"),
        ("a\x00b \x1b c", "ab c"),
        ("  a \n\t b ", "a b"),
        ("R&amp;D &amp; AT&T", "R&D & AT&T"),
        ("", ""),
        ("<\x01?x <\u202eb>c", "c"),  # an invisible character hiding a tag
        ("<<?x>a", ""),  # removing one piece must not leave another tag behind
    ],
)
def test_plain_text(raw: str, expected: str) -> None:
    assert plain_text(raw) == expected


def test_the_dropped_characters_regex_matches_the_rule() -> None:
    """clean_text's fast path (one regex) agrees with its slow rule over every code point."""
    for code in range(0x110000):
        ch = chr(code)
        rule = not ch.isspace() and is_unprintable(ch)
        assert (_DROPPED.fullmatch(ch) is not None) == rule, hex(code)
