"""Site profiles: the default is neutral, profiles/seed.toml the seed's; TOML files are checked strictly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile, ProfileError, load_profile
from domain.article import KST, Article, Image

DEFAULT_TOML = Path(__file__).resolve().parents[1] / "profiles" / "default.toml"


def article(section: str = "policy") -> Article:
    return Article(
        source="korea_kr",
        external_id="148900001",
        url="https://www.korea.kr/news/policyNewsView.do?newsId=148900001",
        section=section,
        title="정책 뉴스",
        published_at=datetime(2026, 5, 12, 14, 5, tzinfo=KST),
        body_html='<p>본문이다. <a href="https://example.com/">링크</a></p>',
        subtitles=("첫 문장이다. 둘째 문장이다.",),
        images=(Image(url="https://www.korea.kr/newsWeb/resources/attaches/lead.jpg", caption="대표 사진"),),
        license_type=1,
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "blog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def front_matter(text: str) -> dict[str, object]:
    lines = text.split("\n")
    loaded = yaml.safe_load("\n".join(lines[1 : lines.index("---", 1)]))
    assert isinstance(loaded, dict)
    return loaded


def test_default_toml_equals_the_defaults() -> None:
    assert load_profile(DEFAULT_TOML) == Profile()


def test_default_toml_sets_every_key() -> None:
    import tomllib
    from dataclasses import fields

    keys = set(tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8")))
    assert keys == {f.name for f in fields(Profile)}


def test_no_path_gives_the_defaults() -> None:
    assert load_profile(None) == Profile()


SEED_BRANDING = ("rentn", "qoogle", "/assets/img/news.png", "/assets/img/newspaper.png", "dofollow")


def test_the_defaults_are_neutral() -> None:
    profile = Profile()
    assert (profile.heading, profile.default_image, profile.hero_image_src) == ("", "", "")
    assert (profile.hero_image_alt, profile.footer_html) == ("", "")
    post = normalize(article(), profile)
    for brand in SEED_BRANDING:
        assert brand not in post.text
    assert "image" not in front_matter(post.text)
    assert "<img" not in post.body.split("\n\n")[0]
    # the plain KOGL attribution and the source link stay
    assert "「공공누리 제1유형:출처표시」" in post.body
    assert 'href="https://www.korea.kr/news/policyNewsView.do?newsId=148900001"' in post.body


def test_seed_toml_keeps_the_seed_choices() -> None:
    profile = load_profile(DEFAULT_TOML.parent / "seed.toml")
    assert profile.heading == "## rentn 실시간 뉴스 속보입니다."
    assert profile.default_image == "/assets/img/newspaper.png"
    assert (profile.hero_image_src, profile.hero_image_alt) == ("/assets/img/news.png", "rentncar 속보")
    assert "qoogle.tistory.com" in profile.footer_html
    assert profile.category_for("anything") == "News"
    assert profile.excerpt_limit == 300
    assert profile.link_rel == "nofollow noopener"
    assert profile.extra_keys == ("date", "source_url", "source", "ministry", "tags", "license")


def test_a_custom_profile_changes_the_output(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
heading = "## 우리 블로그 새 소식"
image_policy = "lead"
footer_html = '<a href="https://blog.example/">blog.example</a>'
link_rel = "ugc"
extra_keys = ["date"]
excerpt_limit = 10

[categories]
policy = "정책"
""",
    )
    post = normalize(article(), load_profile(path))
    values = front_matter(post.text)
    assert values["categories"] == ["정책"]
    assert values["feature_text"] == "## 우리 블로그 새 소식\n첫 문장이다.\n"
    assert values["image"] == "https://www.korea.kr/newsWeb/resources/attaches/lead.jpg"
    assert list(values) == ["title", "categories", "excerpt", "feature_text", "image", "date"]
    assert post.text.endswith('\n\n<a href="https://blog.example/">blog.example</a>\n')
    assert 'href="https://example.com/" rel="ugc"' in post.body
    assert "qoogle" not in post.text
    assert "rentn 실시간" not in post.text


def test_sections_without_a_mapping_get_the_default_category(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, 'default_category = "뉴스"\n[categories]\npress = "보도자료"\n'))
    assert front_matter(normalize(article("press"), profile).text)["categories"] == ["보도자료"]
    assert front_matter(normalize(article("policy"), profile).text)["categories"] == ["뉴스"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('headline = "x"\n', "unknown key 'headline'"),
        ("[categories]\npolicy = 1\n", "'categories' must be a table"),
        ("excerpt_limit = '300'\n", "'excerpt_limit' must be an integer"),
        ("excerpt_limit = true\n", "'excerpt_limit' must be an integer"),
        ("excerpt_limit = 0\n", "excerpt_limit must be at least 1"),
        ("heading = 3\n", "'heading' must be a string"),
        ('extra_keys = "date"\n', "'extra_keys' must be a list of strings"),
        ('extra_keys = ["date", "author"]\n', "unknown key(s) author"),
        ('image_policy = "random"\n', "image_policy must be one of default, lead"),
        ("heading = \n", "cannot read profile"),
        ('attribution = "x"\n', "'attribution' is no longer a profile key"),
    ],
)
def test_bad_profiles_fail_clearly(tmp_path: Path, toml: str, message: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="nope.toml"):
        load_profile(tmp_path / "nope.toml")


def test_profile_errors_are_value_errors() -> None:
    # The CLI reports ValueError from load_profile as a bad profile.
    assert issubclass(ProfileError, ValueError)
    with pytest.raises(ValueError, match="image_policy"):
        Profile(image_policy="sometimes")
