"""Press releases, fact-checks and briefings: viewer pages, placeholders, bodies, embargo tags, list texts."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from crawler.sites.korea_kr import parse_article, parse_list_page
from crawler.sites.korea_kr_press import (
    ViewerRef,
    contact_of,
    document_body,
    embargo_until,
    fact_text,
    inline_body,
    is_placeholder,
    real_paragraphs,
    viewer_paragraphs,
    viewer_ref,
    with_speaker,
)
from crawler.sites.korea_kr_urls import site_url
from crawler.spiders.korea_kr import BodyStep, body_steps
from domain.article import KST, Article, Attachment

FIXTURES = Path(__file__).parent / "fixtures" / "korea_kr"
PRESS_URL = "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156780508"


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.html").read_text(encoding="utf-8")


# --- the viewer ------------------------------------------------------------------------------------


def test_viewer_ref_from_the_iframe_and_its_page_urls() -> None:
    article = parse_article(fixture("press_release_viewer"), PRESS_URL, section="press")
    ref = viewer_ref(article.body_html)
    assert ref == ViewerRef(
        "1144ee8ac5b914688bf6da3c12042318", "/docViewer/result/2026.11/19/1144ee8ac5b914688bf6da3c12042318"
    )
    assert ref.page_url(2, "http://127.0.0.1:8123/") == (
        "http://127.0.0.1:8123/docViewer/result/2026.11/19/1144ee8ac5b914688bf6da3c12042318/"
        "1144ee8ac5b914688bf6da3c12042318.files/2.html"
    )


@pytest.mark.parametrize(
    "src",
    [
        "/docViewer/iframe_skin/doc.html?fn=../../etc&rs=/docViewer/result/x",
        "/docViewer/iframe_skin/doc.html?fn=abc&rs=https://evil.example/x",
        "/docViewer/iframe_skin/doc.html?fn=abc&rs=/docViewer/../../admin",
        "/docViewer/iframe_skin/doc.html?rs=/docViewer/result/x",
    ],
)
def test_viewer_ref_refuses_odd_values(src: str) -> None:
    assert viewer_ref(f'<iframe id="content_press" src="{src}"></iframe>') is None


def test_viewer_spans_are_joined_without_spaces() -> None:
    html = (
        "<html><body><div class='hwp_page'><p><span>기후</span><span>부</span><span>, 반도</span>"
        "<span>체 지원</span></p><p><span>둘째&nbsp;</span><span>문단</span></p>"
        "<script>var x = '스크립트';</script></div></body></html>"
    )
    assert viewer_paragraphs(html) == ["기후부, 반도체 지원", "둘째 문단"]


def test_viewer_fixture_page_keeps_its_words_whole() -> None:
    paragraphs = viewer_paragraphs(fixture("viewer_page"))
    assert paragraphs[0] == "농식품부, 먹거리 안전·사이버 보안 분야 종합계획 추진"
    assert fixture("viewer_page").count("<span") > 3 * len(paragraphs)  # the words really were split
    assert real_paragraphs(paragraphs) == paragraphs[:-1]  # "- 1 -" is layout


# --- placeholders and bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("본 자료는 산업통상자원부에서 배포한 자료입니다.", True),
        ("관련 보도자료 내용입니다.", True),
        ("자세한 내용은 첨부파일을 참고하시기 바랍니다.", True),
        ("※ 자세한 사항은 붙임 파일 참조", True),
        ("이 자료는 국토교통부의 보도자료를 전재하여 제공함을 알려드립니다.", True),
        ("붙임파일을 참고하시기 바랍니다", True),
        ("- 12 -", True),
        ("   ", True),
        ("정부는 자료를 배포했다.", False),
        ("첨부파일 목록은 다음과 같다.", False),
        ("본 사업의 자세한 내용은 다음과 같다.", False),
    ],
)
def test_placeholders(text: str, placeholder: bool) -> None:
    assert is_placeholder(text) is placeholder


def test_document_body_escapes_splits_the_contact_and_refuses_placeholders() -> None:
    body = document_body(
        [
            "본 자료는 행정안전부에서 배포한 자료입니다.",
            "세금 <5%> 인하",
            "문의 : 행안부 재난과(044-205-1234)",
        ]
    )
    assert body is not None
    assert body.html == "<p>세금 &lt;5%&gt; 인하</p>"
    assert body.contact == "행안부 재난과(044-205-1234)"
    assert document_body(["관련 보도자료 내용입니다.", "- 1 -"]) is None
    assert document_body(["문의 : 행안부(044-205-1234)"]) is None  # a contact alone is no body


@pytest.mark.parametrize(
    ("text", "contact"),
    [
        ("문의 : 산업부 반도체과(044-203-1234)", "산업부 반도체과(044-203-1234)"),
        ("[문의] 관세청 통관기획과", "관세청 통관기획과"),
        ("담당 부서 국방부 국방정책과 02-748-1234", "국방부 국방정책과 02-748-1234"),
        ("담당 공무원이 현장을 점검했다.", None),
    ],
)
def test_contact_of(text: str, contact: str | None) -> None:
    assert contact_of(text) == contact


def test_inline_body_keeps_real_text_only() -> None:
    shell = parse_article(fixture("press_release_viewer"), PRESS_URL, section="press").body_html
    assert inline_body(shell) is None
    own = parse_article(fixture("press_release_inline"), PRESS_URL.replace("508", "1009"), section="press")
    text = inline_body(own.body_html)
    assert text is not None and text.startswith("<p>국방부, 방산 수출") and "iframe" not in text


# --- embargo -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["260918(조간) 디딤돌 대출.hwpx"], datetime(2026, 9, 18, 6, 0, tzinfo=KST)),
        (["260918 (석간) 디딤돌 대출.pdf"], datetime(2026, 9, 18, 12, 0, tzinfo=KST)),
        (["260917(석간) a.hwpx", "260918(조간) a.pdf"], datetime(2026, 9, 18, 6, 0, tzinfo=KST)),
        (["사진 1.jpg", "디딤돌 대출(주택기금과).hwpx"], None),
        (["261340(조간) 불가능한 날짜.hwpx"], None),
        (["1260918(조간) 일곱 자리.hwpx"], None),
    ],
)
def test_embargo_from_attachment_names(names: list[str], expected: datetime | None) -> None:
    assert embargo_until(names) == expected


def test_press_page_carries_its_embargo_and_attachments() -> None:
    article = parse_article(fixture("press_release_viewer"), PRESS_URL, section="press")
    assert article.embargo_until == datetime(2026, 11, 19, 12, 0, tzinfo=KST)
    assert [a.extension for a in article.attachments] == ["hwpx", "pdf", "jpg"]


def test_body_steps_are_viewer_then_hwpx_then_pdf() -> None:
    article = parse_article(fixture("press_release_viewer"), PRESS_URL, section="press")
    steps = body_steps(article)
    assert [s.kind for s in steps] == ["viewer", "hwpx", "pdf"]
    reordered = article.with_changes(attachments=tuple(reversed(article.attachments)), body_html="<p>x</p>")
    documents = article.attachments[:2]
    assert body_steps(reordered) == tuple(BodyStep(a.extension, url=a.url) for a in documents)


def test_body_steps_put_hwp_between_hwpx_and_pdf() -> None:
    files = tuple(
        Attachment(f"보도자료.{kind}", f"https://www.korea.kr/common/download.do?fileId={n}", kind, str(n))
        for n, kind in enumerate(("pdf", "hwp", "jpg", "hwpx"))
    )
    article = parse_article(fixture("press_release_viewer"), PRESS_URL, section="press")
    steps = body_steps(article.with_changes(attachments=files))
    assert [s.kind for s in steps] == ["viewer", "hwpx", "hwp", "pdf"]
    hwp_only = article.with_changes(attachments=files[1:3], body_html="<p>x</p>")
    assert body_steps(hwp_only) == (BodyStep("hwp", url=files[1].url),)


def test_a_viewer_url_is_never_a_body_step() -> None:
    # Even an attachment whose URL is a docViewer.do page (spec §13.2): it is HTML, not the file.
    viewer = Attachment("보도자료.pdf", "https://admin2.korea.kr/common/docViewer.do?fileId=3", "pdf", "3")
    article = parse_article(fixture("press_release_viewer"), PRESS_URL, section="press")
    assert body_steps(article.with_changes(attachments=(viewer,), body_html="<p>x</p>")) == ()


# --- fact-check lists ----------------------------------------------------------------------------------

FULL = [
    "[보도 내용]",
    "한 언론은 「예산 끊긴다」 제하의 기사에서 보도",
    "[기획재정부 설명]",
    "기획재정부는 예산을 없앨 계획이 없습니다.",
    "문의 : 기획재정부 예산총괄과(044-215-1234) 2026.11.18 기획재정부",
]


def test_fact_text_from_a_full_list_row() -> None:
    text = fact_text(FULL)
    assert text is not None
    assert text.html == "\n".join(f"<p>{t}</p>" for t in FULL[:4])
    assert (text.contact, text.day, text.ministry) == (
        "기획재정부 예산총괄과(044-215-1234)",
        date(2026, 11, 18),
        "기획재정부",
    )


def test_fact_text_trailer_on_two_lines_and_previews() -> None:
    split = [*FULL[:4], "문의 : 기획재정부 예산총괄과(044-215-1234)", "2026.11.18 기획재정부"]
    text = fact_text(split)
    assert (
        text is not None and text.contact == "기획재정부 예산총괄과(044-215-1234)" and "2026" not in text.html
    )
    assert fact_text(["[보도 내용] 한 언론은 「예산 끊긴다」 제하의 기사에서 정부가…"]) is None
    assert fact_text([]) is None


def test_fact_list_fixture_rows() -> None:
    page = parse_list_page(fixture("list_fact"), "https://www.korea.kr/briefing/actuallyList.do")
    full = [i for i in page.items if fact_text(i.lines) is not None]
    previews = [i for i in page.items if fact_text(i.lines) is None]
    assert len(full) == 6 and len(previews) == 2 and all(i.lead.endswith("…") for i in previews)


# --- briefings -----------------------------------------------------------------------------------------


def test_briefing_list_gives_the_presenter() -> None:
    page = parse_list_page(fixture("list_briefing"), "https://www.korea.kr/briefing/policyBriefingList.do")
    assert len(page.items) == 6 and all(i.presenter and i.ministry and i.date for i in page.items)


def test_with_speaker_names_the_speaker_once() -> None:
    article = Article(
        source="korea_kr", external_id="1", url="u", section="briefing", title="t",
        published_at=datetime(2026, 1, 1, tzinfo=KST), body_html="<p>안녕하십니까.</p>",
    )  # fmt: skip
    once = with_speaker(article, "김하늘 대변인")
    assert once.speaker == "김하늘 대변인"
    assert once.body_html == "<p>&lt;김하늘 대변인&gt;</p>\n<p>안녕하십니까.</p>"
    assert with_speaker(once, "김하늘 대변인").body_html == once.body_html
    assert with_speaker(article, None) is article


# --- URLs ----------------------------------------------------------------------------------------------


def test_site_url_rebases_any_korea_kr_host() -> None:
    base = "http://127.0.0.1:8123/mirror/"
    assert site_url("https://www.korea.kr/common/download.do?fileId=1&tblKey=GMN", base) == (
        "http://127.0.0.1:8123/mirror/common/download.do?fileId=1&tblKey=GMN"
    )
    assert (
        site_url("/docViewer/result/a.html", base) == "http://127.0.0.1:8123/mirror/docViewer/result/a.html"
    )
    with pytest.raises(ValueError, match="not a korea.kr URL"):
        site_url("https://evil.example/common/download.do", base)

