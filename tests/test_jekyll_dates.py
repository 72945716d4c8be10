"""Dates that do not move: file name and `date:` name one day, a date-only article has no time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import yaml

from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile, ProfileError, profile_from_dict
from domain.article import KST, Article


def article(published: datetime) -> Article:
    return Article(
        source="korea_kr", external_id="1", url="https://www.korea.kr/news/policyNewsView.do?newsId=1",
        section="policy", title="날짜 기사", published_at=published, body_html="<p>본문이다.</p>",
        license_type=1,
    )


def front(text: str) -> dict[str, object]:
    lines = text.split("\n")
    loaded = yaml.safe_load("\n".join(lines[1 : lines.index("---", 1)]))
    assert isinstance(loaded, dict)
    return loaded


def test_date_only_article_is_written_without_a_time() -> None:
    post = normalize(article(datetime(2026, 5, 12, tzinfo=KST)), Profile())
    assert "\ndate: 2026-05-12\n" in post.text
    assert front(post.text)["date"] == date(2026, 5, 12)
    assert post.filename.startswith("2026-05-12-")


@pytest.mark.parametrize("zone", ["Asia/Seoul", "Europe/London", "America/Los_Angeles"])
def test_date_only_article_keeps_its_day_whatever_the_profile_zone(zone: str) -> None:
    post = normalize(article(datetime(2026, 5, 12, tzinfo=KST)), replace(Profile(), timezone=zone))
    assert post.filename.startswith("2026-05-12-") and "\ndate: 2026-05-12\n" in post.text


@pytest.mark.parametrize(
    "zone, name_day, line",
    [
        ("Asia/Seoul", "2026-05-13", "date: 2026-05-13T07:30:00+09:00"),
        ("Europe/London", "2026-05-12", "date: 2026-05-12T23:30:00+01:00"),
    ],
)
def test_timed_article_is_dated_in_the_profile_zone(zone: str, name_day: str, line: str) -> None:
    post = normalize(article(datetime(2026, 5, 13, 7, 30, tzinfo=KST)), replace(Profile(), timezone=zone))
    assert post.filename.startswith(f"{name_day}-")
    assert f"\n{line}\n" in post.text
    assert post.date.isoformat() == name_day


def test_midnight_in_another_zone_is_that_zones_day() -> None:
    post = normalize(article(datetime(2026, 5, 12, tzinfo=UTC)), Profile())
    assert post.filename.startswith("2026-05-12-") and "\ndate: 2026-05-12\n" in post.text


def test_a_bad_time_zone_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="Mars/Base"):
        profile_from_dict({"timezone": "Mars/Base"})
