"""Front matter: the seed's exact YAML styles, cleaned values, and a round trip through PyYAML."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml

from crawler.posts.frontmatter import (
    build_front_matter,
    folded_value,
    needs_quotes,
    render_front_matter,
)
from crawler.posts.sanitize import clean_text
from domain.article import KST

HEADING = "## rentn 실시간 뉴스 속보입니다."


def values(title: str = "제목", excerpt: str = "요약이다.", **extra: object) -> dict[str, object]:
    return build_front_matter(
        title=title,
        categories=["News"],
        excerpt=excerpt,
        heading=HEADING,
        image="/assets/img/newspaper.png",
        **extra,  # type: ignore[arg-type]
    )


def parse(text: str) -> object:
    lines = text.split("\n")
    assert lines[0] == "---" and text.endswith("---\n")
    return yaml.safe_load("\n".join(lines[1 : lines.index("---", 1)]))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  a \t b\n\nc  ", "a b c"),
        ("a\x00b\x07c\x7fd\x9fe", "abcde"),
        ("a \x00 b", "a b"),  # the control goes first, so no double space is left
        ("a\u2028b\x85c\u3000d\xa0e", "a b c d e"),
        ("\ufeffBOM", "BOM"),
        ("😀 👩‍💻", "😀 👩‍💻"),  # the zero-width joiner inside the emoji stays
        ("", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("제조업, AI 도입률 40% 확대! 200개 선도 프로젝트 추진!", False),
        ("[국토교통부] 대출", True),
        ("-5% 감소", True),
        ("? 물음", True),
        (": 콜론", True),
        ("&앵커", True),
        ("*별", True),
        ("!태그", True),
        ("%지시", True),
        ("@골뱅이", True),
        ("`백틱", True),
        ("{중괄호", True),
        ("|파이프", True),
        (">꺾쇠", True),
        ("'따옴표", True),
        ('"쌍따옴표', True),
        ("제목: 부제", True),
        ("제목 #해시", True),
        ("제목#해시", False),
        ("a:b", False),
        ("1,000", True),
        ("12:30", True),
        ("3.14", True),
        ("", True),
    ],
)
def test_needs_quotes(value: str, quoted: bool) -> None:
    assert needs_quotes(value) is quoted


def test_folded_value() -> None:
    assert folded_value("요약") == "요약\n"
    assert folded_value("") == ""


def test_seed_styles_byte_for_byte() -> None:
    text = render_front_matter(
        values(title="제조업, AI 도입률 40% 확대!", excerpt="한국 제조업이 달라진다. 둘째 문장.")
    )
    assert text == (
        "---\n"
        "title: 제조업, AI 도입률 40% 확대!\n"
        "categories:\n"
        "  - News\n"
        "excerpt: >\n"
        "  한국 제조업이 달라진다. 둘째 문장.\n"
        "feature_text: >\n"
        "  ## rentn 실시간 뉴스 속보입니다.\n"
        "\n"
        "  한국 제조업이 달라진다. 둘째 문장.\n"
        "image: '/assets/img/newspaper.png'\n"
        "---\n"
    )


def test_extra_keys_follow_in_order_and_empty_ones_are_left_out() -> None:
    text = render_front_matter(
        values(
            date=datetime(2026, 5, 12, 14, 5, 30, 123456, tzinfo=KST),
            source_url="https://www.korea.kr/news/policyNewsView.do?newsId=1",
            source="korea.kr",
            ministry="",
            tags=["AI", "", "AI", "2026"],
            license="KOGL-1",
        )
    )
    assert text.endswith(
        "image: '/assets/img/newspaper.png'\n"
        "date: 2026-05-12T14:05:30+09:00\n"
        "source_url: https://www.korea.kr/news/policyNewsView.do?newsId=1\n"
        "source: korea.kr\n"
        "tags:\n"
        "  - AI\n"
        "  - '2026'\n"
        "license: KOGL-1\n"
        "---\n"
    )
    loaded = parse(text)
    assert isinstance(loaded, dict)
    assert loaded["date"] == datetime(2026, 5, 12, 14, 5, 30, tzinfo=KST)
    assert "ministry" not in loaded


def test_one_long_line_is_never_folded() -> None:
    excerpt = "아주 긴 문장이다. " * 40
    text = render_front_matter(values(excerpt=excerpt))
    assert f"  {clean_text(excerpt)}\n" in text


def test_empty_excerpt() -> None:
    data = values(excerpt=" \t")
    assert data["excerpt"] == "" and data["feature_text"] == HEADING + "\n"
    assert parse(render_front_matter(data)) == data


HOSTILE_TITLES = [
    "---",
    "...",
    "--- 제목",
    "제목 ---",
    "[속보] 제목",
    "- 목록 같은 제목",
    "? 질문",
    "> 인용",
    "| 파이프",
    "'작은따옴표'로 시작",
    '"큰따옴표"로 시작',
    "it's 작은따옴표 가운데",
    "제목: 콜론과 공백",
    "제목 #해시태그",
    "끝에 콜론:",
    "yes",
    "No",
    "null",
    "~",
    "true",
    "2026-05-12",
    "2026-05-12 14:05:00",
    "1.5",
    "0x1F",
    "1e3",
    "12:30:45",
    ".inf",
    "-.5",
    "제목\t탭",
    "제목\n줄바꿈\r\n둘",
    "제어\x00문자\x1b들",
    "이모지 😀👩‍💻",
    "{{ liquid }}",
    "%YAML 1.2",
    "!!python/object:os.system",
    "*alias",
    "&anchor 값",
    "@at",
    "`backtick`",
    "a: b: c",
    "#주석",
    "  앞뒤 공백  ",
    "",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_round_trip_of_hostile_titles(title: str) -> None:
    data = values(title=title, excerpt=title, ministry=title, tags=[title])
    text = render_front_matter(data)
    assert parse(text) == data
    assert data["title"] == " ".join(title.replace("\x00", "").replace("\x1b", "").split())
    body_lines = text.split("\n")[1:-2]
    assert "---" not in body_lines and "..." not in body_lines
    assert all(
        line.startswith(
            ("title:", "categories:", "excerpt:", "feature_text:", "image:", "  ", "ministry:", "tags:")
        )
        or line == ""
        for line in body_lines
    )
