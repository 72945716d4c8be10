"""domain.text: control characters and bidirectional overrides out, wrong decodings found."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.article import KST, Article, Attachment, Image
from domain.text import clean_article, clean_text, decoding_damage


def article(**changes: object) -> Article:
    return Article(
        source="feed:x", external_id="1", url="https://e.com/1", section="feed", title="제목",
        published_at=datetime(2026, 6, 15, tzinfo=KST), body_html="<p>본문</p>",
    ).with_changes(**changes)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("널\x00바이트", "널바이트"),
        ("벨\x07 이스케이프\x1b[31m", "벨 이스케이프[31m"),
        ("C1\x85\x9f 제어", "C1 제어"),
        ("탭\t줄\n바꿈\r", "탭\t줄\n바꿈\r"),  # whitespace controls stay
        ("invoice\u202egnp.exe", "invoicegnp.exe"),  # right-to-left override
        ("\u2066격리\u2069 \u200f표시\u200e \u061c", "격리 표시 "),
        ("외톨이 서로게이트 \udc80", "외톨이 서로게이트 "),
        ("정상 한글 · 中文 ‑ emoji 😀 zwj \u200d", "정상 한글 · 中文 ‑ emoji 😀 zwj \u200d"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_article_cleans_every_text_field_and_nothing_else() -> None:
    dirty = article(
        title="\u202e제목\x00", subtitles=("부\x00제",), body_html="<p>본\x00문</p>", ministry="부\x07처",
        tags=("태\x00그",), contact="문\x00의", author="기\x00자", speaker="발\x00표",
        images=(Image("https://e.com/a\x00.png", "설\u202e명"),),
        attachments=(Attachment("붙\x00임.hwpx", "https://e.com/a.hwpx", "hwpx"),),
    )
    clean = clean_article(dirty)
    assert (clean.title, clean.subtitles, clean.body_html) == ("제목", ("부제",), "<p>본문</p>")
    assert clean.ministry == "부처"
    assert (clean.tags, clean.contact, clean.author, clean.speaker) == (("태그",), "문의", "기자", "발표")
    assert clean.images == (Image("https://e.com/a.png", "설명"),)
    assert clean.attachments[0].name == "붙임.hwpx"
    assert clean.published_at == dirty.published_at and clean.license_type is None
    assert clean_article(clean) is clean  # nothing to clean: the same object


def test_decoding_damage() -> None:
    assert decoding_damage(article()) is None
    assert decoding_damage(article(title="\ufffd\ufffd 제목")) is not None
    assert decoding_damage(article(body_html="<p>인용된 \ufffd 하나</p>")) is None  # one odd character
    assert "4 replacement" in (decoding_damage(article(body_html="\ufffd" * 4)) or "")
