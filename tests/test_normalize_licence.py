"""Licence-correct posts: each KOGL type its own conditions, each section its words, text-only no images."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

import pytest

from crawler.posts.licence import KOGL_CONDITIONS, attribution
from crawler.posts.normalize import normalize
from domain.article import KST, Article, Image
from tests.seed_profile import SEED_PROFILE

SEED_LINE = (
    "정책브리핑의 정책뉴스자료는 「공공누리 제1유형:출처표시」의 조건에 따라 자유롭게 이용이 가능하며, "
    "출처를 반드시 표기해주셔야 합니다."
)
IMG = "https://www.korea.kr/newsWeb/resources/attaches/2026.11/18/photo.jpg"


def article(**changes: object) -> Article:
    base = Article(
        source="korea_kr",
        external_id="148900001",
        url="https://www.korea.kr/news/policyNewsView.do?newsId=148900001",
        section="policy",
        title="정책 뉴스",
        published_at=datetime(2026, 5, 12, 14, 5, tzinfo=KST),
        body_html=f'<p>본문이다.</p><p><img src="{IMG}" alt="행사 사진"></p><p>행사 사진</p><p>끝이다.</p>',
        subtitles=("부제목이다",),
        images=(Image(url=IMG, caption="행사 사진"),),
        license_type=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_type_1_policy_news_is_the_seed_line() -> None:
    assert attribution(article()) == SEED_LINE


@pytest.mark.parametrize(
    ("kogl", "conditions", "use"),
    [
        (1, "출처표시", "자유롭게 이용이 가능하며"),
        (2, "출처표시+상업적 이용금지", "비상업적 목적으로만 이용이 가능하며"),
        (3, "출처표시+변경금지", "내용을 변경하지 않는 범위에서 이용이 가능하며"),
        (4, "출처표시+상업적 이용금지+변경금지", "비상업적 목적으로, 내용을 변경하지 않는 범위에서만"),
    ],
)
@pytest.mark.parametrize("section", ["policy", "press", "briefing", "fact", "cabinet", "feed"])
def test_each_type_names_itself_and_its_conditions(
    kogl: int, conditions: str, use: str, section: str
) -> None:
    line = attribution(article(license_type=kogl, section=section))
    assert f"「공공누리 제{kogl}유형:{conditions}」" in line
    assert use in line
    assert "출처를 반드시 표기" in line  # every type requires the source to be named
    assert re.findall(r"제(\d)유형", line) == [str(kogl)]
    if kogl != 1:
        assert "자유롭게" not in line


@pytest.mark.parametrize(
    ("section", "material"),
    [
        ("policy", "정책브리핑의 정책뉴스자료는"),
        ("press", "정책브리핑의 보도자료는"),
        ("briefing", "정책브리핑의 브리핑룸 자료는"),
        ("cabinet", "정책브리핑의 브리핑룸 자료는"),
        ("fact", "정책브리핑의 「사실은 이렇습니다」 자료는"),
        ("feed", "정책브리핑의 자료는"),
    ],
)
def test_each_section_has_its_own_words(section: str, material: str) -> None:
    line = attribution(article(section=section))
    assert line.startswith(material)
    if section != "policy":
        assert "정책뉴스자료" not in line


def test_the_licence_line_in_the_post_follows_the_article() -> None:
    post = normalize(article(license_type=4, section="press"), SEED_PROFILE)
    assert "제4유형:출처표시+상업적 이용금지+변경금지" in post.body
    assert "정책브리핑의 보도자료는" in post.body
    assert "제1유형" not in post.body


def test_no_stated_licence_says_so() -> None:
    line = attribution(article(license_type=None))
    assert "공공누리 유형이 표시되어 있지 않습니다" in line
    assert not any(conditions in line for conditions in KOGL_CONDITIONS.values())


def test_an_article_from_another_site_is_not_credited_to_korea_kr() -> None:
    line = attribution(article(source="some_feed", url="https://www.example.org/a/1", section="feed"))
    assert line.startswith("example.org의 자료는")


def test_a_text_only_licence_says_so() -> None:
    assert attribution(article(license_text_only=True)) == (
        SEED_LINE + " 이 조건은 텍스트에 한하며, 사진·이미지는 싣지 않았습니다."
    )


@pytest.mark.parametrize("policy", ["default", "lead"])
def test_a_text_only_licence_never_embeds_or_hotlinks_images(policy: str) -> None:
    post = normalize(article(license_text_only=True), replace(SEED_PROFILE, image_policy=policy))
    images = re.findall(r"<img [^>]*>", post.body)
    assert images == ['<img src="/assets/img/news.png" alt="rentncar 속보" />']  # the blog's own hero only
    assert "korea.kr" not in str(post.front_matter["image"])
    assert "<figure" not in post.body and "행사 사진" not in post.body  # the caption went with its photo
    assert "본문이다." in post.body and "끝이다." in post.body


def test_a_licence_covering_photos_keeps_them() -> None:
    post = normalize(article(license_text_only=False), replace(SEED_PROFILE, image_policy="lead"))
    assert f'<img src="{IMG}" alt="행사 사진">' in post.body
    assert post.front_matter["image"] == IMG
