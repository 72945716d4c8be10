"""Slugs: Hangul and other letters kept, never a path, at most 80 characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.posts.slug import FALLBACK, MAX_BYTES, MAX_CHARS, slugify, truncate


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "제조업, AI 도입률 40% 확대! 200개 선도 프로젝트 추진!",
            "제조업-ai-도입률-40-확대-200개-선도-프로젝트-추진",
        ),
        ("K-공감 새 단장", "k-공감-새-단장"),
        ("a -- b", "a-b"),
        ("../../etc/passwd", "etc-passwd"),
        ("/abs", "abs"),
        ("..", FALLBACK),
        (".hidden", "hidden"),
        ("-.-제목-.-", "제목"),
        ("a_b.c/d\\e", "a-b-c-d-e"),
        ("😀🎉", FALLBACK),
        ("", FALLBACK),
        ("Straße Ünïcode", "straße-ünïcode"),
        ("ㅎㅏㄴ 자모", "ㅎㅏㄴ-자모"),
        ("\u1112\u1161\u11ab\u1100\u116e\u11a8", "한국"),  # decomposed Hangul is composed first
        ("१२३ हिन्दी", "१२३-हिन्दी"),  # combining marks stay with their letters
    ],
)
def test_slugify(title: str, expected: str) -> None:
    assert slugify(title) == expected


def test_long_titles_are_cut_at_a_dash() -> None:
    title = " ".join(["가나다라마바사"] * 20)  # 159 characters
    slug = slugify(title)
    assert len(slug) <= MAX_CHARS
    assert title.replace(" ", "-").startswith(slug + "-")


def test_a_long_single_word_is_cut_hard() -> None:
    assert slugify("가" * 200) == "가" * MAX_CHARS


def test_letters_outside_the_bmp_respect_the_byte_limit() -> None:
    slug = slugify("𠀀" * 100)
    assert len(slug.encode()) <= MAX_BYTES


@pytest.mark.parametrize(
    ("slug", "chars", "expected"),
    [
        ("aaaa-bbbb-cccc", 20, "aaaa-bbbb-cccc"),
        ("aaaa-bbbb-cccc", 9, "aaaa-bbbb"),  # the cut already falls between words
        ("aaaa-bbbb-cccc", 12, "aaaa-bbbb"),
        ("a-bbbbbbbbbbbb", 8, "a-bbbbbb"),  # a dash that early would lose most of it
    ],
)
def test_truncate(slug: str, chars: int, expected: str) -> None:
    assert truncate(slug, max_chars=chars, max_bytes=1000) == expected


@given(st.text())
def test_any_title_gives_a_safe_slug(title: str) -> None:
    slug = slugify(title)
    assert slug
    assert "/" not in slug and "\\" not in slug and ".." not in slug
    assert not slug.startswith((".", "-")) and not slug.endswith("-")
    assert "--" not in slug
    assert len(slug) <= MAX_CHARS and len(slug.encode()) <= MAX_BYTES
    assert slug == slugify(slug)
