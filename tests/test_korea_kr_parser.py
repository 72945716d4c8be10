"""Golden-file and per-field tests for the korea.kr article and list-page parser."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.errors import CrawlError, LayoutChanged, NotAnArticle
from crawler.sites.korea_kr import parse_article, parse_list_page
from crawler.sites.korea_kr_layouts import ALL_LAYOUTS, LAYOUTS, LayoutUnknown
from crawler.sites.korea_kr_press import viewer_paragraphs
from domain.article import KST, Article, Attachment, Image, content_dict, content_hash

FIXTURES = Path(__file__).parent / "fixtures" / "korea_kr"
REGENERATE = "python scripts/regenerate_korea_kr_fixtures.py"
URL = "https://www.korea.kr/news/policyNewsView.do?newsId=148900001"


# --- golden files: tests/fixtures/korea_kr/<name>.html + <name>.expected.json -----------------
def fixture_names() -> list[str]:
    return sorted(p.name.removesuffix(".expected.json") for p in FIXTURES.glob("*.expected.json"))


def render(name: str, case: dict[str, Any]) -> Any:
    """The parser's output for one fixture as plain JSON data (what the expected file holds)."""
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    result: object
    try:
        if case["kind"] == "list":
            result = dataclasses.asdict(parse_list_page(html, case["url"]))
        elif case["kind"] == "viewer":  # a press release's converted page (document viewer)
            result = viewer_paragraphs(html)
        else:
            result = content_dict(parse_article(html, case["url"], section=case["section"]))
    except CrawlError as exc:  # the stored kind, the field and the layout when one was recognised
        missing, layout = getattr(exc, "missing", None), getattr(exc, "layout", None)
        return {"error": exc.kind, "missing": missing, "layout": layout}
    return json.loads(json.dumps(result, default=str))  # tuples become lists, dates ISO strings


def snapshot(case: dict[str, Any]) -> str:
    return json.dumps(case, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", fixture_names())
def test_fixture_matches_expected(name: str) -> None:
    case = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert render(name, case) == case["expected"], (
        f"{name}.html no longer parses to {name}.expected.json; if the change is intended, "
        f"run `{REGENERATE} {name}` and review the diff"
    )


def test_every_fixture_page_has_an_expected_file() -> None:
    pages = sorted(p.name.removesuffix(".html") for p in FIXTURES.glob("*.html"))
    assert pages == fixture_names(), f"start a missing expected file with `{REGENERATE} --new NAME --url URL`"


def test_fixtures_cover_the_layouts_the_spec_names() -> None:
    layouts = {
        "policy_news",  # images with doubled captions, a table, a contact line, KOGL type 1
        "policy_news_no_ld_json",
        "policy_news_og_title",  # invalid ld+json, double-escaped og:title, no h1
        "policy_news_kogl4",
        "press_release_attachments",  # viewer iframe body, div.filedown pairs
        "old_layout_file_down",  # h2.page_title, #viewCont, div.file_down
        "briefing_speaker",
        "no_title",
        "list_policy",
        "list_empty",
        "list_old_layout",
        "list_state_council",
        "list_press",  # previews only
        "list_briefing",  # a table with the presenter
        "list_fact",  # whole fact-checks, and one preview
        "press_release_viewer",  # iframe shell, embargo tag in the attachment names
        "press_release_inline",  # older layout: the text in the page
        "fact_check_shell",
        "briefing_no_speaker",  # neither speaker nor ministry on the page: the list has them
        "briefing_speaker_not_in_body",  # the speaker is added to the transcript
        "viewer_page",  # words split over spans
        # The §13 contract layouts (docs/spec/korea-kr.md §13), written from its selector table.
        "press_release_admin2",  # admin2.: no .view_title/.variety; 바로보기 = docViewer.do
        "press_release_www_copy",  # the same newsId on www
        "briefing_contract",  # .variety .info > span x2; §13.3 attachment link
        "fact_check_contract",  # .article_head h1, .info span, #container .view_cont
        "list_contract",  # span.text > strong; an admin2. link
        "unknown_layout",  # a redesign: an item error of kind `layout`
    }
    assert layouts <= set(fixture_names())


def test_every_known_layout_parses_at_least_one_fixture() -> None:
    seen = set()
    for name in fixture_names():
        case = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
        if case["kind"] == "article":
            seen.add(case["expected"].get("layout"))
    assert {layout.name for layout in ALL_LAYOUTS} <= seen


def test_layouts_are_tried_contract_first_and_newest_first() -> None:
    assert [layout.name for layout in LAYOUTS["press"]] == ["admin2-press-2026", "www-2026", "legacy-2019"]
    assert LAYOUTS["fact"][0].name == "fact-2026" and LAYOUTS["policy"][0].name == "www-2026"
    for layouts in LAYOUTS.values():
        dates = [layout.seen for layout in layouts]
        assert dates == sorted(dates, reverse=True)
    names = [layout.name for layout in ALL_LAYOUTS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*-\d{4}", n) for n in names)


def _fixture(name: str, section: str, url: str) -> Article:
    return parse_article((FIXTURES / f"{name}.html").read_text(encoding="utf-8"), url, section=section)


def test_admin2_press_release_is_the_www_article_in_another_layout() -> None:
    admin2 = _fixture(
        "press_release_admin2", "press", "https://admin2.korea.kr/briefing/pressReleaseView.do?newsId=156782659"
    )
    www = _fixture(
        "press_release_www_copy", "press", "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156782659"
    )
    assert (admin2.url, admin2.external_id) == (www.url, www.external_id)
    assert (admin2.layout, www.layout) == ("admin2-press-2026", "www-2026")
    # Same content, so storage merges them without a new revision: the layout is bookkeeping.
    assert content_hash(admin2) == content_hash(www)
    assert len(admin2.attachments) == 2  # two files, each with its 바로보기 and 내려받기 link


def test_a_page_of_no_known_layout_is_a_layout_error_naming_the_url() -> None:
    url = "https://www.korea.kr/news/policyNewsView.do?newsId=148990001"
    with pytest.raises(LayoutUnknown) as caught:
        _fixture("unknown_layout", "policy", url)
    assert caught.value.kind == "layout" and caught.value.url == url
    assert url in str(caught.value) and "www-2026" in caught.value.message


def test_a_missing_field_names_the_layout_the_page_matched() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse(page(title='<div class="view_title"><h1> </h1></div>'))
    assert caught.value.kind == "layout_changed"
    assert caught.value.message == "layout changed: no title found (page of layout www-2026)"


# --- building blocks for small pages --------------------------------------------------------
def page(
    body: str = "<p>본문입니다.</p>",
    *,
    title: str = '<div class="view_title"><h1>제목</h1></div>',
    info: str = "<span>2026.05.12</span>",
    head: str = "",
    article_head: str = "",
    after_body: str = "",
) -> str:
    return (
        f"<html><head>{head}</head><body><section id='container'>{title}<div class='article_wrap'>"
        f"<div class='article_head'>{article_head}"
        f"<div class='variety'><div class='info'>{info}</div></div></div>"
        f"<div class='article_body'><div class='view_cont'>{body}</div></div>{after_body}</div>"
        "</section></body></html>"
    )


def ld(**fields: object) -> str:
    data = json.dumps(
        {"@context": "https://schema.org", "@type": "NewsArticle", **fields}, ensure_ascii=False
    )
    return f'<script type="application/ld+json">{data}</script>'


def og_title(value: str) -> str:
    return f'<meta property="og:title" content="{value}">'


def parse(html: str, url: str = URL, **kwargs: Any) -> Article:
    return parse_article(html, url, **kwargs)


# --- title ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "title_html",
    [
        '<div class="view_title"><h1>정부 발표</h1></div>',
        "<h1>정부 발표</h1>",  # #container h1
        '<div class="article_head"><h1>정부 발표</h1></div>',
        '<h2 class="page_title"><strong>정부 발표</strong></h2>',
    ],
)
def test_title_selectors_in_fallback_order(title_html: str) -> None:
    assert parse(page(title=title_html)).title == "정부 발표"


def test_view_title_wins_over_later_fallbacks() -> None:
    html = page(
        title='<h2 class="page_title"><strong>옛 제목</strong></h2>'
        '<div class="view_title"><h1>새 제목</h1></div>'
    )
    assert parse(html).title == "새 제목"


@pytest.mark.parametrize(
    ("og", "expected"),
    [
        ("A &amp;middot; B | 정책뉴스 | 대한민국 정책브리핑", "A · B"),
        ("&amp;quot;따옴표&amp;quot; - 대한민국 정책브리핑", '"따옴표"'),
        ("제목 | 대한민국 정책브리핑", "제목"),
        ("제목 | 보도자료 | 정책브리핑", "제목"),
        # Without the site name nothing is stripped: " | " may be part of the title itself.
        ("전기차 | 수소차 보조금", "전기차 | 수소차 보조금"),
        ("정책뉴스 | 이번 주 정리", "정책뉴스 | 이번 주 정리"),
    ],
)
def test_og_title_is_unescaped_twice_and_loses_the_site_suffix(og: str, expected: str) -> None:
    assert parse(page(title="", head=og_title(og))).title == expected


def test_ld_headline_is_the_last_title_fallback() -> None:
    assert parse(page(title="", head=ld(headline="ld 제목"))).title == "ld 제목"


def test_title_whitespace_is_collapsed_but_text_kept_verbatim() -> None:
    html = page(title='<div class="view_title"><h1>\n  [국토교통부]  디딤돌&nbsp;대출…\n  "동결" </h1></div>')
    assert parse(html).title == '[국토교통부] 디딤돌 대출… "동결"'


def test_missing_title_is_a_layout_change_naming_the_field() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse(page(title='<div class="view_title"><h1> </h1></div>'))
    assert caught.value.missing == "title"
    assert caught.value.url == URL


# --- subtitles --------------------------------------------------------------------------------
def test_each_subtitle_h2_is_one_string_and_empty_ones_are_dropped() -> None:
    html = page(article_head="<h2>첫째 줄<br>이어지는 말</h2><h2> </h2><h2>둘째 <b>부제</b></h2>")
    assert parse(html).subtitles == ("첫째 줄 이어지는 말", "둘째 부제")


def test_nested_subtitle_h2_is_the_fallback() -> None:
    assert parse(page(article_head="<div class='sub'><h2>안쪽 부제</h2></div>")).subtitles == ("안쪽 부제",)


def test_no_subtitles() -> None:
    assert parse(page()).subtitles == ()


# --- published_at -----------------------------------------------------------------------------
def test_date_only_page_is_midnight_kst() -> None:
    published = parse(page()).published_at
    assert published == datetime(2026, 5, 12, 0, 0, tzinfo=KST)
    assert published.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize("shown", ["2026-05-12", "2026.05.12.", "2026.5.12"])
def test_date_formats(shown: str) -> None:
    assert parse(page(info=f"<span>{shown}</span>")).published_at.date().isoformat() == "2026-05-12"


def test_first_span_that_is_a_date_wins() -> None:
    assert parse(page(info="<span>조회 3</span><span>2026.05.13</span>")).published_at.day == 13


def test_time_comes_from_ld_json_when_it_names_the_same_day() -> None:
    html = page(head=ld(datePublished="2026-05-12T14:05:30+09:00"))
    assert parse(html).published_at == datetime(2026, 5, 12, 14, 5, 30, tzinfo=KST)


def test_utc_timestamp_is_converted_before_comparing_days() -> None:
    html = page(info="<span>2026.05.13</span>", head=ld(datePublished="2026-05-12T23:30:00Z"))
    assert parse(html).published_at == datetime(2026, 5, 13, 8, 30, tzinfo=KST)


def test_naive_timestamp_is_read_as_kst() -> None:
    html = page(head=ld(datePublished="2026-05-12T09:00:00"))
    assert parse(html).published_at == datetime(2026, 5, 12, 9, 0, tzinfo=KST)


def test_timestamp_of_another_day_is_ignored() -> None:
    html = page(head=ld(datePublished="2026-05-11T14:05:00+09:00"))
    assert parse(html).published_at == datetime(2026, 5, 12, 0, 0, tzinfo=KST)


def test_article_published_time_meta_when_ld_json_disagrees() -> None:
    head = ld(datePublished="2026-05-11T10:00:00+09:00") + (
        '<meta property="article:published_time" content="2026-05-12T16:43:13+09:00">'
    )
    assert parse(page(head=head)).published_at == datetime(2026, 5, 12, 16, 43, 13, tzinfo=KST)


def test_timestamp_alone_when_the_page_shows_no_date() -> None:
    html = page(info="", head=ld(datePublished="2026-05-10T08:00:00+09:00"))
    assert parse(html).published_at == datetime(2026, 5, 10, 8, 0, tzinfo=KST)


def test_no_date_anywhere_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse(page(info="<span>국방부</span>", head=ld(datePublished="어제")))
    assert caught.value.missing == "date"


@pytest.mark.parametrize(
    "block",
    [
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": </script>',
        '<script type="application/ld+json"></script>',
        '<script type="application/ld+json">"just a string"</script>',
    ],
)
def test_broken_ld_json_falls_back_to_the_page(block: str) -> None:
    assert parse(page(head=block)).published_at == datetime(2026, 5, 12, 0, 0, tzinfo=KST)


def test_ld_json_graph_and_lists_are_searched_for_the_article() -> None:
    graph = {
        "@graph": [
            {"@type": "WebSite"},
            {"@type": "NewsArticle", "datePublished": "2026-05-12T07:00:00+09:00"},
        ]
    }
    head = f'<script type="application/ld+json">[{{"@type": "Organization"}}, {json.dumps(graph)}]</script>'
    assert parse(page(head=head)).published_at.hour == 7


# --- ministry, rep_code, speaker ---------------------------------------------------------------
MINISTRY = (
    "<span>2026.05.12</span>"
    '<span><a class="gotosite" href="/news/ministryNewsList.do?pWise=sub&amp;repCode=A00005">'
    '국방부<i class="tooltip">부처별 뉴스 이동</i></a></span>'
)


def test_ministry_without_tooltip_and_its_rep_code() -> None:
    article = parse(page(info=MINISTRY))
    assert (article.ministry, article.rep_code) == ("국방부", "A00005")


def test_footer_ministry_block_is_never_the_ministry() -> None:
    html = page(info="<span>2026.05.12</span>", after_body='<div class="ministry">행정부처 바로가기</div>')
    assert parse(html).ministry is None


def test_older_info_line_gives_the_ministry() -> None:
    assert parse(page(info="2019.03.05 국토교통부")).ministry == "국토교통부"


def test_ministry_link_without_rep_code() -> None:
    info = '<span>2026.05.12</span><a class="gotosite" href="/news/ministryNewsList.do">관세청</a>'
    assert (parse(page(info=info)).ministry, parse(page(info=info)).rep_code) == ("관세청", None)


def test_speaker_is_the_rest_of_the_info_line_on_briefings() -> None:
    info = MINISTRY + "<span>김민석 국무총리</span>"
    briefing = parse(page(info=info), section="briefing")
    assert (briefing.speaker, briefing.ministry) == ("김민석 국무총리", "국방부")
    assert parse(page(info=info), section="policy").speaker is None


def test_briefing_without_speaker() -> None:
    assert parse(page(info=MINISTRY), section="briefing").speaker is None


# --- body ---------------------------------------------------------------------------------------
def test_body_is_the_inner_html_of_view_cont() -> None:
    # Single words that are widget chrome as paragraphs ("목록", "보통") are content in cells and items.
    body = (
        "<p>첫 문단 &amp; 기호</p><table><tr><th>위험도</th><td>보통</td></tr></table><ul><li>목록</li></ul>"
        "<h3>소제목</h3>"
    )
    assert parse(page(body)).body_html == body


@pytest.mark.parametrize(
    "layout",
    [
        "<div class='view_cont'>{}</div>",
        "<div id='viewCont'>{}</div>",
        "<div class='article_body'>{}</div>",
    ],
)
def test_body_container_fallbacks(layout: str) -> None:
    html = (
        "<html><body><div id='container'><h1>제목</h1><div class='info'><span>2026.05.12</span></div>"
        f"{layout.format('<p>본문</p>')}</div></body></html>"
    )
    assert parse(html).body_html == "<p>본문</p>"


def test_chrome_inside_the_body_is_removed() -> None:
    body = (
        "<p>본문</p><div class='view_opt'>공유</div><div id='livereContainer'>댓글 위젯</div>"
        "<aside>광고</aside>"
        "<script>track()</script><style>p{}</style><!-- 주석 --><div class='lv-container'>x</div>"
        "<div class='article_footer'>저작권</div><button>인쇄</button>"
    )
    assert parse(page(body)).body_html == "<p>본문</p>"


@pytest.mark.parametrize(
    "line",
    [
        "공유하기",
        "이전기사",
        "URL 복사",
        "본문듣기",
        "이 자료는 국방부의 보도자료를 바탕으로 작성되었으며, 텍스트에 한하여 공공누리 제1유형의 조건에 따라 "
        "이용할 수 있습니다.",
        "단, 텍스트를 제외한 사진·이미지 등은 저작권법 제37조 및 제138조에 따라 이용에 제한이 있습니다.",
        "정책브리핑 게시물 운영원칙에 따라 다음과 같은 게시물은 삭제됩니다.",
    ],
)
def test_boilerplate_paragraphs_are_removed(line: str) -> None:
    assert parse(page(f"<p>본문</p><p>{line}</p>")).body_html == "<p>본문</p>"


def test_boilerplate_words_inside_a_sentence_stay() -> None:
    body = "<p>국민 <strong>댓글</strong>을 <em>공유하기</em> 쉽게 바꾼다.</p>"
    assert parse(page(body)).body_html == body


def test_empty_body_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse(page("<p>&nbsp;</p><p>공유하기</p>"))
    assert caught.value.missing == "body"


def test_missing_body_container_is_a_page_of_no_known_layout() -> None:
    html = (
        "<html><body><div id='container'><h1>제목</h1><div class='info'><span>2026.05.12</span></div>"
        "<p>떠도는 글</p></div></body></html>"
    )
    with pytest.raises(LayoutUnknown, match="none of the policy layouts") as caught:
        parse(html)
    assert caught.value.kind == "layout" and caught.value.url == URL
    assert caught.value.tried == ("www-2026", "legacy-2019")


def test_viewer_iframe_alone_counts_as_a_body() -> None:
    body = (
        '<div class="docConversion">'
        '<iframe id="content_press" src="/docViewer/iframe_skin/doc.html?fn=ab"></iframe></div>'
    )
    assert "content_press" in parse(page(body)).body_html


# --- contact ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "문의 : 산업통상자원부 기계로봇제조정책과(044-203-4311)",
        "[문의] 산업통상자원부 기계로봇제조정책과(044-203-4311)",
        "문의처: 산업통상자원부 기계로봇제조정책과(044-203-4311)",
        "문의 산업통상자원부 기계로봇제조정책과(044-203-4311)",
        "담당 부서 : 산업통상자원부 기계로봇제조정책과(044-203-4311)",
        "&lt;문의&gt; 산업통상자원부 기계로봇제조정책과(044-203-4311)",
    ],
)
def test_trailing_contact_line_moves_to_contact(line: str) -> None:
    article = parse(page(f"<p>본문</p><p>{line}</p>"))
    assert article.contact == "산업통상자원부 기계로봇제조정책과(044-203-4311)"
    assert article.body_html == "<p>본문</p>"


@pytest.mark.parametrize(
    "body",
    [
        "<p>담당자들은 현장을 점검했다.</p>",  # a sentence that merely starts with 담당
        "<p>문의 : 국방부(02-748-1111)</p><p>마지막 문단은 본문이다.</p>",  # not the last paragraph
    ],
)
def test_contact_only_from_a_trailing_labelled_line(body: str) -> None:
    article = parse(page(f"<p>본문</p>{body}"))
    assert article.contact is None
    assert article.body_html == f"<p>본문</p>{body}"


# --- images and captions ------------------------------------------------------------------------
IMG = (
    '<span class="imageSpan">'
    '<img src="/newsWeb/resources/attaches/2026.05/12/a.jpg" alt="현장 모습. (사진=국방부)"></span>'
)


def test_doubled_caption_lines_collapse_to_one() -> None:
    body = f"<p>{IMG}</p><p>현장 모습. (사진=국방부)</p><p>현장 모습. (사진=국방부)</p><p>본문</p>"
    article = parse(page(body))
    assert article.body_html == f"<p>{IMG}</p><p>현장 모습. (사진=국방부)</p><p>본문</p>"
    assert article.images == (
        Image("https://www.korea.kr/newsWeb/resources/attaches/2026.05/12/a.jpg", "현장 모습. (사진=국방부)"),
    )


def test_caption_inside_the_photo_paragraph_drops_the_repeat_below() -> None:
    body = f"<p>{IMG}<br>현장 모습. (사진=국방부)</p><p>현장 모습. (사진=국방부)</p><p>본문</p>"
    assert parse(page(body)).body_html == f"<p>{IMG}<br>현장 모습. (사진=국방부)</p><p>본문</p>"


def test_visible_caption_differing_from_alt_is_the_caption() -> None:
    body = '<p><img src="b.png" alt="사진">국무회의 모습</p><p>국무회의 모습</p><p>본문</p>'
    article = parse(page(body))
    assert article.images[0] == Image("https://www.korea.kr/news/b.png", "국무회의 모습")
    assert article.body_html == '<p><img src="b.png" alt="사진">국무회의 모습</p><p>본문</p>'


def test_same_text_further_down_is_not_a_caption() -> None:
    body = f"<p>{IMG}</p><p>다른 문단</p><p>현장 모습. (사진=국방부)</p>"
    assert parse(page(body)).body_html == body


def test_images_are_absolute_deduplicated_and_skip_inline_data() -> None:
    body = (
        '<p><span class="imageSpan"><img src="//www.korea.kr/a.jpg" alt="가"></span></p>'
        '<p><span class="imageSpan"><img src="https://www.korea.kr/a.jpg" alt="가"></span></p>'
        '<p><span class="imageSpan"><img src="data:image/gif;base64,R0lG" alt=""></span></p>'
    )
    assert parse(page(body)).images == (Image("https://www.korea.kr/a.jpg", "가"),)


def test_any_body_image_when_no_image_span_exists() -> None:
    body = '<p>본문</p><p><img src="/x/y.png" alt="그래프"></p>'
    assert parse(page(body)).images == (Image("https://www.korea.kr/x/y.png", "그래프"),)


def test_sidebar_images_are_not_article_images() -> None:
    html = page(after_body='<aside><img src="/side.jpg" alt="인기"></aside>')
    assert parse(html).images == ()


# --- tags, author -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"keyword": " 경제 , 성장,, 경제 ,&amp;middot;"}, ("경제", "성장", "·")),
        ({"keywords": ["가", " ", "나", "가"]}, ("가", "나")),
        ({"keywords": "가,나", "keyword": "다"}, ("가", "나")),
        ({}, ()),
    ],
)
def test_tags_from_ld_json(fields: dict[str, object], expected: tuple[str, ...]) -> None:
    assert parse(page(head=ld(**fields))).tags == expected


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ({"@type": "Person", "name": "홍길동 기자"}, "홍길동 기자"),
        ([{"name": "첫 필자"}, {"name": "둘째"}], "첫 필자"),
        ("문화체육관광부", "문화체육관광부"),
        ({"@type": "Person"}, None),
    ],
)
def test_author_from_ld_json(author: object, expected: str | None) -> None:
    assert parse(page(head=ld(author=author))).author == expected


# --- licence ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("footer", "expected"),
    [
        ("텍스트에 한하여 공공누리 제1유형(출처표시)의 조건에 따라", (1, True)),
        ("텍스트에 한해 공공누리 제 2 유형", (2, True)),
        ("공공누리 제3유형(출처표시+변경금지)", (3, False)),
        ('<img src="/kogl4.png" alt="공공누리 제4유형">', (4, False)),
        ("저작권은 필자에게 있습니다.", (None, False)),
    ],
)
def test_licence_from_the_article_footer(footer: str, expected: tuple[int | None, bool]) -> None:
    article = parse(page(after_body=f'<div class="article_footer"><p>{footer}</p></div>'))
    assert (article.license_type, article.license_text_only) == expected


def test_licence_is_not_taken_from_the_site_footer_when_the_article_footer_has_none() -> None:
    site_footer = '<footer id="footer"><img src="/kogl.png" alt="공공누리 제1유형"></footer>'
    html = page(after_body='<div class="article_footer"><p>저작권은 필자에게 있습니다.</p></div>')
    assert parse(html.replace("</body>", f"{site_footer}</body>")).license_type is None


def test_licence_around_the_article_when_there_is_no_article_footer() -> None:
    html = page(after_body='<div class="copyright">텍스트에 한하여 공공누리 제1유형</div>')
    assert (parse(html).license_type, parse(html).license_text_only) == (1, True)


def test_licence_paragraph_inside_the_body_counts_but_leaves_the_body() -> None:
    article = parse(
        page("<p>본문</p><p>이 자료는 텍스트에 한하여 공공누리 제1유형의 조건에 따라 이용할 수 있습니다.</p>")
    )
    assert (article.license_type, article.license_text_only, article.body_html) == (1, True, "<p>본문</p>")


# --- attachments --------------------------------------------------------------------------------
def test_attachment_pairs_share_one_entry_and_names_come_from_the_icon_text() -> None:
    box = (
        '<div class="filedown"><dl><dt>첨부파일</dt><dd><p>'
        '<a href="/common/download.do?fileId=1"><img src="/i.png" alt="PDF파일"> 계획.PDF</a>'
        '<a class="view" href="/common/download.do?fileId=1">바로보기</a>'
        '<a class="down" href="/common/download.do?fileId=1">내려받기</a></p></dd></dl></div>'
    )
    assert parse(page(article_head=box)).attachments == (
        Attachment("계획.PDF", "https://www.korea.kr/common/download.do?fileId=1", "pdf", "1"),
    )


def test_viewer_and_download_links_of_one_file_id_are_one_attachment() -> None:
    # Today's pages (spec §13.2): 바로보기 opens the HTML viewer, 내려받기 the file.
    box = (
        '<div class="filedown"><dl><dt>첨부파일</dt><dd>'
        '<p><span><img src="/i.png" alt="첨부파일"> 계획(조간).hwpx</span>'
        '<a class="view" href="/common/docViewer.do?fileId=7&amp;tblKey=GMN">바로보기</a>'
        '<a class="down" href="/common/download.do?tblKey=GMN&amp;fileId=7">내려받기</a></p>'
        '<p><span><img src="/i.png" alt="PDF파일"> 계획(조간).pdf</span>'
        '<a class="down" href="/common/download.do?fileId=8&amp;tblKey=GMN">내려받기</a>'
        '<a class="view" href="/common/docViewer.do?fileId=8&amp;tblKey=GMN">바로보기</a></p>'
        "</dd></dl></div>"
    )
    assert parse(page(article_head=box)).attachments == (
        Attachment(
            "계획(조간).hwpx", "https://www.korea.kr/common/download.do?tblKey=GMN&fileId=7", "hwpx", "7",
            "https://www.korea.kr/common/docViewer.do?fileId=7&tblKey=GMN",
        ),
        Attachment(
            "계획(조간).pdf", "https://www.korea.kr/common/download.do?fileId=8&tblKey=GMN", "pdf", "8",
            "https://www.korea.kr/common/docViewer.do?fileId=8&tblKey=GMN",
        ),
    )  # fmt: skip


def test_a_viewer_link_alone_never_becomes_the_file_url() -> None:
    box = (
        '<div class="filedown"><p><span>계획.pdf</span>'
        '<a class="view" href="https://admin2.korea.kr/common/docViewer.do?fileId=9">바로보기</a></p></div>'
    )
    (attachment,) = parse(page(article_head=box)).attachments
    assert attachment.url == "https://www.korea.kr/common/download.do?fileId=9"
    assert attachment.viewer_url == "https://admin2.korea.kr/common/docViewer.do?fileId=9"
    assert (attachment.name, attachment.extension, attachment.file_id) == ("계획.pdf", "pdf", "9")


def test_briefing_attachments_by_the_contract_selector() -> None:
    # §13.3: .article_head .filedown > dl > dd > p > span:first-child > a, the name as link text.
    box = (
        '<div class="filedown"><dl><dt>첨부파일</dt><dd><p><span><a href="/common/download.do?fileId=55">'
        "브리핑 자료.pdf</a></span></p></dd></dl></div>"
    )
    article = parse(page(article_head=box), section="briefing")
    got = [(a.name, a.file_id, a.viewer_url) for a in article.attachments]
    assert got == [("브리핑 자료.pdf", "55", None)]


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("보도자료.hwpx", "hwpx"),
        ("붙임 (1.2MB).pdf", "pdf"),
        ("표 자료.xlsx [120KB]", "xlsx"),
        ("이름만", ""),
    ],
)
def test_attachment_extension(name: str, extension: str) -> None:
    box = f'<div class="file_down"><a href="/f?id=1">{name} 내려받기</a></div>'
    assert parse(page(after_body=box)).attachments[0].extension == extension


def test_no_attachments() -> None:
    assert parse(page()).attachments == ()


# --- url ------------------------------------------------------------------------------------------
def test_url_is_canonicalised_and_newsid_is_the_external_id() -> None:
    article = parse(
        page(), url="http://m.korea.kr/news/policyNewsView.do?pWise=mSub&newsId=148911111&pageIndex=3"
    )
    assert (article.url, article.external_id, article.source, article.section) == (
        "https://www.korea.kr/news/policyNewsView.do?newsId=148911111",
        "148911111",
        "korea_kr",
        "policy",
    )


def test_canonical_link_when_the_given_url_is_not_an_article_url() -> None:
    head = '<link rel="canonical" href="https://www.korea.kr/briefing/pressReleaseView.do?newsId=156700001">'
    article = parse(page(head=head), url="https://example.org/cache/page.html")
    assert article.url == "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156700001"


def test_page_from_a_replica_keeps_korea_kr_paths() -> None:
    html = page("<p>본문</p><p><img src='/newsWeb/a.jpg' alt='사진'></p>")
    article = parse(html, url="http://127.0.0.1:8123/news/policyNewsView.do?newsId=148922222")
    assert article.url == "https://www.korea.kr/news/policyNewsView.do?newsId=148922222"
    # Images and attachments resolve on korea.kr whichever host served the page.
    assert article.images == (Image("https://www.korea.kr/newsWeb/a.jpg", "사진"),)


def test_page_without_any_article_url_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle):
        parse(page(), url="https://www.korea.kr/etc/noticeView.do?newsId=132038885")


def test_xml_declaration_with_encoding_is_accepted() -> None:
    assert parse('<?xml version="1.0" encoding="UTF-8"?>\n' + page()).title == "제목"


def test_empty_document() -> None:
    with pytest.raises(LayoutUnknown):
        parse("")
