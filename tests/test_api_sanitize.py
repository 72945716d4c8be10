"""Hostile bodies and titles come out of the API clean (issue 13.2): JSON and /feed.xml carry the
posts' sanitized HTML, plain-text strings and http(s) URLs only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import feedparser
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.posts.sanitize import plain_text, sanitize
from domain.article import Attachment, Image
from domain.text import clean_text
from scheduler.api.atom import ATOM, atom_feed
from scheduler.app import create_app
from scheduler.cli.articles import markdown_line
from scheduler.output import article_rows
from scheduler.safe import LINK_REL, safe_article
from scheduler.safe import text as api_text
from scheduler.settings import Settings
from storage import Database, StoredArticle
from tests.factories import make_article
from tests.test_api import FakeCrawls, FakeSchedule, make_client, seed

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>",
    "<<a>script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" JAVASCRIPT:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<a href='vbscript:x'>x</a>",
    '<img src="data:text/html,<script>alert(1)</script>">',
    "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)><use href=javascript:x /></svg>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '<p onclick="x()" style="background:url(javascript:x)">p</p>',
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<form action=javascript:x><button formaction=javascript:y>b</button></form>",
    "<object data=javascript:x></object><embed src=javascript:x>",
    "<meta http-equiv=refresh content='0;url=javascript:x'>",
    "<table background=javascript:x><td onmouseover=x>t</td></table>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;",
    "&#60;script&#62;",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '"><script>alert(1)</script>',
    "<style>@import 'javascript:x';</style>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "\x00\x01\x1b\x7f",
    "\u202e\u2066\u200f",
    "<p>정책 본문</p>",
    "<a href=https://www.korea.kr/x>링크</a>",
]
hostile = st.lists(
    st.one_of(
        st.sampled_from(PAYLOADS),
        st.text(alphabet="<>/&#;=\"' :abcjpstvrix()1가\x00\n", max_size=12),
    ),
    max_size=6,
).map("".join)
hostile_url = st.one_of(
    st.sampled_from(["javascript:alert(1)", " javascript:x", "data:text/html,x", "//evil.example", "x"]),
    st.just("https://www.korea.kr/news/1"),
    hostile,
)

MARKUP = re.compile(r"<[A-Za-z!/]")
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "math", "form", "meta", "body"}


def stored(title: str, body: str, text: str, url: str) -> StoredArticle:
    article = make_article(
        1,
        title=title,
        body_html=body,
        subtitles=(text, title),
        ministry=text,
        tags=(text,),
        contact=text,
        url=url,
        images=(Image(url=url, caption=text),),
        attachments=(Attachment(name=text, url=url, extension=text),),
    )
    now = datetime(2026, 11, 20, tzinfo=UTC)
    return StoredArticle(
        id=7, source="korea_kr", article=article, content_hash="h", revision_count=1,
        post_text=None, post_hash=None, first_seen_at=now, last_seen_at=now, updated_at=now,
    )  # fmt: skip


def assert_clean_html(html: str) -> None:
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", html), html
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html, re.IGNORECASE), html
    if not html.strip():
        return
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments are stripped; nothing else is not an element
        assert element.tag.lower() not in DANGEROUS_TAGS, html
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), html
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            assert not squeezed.startswith(("javascript:", "vbscript:", "data:")), html
            if name in ("href", "src"):
                assert squeezed.startswith(("http://", "https://")), html


def assert_plain(text: str) -> None:
    assert not MARKUP.search(text), text
    assert not CONTROLS.search(text), text


def assert_web_url(url: str) -> None:
    assert url == "" or url.startswith(("http://", "https://")), url
    assert_plain(url)


def strings(value: Any) -> Iterator[tuple[str, str]]:
    """Every (key, string) of a JSON value, keys naming their field."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from ((key if k == "" else k, s) for k, s in strings(item))
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield "", value


def assert_clean_json(data: dict[str, object]) -> None:
    for key, text in strings(data):
        if key == "body_html":
            assert_clean_html(text)
        elif key == "url":
            assert_web_url(text)
        else:
            assert_plain(text.replace("\n", " "))  # subtitles keep their line breaks


def assert_clean_atom(document: bytes) -> None:
    root = ET.fromstring(document)  # well-formed XML whatever the input
    for element in root.iter():
        if element.tag == f"{{{ATOM}}}content":
            assert element.get("type") == "html"
            assert_clean_html(element.text or "")
        elif element.text and element.tag != f"{{{ATOM}}}id":
            assert_plain(element.text.replace("\n", " "))
        if "href" in element.attrib:
            assert_web_url(element.attrib["href"])
        for value in element.attrib.values():
            assert_plain(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile, body=hostile, text=hostile, url=hostile_url)
def test_hostile_fields_come_out_clean_in_json_atom_and_the_cli(
    title: str, body: str, text: str, url: str
) -> None:
    item = stored(title, body, text, url)
    data = safe_article(item)  # the API's and the CLI's article JSON
    assert_clean_json(data)
    # The posts' sanitizer, then controls and bidirectional overrides gone (as from stored text).
    assert data["body_html"] == clean_text(sanitize(body, LINK_REL))
    assert_clean_atom(atom_feed([item], self_url="https://news.example.org/feed.xml", title="t"))
    # The CLI's tables and Markdown list (`briefing articles list|search`).
    for cell in article_rows([item])[0]:
        assert_plain(str(cell))
    line = markdown_line(item)
    assert_plain(line.replace("](", " "))  # the link's own brackets are the list's Markdown


SPECIAL = "\x00\x01\x0b\x0c\r\n\t \x7f\x85\xa0\u2028\u202e\u2066\u200f\u061c\ufeff가a>\"'"


@settings(max_examples=500, deadline=None)
@given(value=st.one_of(st.text(), st.text(alphabet=SPECIAL)))
def test_the_api_plain_text_is_the_posts_plain_text(value: str) -> None:
    # `text` skips the HTML parser for strings with nothing to parse; it must never differ.
    assert api_text(value) == plain_text(value)


# --- through HTTP, on both backends ----------------------------------------------------------

SCRIPT_TITLE = "<script>alert('title')</script>예산 &lt;b&gt;발표&lt;/b&gt;"
HOSTILE_BODY = (
    '<p onclick="steal()">본문 <a href="javascript:alert(1)">링크</a> '
    '<a href="https://www.korea.kr/x">원문</a></p><img src=x onerror=alert(1)>'
    "<iframe src=https://evil.example></iframe><script>alert('body')</script>"
)


@pytest.mark.asyncio
async def test_a_script_title_and_hostile_body_are_clean_in_every_api_channel(
    db: Database, tmp_path: Path
) -> None:
    (article_id,) = seed(
        db,
        [make_article(1, title=SCRIPT_TITLE, body_html=HOSTILE_BODY, subtitles=("<b onclick=x>부제</b>",))],
    )
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path), db, FakeCrawls(db), FakeSchedule())
    async with make_client(app) as client:
        one = (await client.get(f"/articles/{article_id}")).json()
        listed = (await client.get("/articles")).json()["items"][0]
        feed = (await client.get("/feed.xml")).content
    for data in (one, listed):
        assert data["title"] == "예산 발표"
        assert data["subtitle"] == "부제"
        assert data["body_html"] == (
            '<p>본문 <a rel="nofollow noopener">링크</a> '
            '<a href="https://www.korea.kr/x" rel="nofollow noopener">원문</a></p><img>'
        )
        assert_clean_json(data)
    assert b"<script" not in feed.lower() and b"&lt;script" not in feed.lower()
    assert_clean_atom(feed)
    entry = feedparser.parse(feed).entries[0]
    assert entry.title == "예산 발표"
    assert "onclick" not in entry.content[0].value and "javascript:" not in entry.content[0].value
