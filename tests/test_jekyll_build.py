"""Exported posts built by Jekyll 4.3 (Debian's `jekyll`): the day each lands on, the body rendered.

Under `timezone: Europe/London` and `Asia/Seoul`, with kramdown and with CommonMark as the Alembic
theme suggests it (`markdown: CommonMark`, jekyll-commonmark), configured as `briefing init`
prints it (scheduler.blog_init.jekyll_settings).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from crawler.posts.export import ExportItem, export_posts
from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile
from domain.article import KST, Article
from scheduler.blog_init import BlogAnswers, jekyll_settings
from tests.seed_profile import SEED_PROFILE

pytestmark = pytest.mark.skipif(
    shutil.which("jekyll") is None, reason="jekyll is not installed (.ci/run installs it)"
)

NOW = datetime(2026, 6, 1, tzinfo=KST)
BODY = '<p>첫 문단이다. <a href="https://example.com/">링크</a></p><table><tr><td>표 칸</td></tr></table>'
# (external id, publication time): date-only (00:00 in Seoul), early morning, late evening
ARTICLES = {
    "100": datetime(2026, 5, 12, 0, 0, tzinfo=KST),
    "200": datetime(2026, 5, 13, 7, 30, tzinfo=KST),
    "300": datetime(2026, 5, 14, 23, 30, tzinfo=KST),
}


def items(profile: Profile) -> list[ExportItem]:
    made = []
    for external_id, published in ARTICLES.items():
        article = Article(
            source="korea_kr", external_id=external_id,
            url=f"https://www.korea.kr/news/policyNewsView.do?newsId={external_id}",
            section="policy", title=f"기사 {external_id}", published_at=published,
            body_html=BODY, subtitles=("요약 문장이다.",), license_type=1,
        )
        made.append(ExportItem("korea_kr", external_id, normalize(article, profile), 1, None))
    return made


def build(site: Path, timezone: str, markdown: str, profile: Profile) -> dict[str, str]:
    """Export, build; {post file name: the URL date Jekyll gave it (YYYY/MM/DD)}."""
    (site / "_config.yml").write_text(
        jekyll_settings(BlogAnswers(name="t", timezone=timezone, markdown=markdown))
        + "permalink: /:year/:month/:day/:title/\n",
        encoding="utf-8",
    )
    result = export_posts(items(profile), site, now=NOW)
    assert result.written == len(ARTICLES)
    subprocess.run(
        ["jekyll", "build", "--quiet", "--source", str(site), "--destination", str(site / "_site")],
        check=True, capture_output=True, timeout=120,
    )
    built = {}
    for page in (site / "_site").rglob("index.html"):
        match = re.search(r"/(\d{4}/\d{2}/\d{2})/([^/]+)/index\.html$", page.as_posix())
        if match:
            built[match.group(2)] = match.group(1)
            html = page.read_text(encoding="utf-8")
            assert "raw HTML omitted" not in html
            assert '<p data-ke-size="size16">첫 문단이다. <a href="https://example.com/"' in html
            assert "<td>표 칸</td>" in html
    return built


def name_dates(site: Path) -> dict[str, str]:
    """{slug: the date in the post's file name}, the way build() keys Jekyll's output."""
    dates = {}
    for path in (site / "_posts").glob("*.md"):
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})-(.+)\.md$", path.name)
        assert match
        dates[match.group(4)] = "/".join(match.group(1, 2, 3))
    return dates


@pytest.mark.parametrize("markdown", ["kramdown", "CommonMark"])
@pytest.mark.parametrize("timezone", ["Europe/London", "Asia/Seoul"])
def test_each_post_lands_on_its_file_name_day_and_renders(
    tmp_path: Path, timezone: str, markdown: str
) -> None:
    profile = replace(Profile(), timezone=timezone)  # the profile init writes for that site
    built = build(tmp_path, timezone, markdown, profile)
    assert built == name_dates(tmp_path)
    assert len(built) == len(ARTICLES)
    # the date-only article is on its own day everywhere
    assert built["기사-100"] == "2026/05/12"


@pytest.mark.parametrize("timezone", ["Europe/London", "America/Los_Angeles"])
def test_date_only_article_keeps_its_day_under_the_seed_profile_too(tmp_path: Path, timezone: str) -> None:
    # the seed profile stays on Asia/Seoul; a date-only article still lands on its day on a site
    # elsewhere (before: 00:00 +09:00, the previous day)
    built = build(tmp_path, timezone, "kramdown", SEED_PROFILE)
    assert built["기사-100"] == "2026/05/12"


def test_commonmark_without_the_unsafe_option_drops_the_body(tmp_path: Path) -> None:
    """Why init prints `commonmark: {options: ["UNSAFE"]}`: without it every body is omitted."""
    config = "markdown: CommonMark\nplugins: [jekyll-commonmark]\npermalink: /:title/\n"
    (tmp_path / "_config.yml").write_text(config)
    export_posts(items(Profile())[:1], tmp_path, now=NOW)
    subprocess.run(["jekyll", "build", "--quiet", "--source", str(tmp_path), "--destination",
                    str(tmp_path / "_site")], check=True, capture_output=True, timeout=120)
    (page,) = (tmp_path / "_site").rglob("index.html")
    assert "raw HTML omitted" in page.read_text(encoding="utf-8")
