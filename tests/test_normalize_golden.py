"""Golden files: each fixture article in tests/golden/ gives exactly the post next to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile
from domain.article import article_from_dict
from tests.seed_profile import SEED_PROFILE

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = "python scripts/regenerate_golden.py"
NAMES = sorted(path.stem for path in GOLDEN.glob("*.json"))


def test_there_are_golden_fixtures() -> None:
    assert len(NAMES) >= 5
    for name in NAMES:
        assert (GOLDEN / f"{name}.md").exists(), (
            f"tests/golden/{name}.md is missing; run `{REGENERATE} {name}`"
        )


def test_golden_posts_cover_every_kogl_type_and_the_text_only_licence() -> None:
    articles = [json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")) for name in NAMES]
    assert {a["license_type"] for a in articles} >= {1, 2, 3, 4}
    assert any(a["license_text_only"] and a["images"] for a in articles)
    assert {a["section"] for a in articles} >= {"policy", "press", "briefing", "fact"}


@pytest.mark.parametrize("name", NAMES)
def test_golden_post(name: str) -> None:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    expected = (GOLDEN / f"{name}.md").read_bytes()
    actual = normalize(article_from_dict(data), SEED_PROFILE).text.encode("utf-8")
    assert actual == expected, (
        f"tests/golden/{name}.md differs from the normalizer's output. If the change is intended, "
        f"run `{REGENERATE} {name}` and review the diff before committing it."
    )


@pytest.mark.parametrize("name", NAMES)
def test_golden_post_front_matter_parses_back(name: str) -> None:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    post = normalize(article_from_dict(data), SEED_PROFILE)
    lines = post.text.split("\n")
    front = "\n".join(lines[1 : lines.index("---", 1)])
    assert yaml.safe_load(front) == post.front_matter
    assert 0 < len(post.excerpt) <= SEED_PROFILE.excerpt_limit


NEUTRAL = GOLDEN / "default"


@pytest.mark.parametrize("name", NAMES)
def test_golden_post_of_the_neutral_default(name: str) -> None:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    expected = (NEUTRAL / f"{name}.md").read_bytes()
    actual = normalize(article_from_dict(data), Profile()).text
    assert actual.encode("utf-8") == expected, (
        f"tests/golden/default/{name}.md differs from the normalizer's output. If the change is "
        f"intended, run `{REGENERATE} {name}` and review the diff before committing it."
    )
    for brand in ("rentn", "qoogle", "/assets/img/news.png", "/assets/img/newspaper.png", "dofollow"):
        assert brand not in actual
