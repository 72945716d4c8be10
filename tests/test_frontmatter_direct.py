"""The direct front matter writer gives PyYAML's bytes: on every test post and on generated values."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.posts.frontmatter import (
    EXTRA_KEYS,
    SEED_KEYS,
    build_front_matter,
    direct_front_matter,
    folded_value,
    render_front_matter,
    yaml_front_matter,
)
from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile
from domain.article import article_from_dict
from tests.seed_profile import SEED_PROFILE

GOLDEN = Path(__file__).parent / "golden"
YAML_WORDS = [
    "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "y", "Y", "n", "N", "true",
    "True", "false", "FALSE", "null", "Null", "NULL", "~", "<<", "=", ".inf", "-.inf", ".NaN", ".nan",
    "0", "007", "0x1F", "0o17", "0b101", "1_000", "1,000", "1e3", "+1", "-1", "1.5", ".5", "190:20:30",
    "12:30", "2026-05-12", "2026-5-12", "2026-05-12 14:05:00", "2026-05-12T14:05:00+09:00", "---", "...",
    "--- x", "... x", "- x", "-x", "? x", "?x", ": x", ":x", "x:", "x: y", "x:y", "x #y", "x#y", "#x",
    "'x'", '"x"', "it's", "%x", "@x", "`x`", "!x", "&x", "*x", "|x", ">x", "[x]", "{x}", ",x", "x,y",
    "x ", " x", "x  y", "",
]  # fmt: skip
# Korean text, YAML's indicator characters, spaces and every kind of line break, in any mix.
PIECES = st.sampled_from(
    [*YAML_WORDS, "제목", "정책브리핑", "가", " ", "  ", ":", ": ", "#", " #", "'", '"', "-", "?", ",", "\n",
     "\r\n", "\t", "\x85", "\u2028", "\u3000", "\xa0", "\ufeff", "😀", "·", "…", "\x00", "&amp;", "<b>"]
)  # fmt: skip
TEXT = st.lists(PIECES, max_size=6).map("".join) | st.text(max_size=12)


def same_bytes(values: dict[str, object]) -> None:
    assert render_front_matter(values) == yaml_front_matter(values)


def test_golden_and_neutral_posts() -> None:
    names = sorted(path.stem for path in GOLDEN.glob("*.json"))
    assert names
    for name in names:
        article = article_from_dict(json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")))
        for profile in (SEED_PROFILE, Profile()):
            values = normalize(article, profile).front_matter
            assert direct_front_matter(values) == yaml_front_matter(values), name


@pytest.mark.slow
def test_every_replica_page() -> None:
    from bench.korea_pages import pages
    from crawler.sites.korea_kr import parse_article

    written = 0
    for url, html, _ in pages(400, start_day=date(2026, 11, 1), days=20):
        article = parse_article(html, url)
        for profile in (SEED_PROFILE, Profile()):
            values = normalize(article, profile).front_matter
            direct = direct_front_matter(values)
            assert direct == yaml_front_matter(values), url
            written += direct is not None
    assert written == 800  # the direct writer took every post


def test_the_direct_writer_takes_ordinary_posts() -> None:
    values = build_front_matter(
        title="[속보] 제목: 부제", categories=["News"], excerpt="요약이다.", heading="## 머리",
        image="/a.png",
        date=datetime(2026, 5, 12, 14, 5, tzinfo=timezone(timedelta(hours=9))),
        source_url="https://www.korea.kr/news/policyNewsView.do?newsId=1", source="korea.kr",
        ministry="문화체육관광부", tags=["yes", "2026", "탄소중립"], license="KOGL-1",
    )  # fmt: skip
    assert direct_front_matter(values) is not None
    same_bytes(values)


@pytest.mark.parametrize("word", YAML_WORDS)
def test_yaml_words_in_every_position(word: str) -> None:
    same_bytes({"title": word, "categories": [word], "excerpt": folded_value(word), "image": word,
                "ministry": word, "tags": [word, "제목"]})  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    title=TEXT, category=TEXT, excerpt=TEXT, heading=TEXT, image=TEXT, ministry=TEXT,
    tags=st.lists(TEXT, max_size=4),
    day=st.dates(min_value=date(1, 1, 1)) | st.datetimes(timezones=st.timezones() | st.none()) | st.none(),
)  # fmt: skip
def test_generated_posts(
    title: str,
    category: str,
    excerpt: str,
    heading: str,
    image: str,
    ministry: str,
    tags: list[str],
    day: date | None,
) -> None:
    same_bytes(build_front_matter(
        title=title, categories=[category], excerpt=excerpt, heading=heading, image=image, date=day,
        source_url=image, source=category, ministry=ministry, tags=tags, license=title,
    ))  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    raw=st.dictionaries(
        st.sampled_from(SEED_KEYS + EXTRA_KEYS + ("other",)),
        TEXT | st.lists(TEXT, max_size=3) | st.dates() | st.datetimes() | st.integers() | st.none(),
    )
)
def test_generated_raw_values(raw: dict[str, object]) -> None:
    """Values no normalizer makes (raw line breaks, tabs, edge spaces, numbers): the same bytes or PyYAML."""
    same_bytes(raw)
