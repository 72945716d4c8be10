"""The normalizer's steps, each table-tested, plus hostile bodies and idempotence end to end."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from lxml.html import HtmlElement, fragment_fromstring

from crawler.posts.blocks import (
    closing_blocks,
    drop_empty_blocks,
    drop_implicit_tbody,
    escape_liquid,
    hero_block,
    split_blocks,
)
from crawler.posts.body import absolutize_urls, add_tistory_sizes, collapse_captions, drop_noise
from crawler.posts.layout import blockify, tidy_layout
from crawler.posts.licence import attribution
from crawler.posts.normalize import normalize
from crawler.posts.post import lead_image, publication_time, source_name
from crawler.posts.sanitize import ALLOWED_TAGS, sanitize
from crawler.posts.text import block_text, cut_excerpt, decode_entities, excerpt_source
from crawler.posts.tree import parse_fragment, serialize
from domain.article import KST, Article, Image
from tests.seed_profile import SEED_PROFILE

BASE = "https://www.korea.kr/news/policyNewsView.do?newsId=148900001"


def run(step: Callable[..., HtmlElement], html: str, *args: object) -> str:
    """A tree step applied to `html`, serialized back: the steps share one tree, the tables are text."""
    return serialize(step(parse_fragment(html), *args))


def article(**changes: object) -> Article:
    base = Article(
        source="korea_kr",
        external_id="148900001",
        url=BASE,
        section="policy",
        title="정책 뉴스",
        published_at=datetime(2026, 5, 12, 14, 5, tzinfo=KST),
        body_html="<p>본문 첫 문단이다.</p>",
        subtitles=("부제목이다",),
        license_type=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- text steps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("정책&amp;middot;뉴스", "정책·뉴스"),  # korea.kr escapes some titles twice
        ("A &amp;amp;amp; B", "A & B"),
        ("&lt;한정애 의장&gt;", "<한정애 의장>"),
        ("no entities", "no entities"),
        ("&amp;", "&"),
    ],
)
def test_decode_entities(raw: str, expected: str) -> None:
    assert decode_entities(raw) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("짧은 문장이다.", 300, "짧은 문장이다."),
        ("첫 문장이다. 둘째 문장이다. 셋째 문장이다.", 16, "첫 문장이다. 둘째 문장이다."),
        ("첫 문장이다. 둘째 문장이다. 셋째 문장이다.", 15, "첫 문장이다."),
        ("정말인가? 그렇다! 끝이다.", 12, "정말인가? 그렇다!"),
        # "3.5%" and "korea.kr" hold a dot that ends nothing.
        ("금리는 3.5%다. 자세한 내용은 www.korea.kr 참고.", 20, "금리는 3.5%다."),
        # A closing quote stays with its sentence.
        ('그는 "좋다." 라고 했다. 다음 문장.', 10, '그는 "좋다."'),
        ("마침표 없이 길게 이어지는 문장 하나", 10, "마침표 없이 길게"),
        ("공백없이길게이어지는한단어", 5, "공백없이길"),
        ("  공백과\t탭\n줄바꿈  ", 300, "공백과 탭 줄바꿈"),
    ],
)
def test_cut_excerpt(text: str, limit: int, expected: str) -> None:
    assert cut_excerpt(text, limit) == expected


def test_cut_excerpt_never_exceeds_limit_nor_cuts_a_word() -> None:
    words = "가나다라 마바사 아자차카 타파하 " * 40
    for limit in range(5, 200, 7):
        cut = cut_excerpt(words, limit)
        assert len(cut) <= limit
        assert words.startswith(cut) and words[len(cut)] == " "


@pytest.mark.parametrize(
    ("subtitles", "html", "limit", "expected"),
    [
        (("첫째 부제", "둘째 부제"), "<p>본문</p>", 300, "첫째 부제 둘째 부제"),
        (("", "  "), "<h2>제목</h2><p>첫 문단.</p><p>둘째<br>줄.</p>", 300, "첫 문단. 둘째 줄."),
        (
            (),
            "<p>첫 문단.</p><figure><figcaption>사진</figcaption></figure><p>둘째.</p>",
            300,
            "첫 문단. 둘째.",
        ),
        ((), "<p>aaaa.</p><p>bbbb.</p><p>cccc.</p>", 6, "aaaa. bbbb."),  # stops once the limit is passed
        (("&amp;middot; 부제\t",), "", 300, "· 부제"),
        ((), "", 300, ""),
    ],
)
def test_excerpt_source(subtitles: tuple[str, ...], html: str, limit: int, expected: str) -> None:
    assert excerpt_source(subtitles, parse_fragment(html), limit) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a<br>b</p>", "a b"),
        ("<p> a <b>b</b>\n c </p>", "a b c"),
        ("<p>a<!-- note -->b</p>", "ab"),
    ],
)
def test_block_text(html: str, expected: str) -> None:
    assert block_text(fragment_fromstring(html)) == expected


# --- HTML steps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ("<style>p{}</style><p>a</p>", "<p>a</p>"),
        ("<p>a<!-- secret -->b</p>", "<p>ab</p>"),
        ("<form><input value=x>form text</form><p>a</p>", "<p>a</p>"),
        ("<p>a</p><div class='view_opt'><a href='#'>공유하기</a></div>", "<p>a</p>"),
        ("<p>a</p><div id='livereContainer'>댓글</div>", "<p>a</p>"),
        ("<p>a<span class='blind'>새창 열림</span></p>", "<p>a</p>"),
        ("<p>a<span style='display: none'>숨김</span></p>", "<p>a</p>"),
        ("<p>본문</p><p><a href='/list.do'>목록</a></p>", "<p>본문</p>"),
        ("<p>목록 보기 전에 읽을 본문</p>", "<p>목록 보기 전에 읽을 본문</p>"),
        (
            "<a href='x'><img src='https://www.korea.kr/newsWeb/resources/rss/btn_textview.gif'></a><p>a</p>",
            "<p>a</p>",
        ),
        (
            "<p>a<br>[자료제공 :<a href='https://www.korea.kr'>"
            "<img src='https://www.korea.kr/newsWeb/resources/rss/icon_logo.gif'></a>]<br></p>",
            "<p>a<br><br></p>",
        ),
        ("<p>[자료제공 : 국토교통부] 끝</p>", "<p> 끝</p>"),
        ("<p>본문 <img src='/a.jpg' alt='사진'></p>", '<p>본문 <img src="/a.jpg" alt="사진"></p>'),
    ],
)
def test_drop_noise(html: str, expected: str) -> None:
    assert run(drop_noise, html) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<a href="/x.do?a=1">x</a>', '<a href="https://www.korea.kr/x.do?a=1">x</a>'),
        ('<a href="y.do">y</a>', '<a href="https://www.korea.kr/news/y.do">y</a>'),
        ('<a href="//cdn.example.com/z">z</a>', '<a href="https://cdn.example.com/z">z</a>'),
        ('<a href="http://example.com/">e</a>', '<a href="http://example.com/">e</a>'),
        ('<a href="javascript:alert(1)">js <b>bold</b></a>', "js <b>bold</b>"),
        ('<a href="mailto:a@b.c">mail</a>', "mail"),
        ('<a href="#top">top</a>', "top"),
        ("<a>no href</a>", "no href"),
        ('<img src="/a.jpg">', '<img src="https://www.korea.kr/a.jpg">'),
        (
            '<img src="/loading.gif" data-src="/real.jpg">',
            '<img src="https://www.korea.kr/real.jpg" data-src="/real.jpg">',
        ),
        ('a<img src="data:image/png;base64,AAAA">b', "ab"),
        ('a<img src="javascript:x">b', "ab"),
        ("a<img>b", "ab"),
    ],
)
def test_absolutize_urls(html: str, expected: str) -> None:
    assert run(absolutize_urls, html, BASE) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a</p><p>b</p>", "<p>a</p><p>b</p>"),
        ("loose text", "<p>loose text</p>"),
        ("one<br>two<br><br>three", "<p>one<br>two</p><p>three</p>"),
        ("<br><br>text<br>", "<p>text</p>"),
        ("<div><p>a</p><div>b<b>c</b></div></div>", "<p>a</p><p>b<b>c</b></p>"),
        (
            "<div>x<table><tr><td>1</td></tr></table>y</div>",
            "<p>x</p><table><tr><td>1</td></tr></table><p>y</p>",
        ),
        ("<h1>t</h1><h5>u</h5><h6>v</h6>", "<h2>t</h2><h4>u</h4><h4>v</h4>"),
        ("<span>in <b>line</b></span> tail", "<p><span>in <b>line</b></span> tail</p>"),
        ("<img src='a.jpg'>", '<p><img src="a.jpg"></p>'),
        ("<section><h3>s</h3><ul><li>i</li></ul></section>", "<h3>s</h3><ul><li>i</li></ul>"),
        ("<dl><dt>용어</dt><dd>뜻</dd></dl>", "<p>용어</p><p>뜻</p>"),
        ("   ", ""),
    ],
)
def test_blockify(html: str, expected: str) -> None:
    assert run(blockify, html) == expected


IMG = "https://www.korea.kr/a.jpg"


@pytest.mark.parametrize(
    ("html", "images", "expected"),
    [
        # The visible caption repeats the alt text: shown once, as the figcaption.
        (
            f'<p><img src="{IMG}" alt="전경"></p><p>전경</p><p>다음 문단</p>',
            (),
            f'<figure><img src="{IMG}" alt="전경"><figcaption>전경</figcaption></figure><p>다음 문단</p>',
        ),
        # Doubled, once with a photo credit: the fuller one is kept.
        (
            f'<p><img src="{IMG}" alt="전경"></p><p>전경. (사진=문체부)</p><p>전경</p>',
            (),
            f'<figure><img src="{IMG}" alt="전경"><figcaption>전경. (사진=문체부)</figcaption></figure>',
        ),
        # The caption inside the image's own block, then repeated after it.
        (
            f'<p><span><img src="{IMG}" alt="지도"></span><br>지도</p><p>지도</p>',
            (),
            f'<figure><img src="{IMG}" alt="지도"><figcaption>지도</figcaption></figure>',
        ),
        # No visible caption: the alt stays, no figcaption is invented.
        (
            f'<p><img src="{IMG}" alt="전경"></p><p>다른 문단</p>',
            (),
            f'<figure><img src="{IMG}" alt="전경"></figure><p>다른 문단</p>',
        ),
        # The article's image caption fills a missing alt and recognises the caption paragraph.
        (
            f'<p><img src="{IMG}"></p><p>행사 모습</p>',
            (Image(url=IMG, caption="행사 모습"),),
            f'<figure><img src="{IMG}" alt="행사 모습"><figcaption>행사 모습</figcaption></figure>',
        ),
        # An image inside a text paragraph stays where it is.
        (
            f'<p>아이콘 <img src="{IMG}" alt="PDF"> 내려받기</p><p>PDF</p>',
            (),
            f'<p>아이콘 <img src="{IMG}" alt="PDF"> 내려받기</p><p>PDF</p>',
        ),
        ("<p>그림 없음</p>", (), "<p>그림 없음</p>"),
    ],
)
def test_collapse_captions(html: str, images: tuple[Image, ...], expected: str) -> None:
    assert run(collapse_captions, html, images) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a</p>", '<p data-ke-size="size16">a</p>'),
        (
            "<h2>a</h2><h3>b</h3><h4>c</h4>",
            '<h2 data-ke-size="size26">a</h2><h3 data-ke-size="size23">b</h3>'
            '<h4 data-ke-size="size20">c</h4>',
        ),
        ('<p data-ke-size="size99">a</p>', '<p data-ke-size="size16">a</p>'),
        ("<ul><li>a</li></ul>", "<ul><li>a</li></ul>"),
        ("<blockquote><p>q</p></blockquote>", '<blockquote><p data-ke-size="size16">q</p></blockquote>'),
    ],
)
def test_add_tistory_sizes(html: str, expected: str) -> None:
    assert run(add_tistory_sizes, html) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>  a \n\t b  </p>", "<p>a b</p>"),
        ("<p> x <br>  y </p>", "<p>x<br>y</p>"),
        ("<p>\xa0\xa0○ 항목</p>", "<p>○ 항목</p>"),
        ("<ul><li> a </li><li>b</li></ul>", "<ul>\n    <li>a</li>\n    <li>b</li>\n</ul>"),
        (
            "<table><tr><td>1</td></tr></table>",
            "<table>\n    <tbody>\n        <tr>\n            <td>1</td>\n"
            "        </tr>\n    </tbody>\n</table>",
        ),
        (
            "<table><thead><tr><th>h</th></tr></thead><tfoot><tr><td>f</td></tr></tfoot></table>",
            "<table>\n    <thead>\n        <tr>\n            <th>h</th>\n        </tr>\n    </thead>\n"
            "    <tbody>\n        <tr>\n            <td>f</td>\n        </tr>\n    </tbody>\n</table>",
        ),
    ],
)
def test_tidy_layout(html: str, expected: str) -> None:
    assert run(tidy_layout, html) == expected


def test_split_blocks() -> None:
    assert split_blocks(parse_fragment("<p>a</p>\n<h2>b</h2><ul><li>c</li></ul>")) == [
        "<p>a</p>",
        "<h2>b</h2>",
        "<ul><li>c</li></ul>",
    ]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            '<p data-ke-size="size16" class="x" id="y" style="color:red" onclick="z()">a</p>',
            '<p data-ke-size="size16">a</p>',
        ),
        ('<p data-ke-size="size99">a</p>', "<p>a</p>"),
        (
            '<a href="https://a.kr/" target="_blank" title="t">a</a>',
            '<a href="https://a.kr/" rel="nofollow noopener">a</a>',
        ),
        ('<a href="javascript:alert(1)">a</a>', '<a rel="nofollow noopener">a</a>'),
        ('<a href="/relative">a</a>', '<a rel="nofollow noopener">a</a>'),
        (
            '<img src="https://a.kr/i.png" alt="i" onerror="alert(1)" width="10">',
            '<img src="https://a.kr/i.png" alt="i">',
        ),
        ('<img src="data:image/png;base64,AA">', "<img>"),
        (
            '<table><tr><td colspan="2" rowspan="x">c</td></tr></table>',
            '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>',
        ),
        ("<p>a<script>alert(1)</script><style>x</style><iframe>f</iframe>b</p>", "<p>ab</p>"),
        ("<p>a<svg><a href='https://x.kr/'>s</a></svg>b</p>", "<p>ab</p>"),
        # An HTML5 parser closes the paragraph at <form>; what matters is that f and g are gone.
        ("<p>a<form>f<input>g</form>b</p>", "<p>a</p>b<p></p>"),
        ("<p>a<!-- c -->b</p>", "<p>ab</p>"),
        ("<div><span>un</span>wrapped</div>", "unwrapped"),
        ("<p>&lt;tag&gt; &amp; &nbsp;</p>", "<p>&lt;tag&gt; &amp; &nbsp;</p>"),
    ],
)
def test_sanitize(block: str, expected: str) -> None:
    assert sanitize(block, "nofollow noopener") == expected


def test_sanitize_rel_comes_from_the_profile() -> None:
    assert sanitize('<a href="https://a.kr/">a</a>', "") == '<a href="https://a.kr/">a</a>'
    assert sanitize('<a href="https://a.kr/">a</a>', "ugc") == '<a href="https://a.kr/" rel="ugc">a</a>'


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        (['<p data-ke-size="size16"></p>', "<p>a</p>"], ["<p>a</p>"]),
        (["<p>&nbsp;</p>", "<p> &nbsp; </p>", "<p><br></p>", "<h2><b> </b></h2>"], []),
        (
            ['<figure><img src="https://a.kr/i.png" alt=""></figure>'],
            ['<figure><img src="https://a.kr/i.png" alt=""></figure>'],
        ),
        (["<ul><li></li></ul>", "<p>0</p>"], ["<p>0</p>"]),
    ],
)
def test_drop_empty_blocks(blocks: list[str], expected: list[str]) -> None:
    assert drop_empty_blocks(blocks) == expected


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("<p>{{ site.x }}</p>", "<p>&#123;{ site.x }}</p>"),
        ("<p>{% include x %}</p>", "<p>&#123;% include x %}</p>"),
        ("<p>{a} } %}</p>", "<p>{a} } %}</p>"),
    ],
)
def test_escape_liquid(block: str, expected: str) -> None:
    assert escape_liquid(block) == expected


# --- around the body ---------------------------------------------------------------------------


def test_hero_block_is_the_seed_line_and_escapes_profile_values() -> None:
    assert hero_block(SEED_PROFILE) == '<p><img src="/assets/img/news.png" alt="rentncar 속보" /></p>'
    custom = replace(SEED_PROFILE, hero_image_src='/a"b.png', hero_image_alt="<속보>")
    assert hero_block(custom) == '<p><img src="/a&quot;b.png" alt="&lt;속보&gt;" /></p>'


def test_closing_blocks() -> None:
    profile = SEED_PROFILE
    blocks = closing_blocks(article(contact="부서 <담당>(044-000-0000)"), profile)
    assert blocks == [
        '<p data-ke-size="size16">추가 문의: 부서 &lt;담당&gt;(044-000-0000)</p>',
        f'<p data-ke-size="size16">{attribution(article())}</p>',
        f'<p data-ke-size="size16">출처: <a href="{BASE}" rel="nofollow noopener">'
        "대한민국 정책브리핑(www.korea.kr)</a></p>",
        profile.footer_html,
    ]


def test_closing_blocks_without_contact_footer_or_web_url() -> None:
    no_footer = replace(SEED_PROFILE, footer_html="")
    blocks = closing_blocks(article(contact="  ", url="javascript:alert(1)"), no_footer)
    assert len(blocks) == 2
    assert blocks[1] == '<p data-ke-size="size16">출처: 대한민국 정책브리핑(www.korea.kr)</p>'


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (datetime(2026, 5, 12, 14, 5, tzinfo=KST), datetime(2026, 5, 12, 14, 5, tzinfo=KST)),
        # 20:30 UTC is already the next day in Seoul: the file name must say so.
        (datetime(2026, 5, 12, 20, 30, tzinfo=UTC), datetime(2026, 5, 13, 5, 30, tzinfo=KST)),
        (datetime(2026, 5, 12, 14, 5), datetime(2026, 5, 12, 14, 5, tzinfo=KST)),
    ],
)
def test_publication_time(published: datetime, expected: datetime) -> None:
    result = publication_time(published)
    assert result == expected
    assert result.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(
    ("policy", "images", "expected"),
    [
        ("default", (Image(url="https://www.korea.kr/a.jpg"),), "/assets/img/newspaper.png"),
        (
            "lead",
            (Image(url="https://www.korea.kr/a.jpg"), Image(url="https://www.korea.kr/b.jpg")),
            "https://www.korea.kr/a.jpg",
        ),
        ("lead", (), "/assets/img/newspaper.png"),
        ("lead", (Image(url="javascript:alert(1)"),), "/assets/img/newspaper.png"),
    ],
)
def test_lead_image(policy: str, images: tuple[Image, ...], expected: str) -> None:
    assert lead_image(article(images=images), replace(SEED_PROFILE, image_policy=policy)) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.korea.kr/news/x.do?newsId=1", "korea.kr"),
        ("https://m.korea.kr/news/x.do", "m.korea.kr"),
        ("not a url", "korea_kr"),
    ],
)
def test_source_name(url: str, expected: str) -> None:
    assert source_name(url, "korea_kr") == expected


# --- end to end: hostile bodies and idempotence ------------------------------------------------

HOSTILE_BODIES = [
    "<script>alert('x')</script><p>ok</p>",
    '<p>ok<img src="https://a.kr/i.png" onerror="alert(1)"></p>',
    '<img src=x onerror="alert(1)">',
    '<p><a href="javascript:alert(1)">click</a></p>',
    '<p><a href="JaVaScRiPt:alert(1)">click</a><a href=" javascript:alert(1)">x</a></p>',
    '<p><a href="data:text/html;base64,PHNjcmlwdD4=">d</a></p>',
    '<iframe src="https://evil.example/"></iframe><p>ok</p>',
    "<style>body{display:none}</style><p>ok</p>",
    '<svg onload="alert(1)"><script>alert(2)</script></svg><p>ok</p>',
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    "<p>ok<!-- <script>alert(1)</script> --></p>",
    '<form action="https://evil.example/"><input name="q"><button>go</button></form>',
    '<p style="background:url(javascript:alert(1))" class="x" id="y">styled</p>',
    '<div class="a" id="b"><span style="color:red">s</span></div>',
    "<object data='x.swf'></object><embed src='x.swf'>",
    "<p>a</p><noscript><p>no</p></noscript><template><p>t</p></template>",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="https://a.kr/" onclick="alert(1)" onmouseover="alert(2)">link</a>',
    '<table><tr><td style="x" class="y" onclick="z">c</td></tr></table>',
    "<p>\x00\x01control\x08 chars\x7f</p>",
    '<?xml version="1.0" encoding="utf-8"?><p>declared</p>',
    "<base href='https://evil.example/'><meta http-equiv='refresh' content='0'><link rel=stylesheet href=x>",
]
FORBIDDEN = re.compile(
    r"<script|<iframe|<style|<svg|<math|<form|<input|<object|<embed|<!--|<meta|<base|<link|"
    r"javascript:|data:|onerror|onload|onclick|onmouseover|alert\(|\sstyle=|\sclass=|\sid=",
    re.IGNORECASE,
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "rel"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "p": {"data-ke-size"},
    "h2": {"data-ke-size"},
    "h3": {"data-ke-size"},
    "h4": {"data-ke-size"},
}


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_bodies_never_reach_the_output(body: str) -> None:
    post = normalize(article(body_html=body, subtitles=()), SEED_PROFILE)
    assert not FORBIDDEN.search(post.body)
    root = fragment_fromstring(f"<div>{post.body}</div>")
    for el in root.iterdescendants():
        assert isinstance(el.tag, str), "a comment or processing instruction survived"
        assert el.tag in ALLOWED_TAGS
        assert set(el.attrib) <= ALLOWED_ATTRIBUTES.get(el.tag, set()), (el.tag, dict(el.attrib))
        for name in ("href", "src"):
            if name in el.attrib and not el.attrib[name].startswith("/assets/"):
                assert el.attrib[name].startswith(("https://", "http://"))


def test_hostile_body_text_does_not_leak_into_the_excerpt() -> None:
    body = "<script>alert(1)</script><style>p{}</style><p>본문이다.</p><iframe>frame</iframe>"
    post = normalize(article(body_html=body, subtitles=()), SEED_PROFILE)
    assert post.excerpt == "본문이다."


def test_liquid_in_the_body_is_escaped() -> None:
    post = normalize(article(body_html="<p>{{ site.secret }} {% include x %}</p>"), SEED_PROFILE)
    assert "{{" not in post.body and "{%" not in post.body
    assert "&#123;{ site.secret }}" in post.body


def test_normalize_is_idempotent() -> None:
    source = article(
        body_html="<p>a</p><table><tr><td>1</td></tr></table><p><img src='/i.jpg' alt='c'></p><p>c</p>",
        images=(Image(url="https://www.korea.kr/i.jpg", caption="c"),),
        tags=("태그",),
        contact="담당 부서",
    )
    first, second = normalize(source, SEED_PROFILE), normalize(source, SEED_PROFILE)
    assert first == second
    assert first.text.encode() == second.text.encode()


def test_a_changed_body_gives_a_new_hash() -> None:
    before = normalize(article(body_html="<p>첫 판이다.</p>"), SEED_PROFILE)
    after = normalize(article(body_html="<p>고친 판이다.</p>"), SEED_PROFILE)
    assert before.hash != after.hash
    assert before.filename == after.filename


def test_post_fields_agree_with_its_text() -> None:
    import hashlib

    post = normalize(article(published_at=datetime(2026, 5, 12, 23, 30, tzinfo=UTC)), SEED_PROFILE)
    assert post.text.endswith(post.body)
    assert post.body.endswith("</a>\n") and not post.body.endswith("\n\n")
    assert post.hash == hashlib.sha256(post.text.encode("utf-8")).hexdigest()
    assert post.date.isoformat() == "2026-05-13"
    assert post.filename == f"2026-05-13-{post.slug}.md"
    assert "\r" not in post.text and "\n\n\n" not in post.text


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            "<table>\n    <tbody>\n        <tr>\n            <td>a</td>\n"
            "        </tr>\n    </tbody>\n</table>",
            "<table>\n    <tr>\n        <td>a</td>\n    </tr>\n</table>",
        ),
        (  # with a thead the tbody is real structure and stays
            "<table>\n    <thead>\n        <tr>\n            <th>h</th>\n        </tr>\n    </thead>\n"
            "    <tbody>\n        <tr>\n            <td>a</td>\n        </tr>\n    </tbody>\n</table>",
            None,
        ),
        ("<p>not a table</p>", None),
    ],
)
def test_drop_implicit_tbody(block: str, expected: str | None) -> None:
    assert drop_implicit_tbody(block) == (expected if expected is not None else block)


def test_seed_style_table_renders_without_tbody() -> None:
    body = "<table><tr><th>구분</th><th>대기업</th></tr><tr><td><b>비중</b></td><td>21%</td></tr></table>"
    post = normalize(article(body_html=body), SEED_PROFILE)
    assert (
        "<table>\n    <tr>\n        <th>구분</th>\n        <th>대기업</th>\n    </tr>\n"
        "    <tr>\n        <td><b>비중</b></td>\n        <td>21%</td>\n    </tr>\n</table>"
    ) in post.body


def test_the_body_is_parsed_once_per_article(monkeypatch: pytest.MonkeyPatch) -> None:
    """One lxml parse per article: every step works on the same tree (issue 11)."""
    import crawler.posts.tree as tree

    calls: list[str] = []
    real = tree.fragments_fromstring

    def counting(html: str, *args: object, **kwargs: object) -> list[HtmlElement | str]:
        calls.append(html)
        return real(html, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tree, "fragments_fromstring", counting)
    body = "<div><p>a</p><p><img src='/i.jpg' alt='c'></p><p>c</p><table><tr><td>1</td></tr></table></div>"
    normalize(article(body_html=body, subtitles=()), SEED_PROFILE)
    assert len(calls) == 1


def test_an_odd_tag_name_does_not_break_the_steps() -> None:
    """`<script<` parses as a tag named `script<`, which lxml refuses to set again (hypothesis found it)."""
    post = normalize(article(body_html="<p>a</p><script<>x<h1>t</h1>", subtitles=()), SEED_PROFILE)
    assert "<script" not in post.text
    assert '<h2 data-ke-size="size26">t</h2>' in post.body
