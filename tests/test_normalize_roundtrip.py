"""Property: whatever the title and subtitle hold, the post's front matter parses back to the same values."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import frontmatter
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.posts.normalize import normalize
from domain.article import KST, Article
from tests.seed_profile import SEED_PROFILE

HERO = '<p><img src="/assets/img/news.png" alt="rentncar 속보" /></p>'
YAML_SYNTAX = [
    "---", "...", ": ", " #", "#", "- ", "? ", "[", "]", "{", "}", ">", "|", "!", "&", "*", "%", "@",
    "`", "'", '"', "yes", "no", "null", "~", "true", "1.5", "0x1F", "12:30", "2024-01-01", "1,000",
    "\t", "\n", "\r\n", "\x00", "\x1b", "\x85", "\u2028", "\ufeff", "😀", "👩‍💻", "한국", "·",
    "\u202e", "\u2066",
]  # fmt: skip
PIECES = st.one_of(st.sampled_from(YAML_SYNTAX), st.text(max_size=8))
# "&" and "<" are left out: entity decoding and markup removal are tested on their own
# (test_normalize.py, test_normalize_hostile.py).
TEXT = st.lists(PIECES, max_size=12).map("".join).filter(lambda text: "&" not in text and "<" not in text)
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def expected_text(raw: str) -> str:
    """Independent of the code under test: drop controls and bidi marks, collapse whitespace."""
    unwanted = {"\ufeff", "\ufffe", "\uffff", "\U0010ffff", *BIDI}
    kept = "".join(
        ch
        for ch in raw
        if ch.isspace() or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in unwanted)
    )
    return " ".join(kept.split())


def folded(text: str) -> str:
    return text + "\n" if text else ""


@settings(max_examples=300, deadline=None)
@given(title=TEXT, subtitle=TEXT)
def test_front_matter_round_trips(title: str, subtitle: str) -> None:
    article = Article(
        source="korea_kr",
        external_id="1",
        url="https://www.korea.kr/news/policyNewsView.do?newsId=1",
        section="policy",
        title=title,
        published_at=datetime(2026, 5, 12, 14, 5, tzinfo=KST),
        body_html="",
        subtitles=(subtitle,),
        tags=(subtitle, title),
        ministry=title,
    )
    post = normalize(article, SEED_PROFILE)

    assert post.text.startswith("---\n")
    lines = post.text.split("\n")
    close = lines.index("---", 1)
    assert lines[close + 1 : close + 3] == ["", HERO]
    assert "---" not in lines[1:close]

    loaded = yaml.safe_load("\n".join(lines[1:close]))
    assert loaded == post.front_matter
    assert frontmatter.loads(post.text).metadata == loaded

    summary = expected_text(subtitle)  # TEXT is too short to be cut to the excerpt limit
    assert len(summary) <= SEED_PROFILE.excerpt_limit
    assert loaded["title"] == expected_text(title)
    assert loaded["excerpt"] == folded(summary)
    assert loaded["feature_text"] == folded("\n".join(filter(None, [SEED_PROFILE.heading, summary])))
    assert loaded["categories"] == ["News"]
    assert loaded["image"] == "/assets/img/newspaper.png"
    assert loaded.get("ministry") == (expected_text(title) or None)
    assert loaded.get("tags") == (
        list(dict.fromkeys(filter(None, map(expected_text, [subtitle, title])))) or None
    )
