"""`briefing init`: your own profile and sources.toml; then `export` carries none of the seed blog."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import storage
from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile, load_profile
from crawler.posts.render import PostRenderer
from scheduler.blog_init import BlogAnswers, InitError, jekyll_settings, profile_text, write_files
from scheduler.cli import app
from scheduler.publish import PublishTarget, load_target
from scheduler.sources import load_sources
from storage import Database
from tests.factories import make_article
from tests.seed_profile import SEED_PROFILE, SEED_TOML
from tests.test_normalize_seed import SEED_COPY, read_seed, seed_article

runner = CliRunner()
BRANDING = ("rentn", "qoogle", "/assets/img/news.png", "/assets/img/newspaper.png", "dofollow")


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return {"BRIEFING_DATABASE_URL": db_url, "BRIEFING_DATA_DIR": str(tmp_path / "data")}


def store(db_url: str, *articles) -> None:  # type: ignore[no-untyped-def]
    db = Database(db_url)
    with db.session() as session:
        storage.upsert_articles(session=session, articles=list(articles),
                                render_post=PostRenderer.from_path(None).render)
    db.dispose()


def test_init_with_flags_writes_a_profile_and_sources(tmp_path: Path) -> None:
    result = runner.invoke(app, [
        "init", str(tmp_path / "conf"), "--yes", "--name", "우리 동네 소식", "--heading", "## 우리 동네 소식",
        "--footer", '<a href="https://blog.example/">blog.example</a>', "--category", "press=보도자료",
        "--timezone", "Europe/London", "--sections", "policy,press", "--repo", str(tmp_path / "blog"),
        "--markdown", "CommonMark", "--after-crawl",
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    profile_path = tmp_path / "conf" / "profiles" / "우리-동네-소식.toml"
    profile = load_profile(profile_path)
    assert profile.heading == "## 우리 동네 소식"
    assert profile.timezone == "Europe/London"
    assert profile.category_for("press") == "보도자료"
    assert (profile.hero_image_src, profile.default_image) == ("", "")
    assert load_target(profile_path) == PublishTarget(repo=tmp_path / "blog", after_crawl=True)
    sources = load_sources(tmp_path / "conf" / "sources.toml").sources
    assert [s.name for s in sources] == ["korea_kr:policy", "korea_kr:press"]
    # the _config.yml lines, with the CommonMark setting the body needs
    assert 'options: ["UNSAFE"]' in result.output and "timezone: Europe/London" in result.output
    # a second init does not overwrite
    again = runner.invoke(app, ["init", str(tmp_path / "conf"), "--yes", "--name", "우리 동네 소식"])
    assert again.exit_code == 2 and "--force" in again.output


def test_init_asks_when_not_given(tmp_path: Path) -> None:
    # name, hero image, repo, heading, footer, image, category, time zone, sections, images?, markdown
    answers = "\n".join(
        ["내 블로그", "", "", "## 새 소식", "", "", "News", "Asia/Seoul", "policy", "n", "kramdown"]
    )
    result = runner.invoke(app, ["init", str(tmp_path)], input=answers + "\n", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert load_profile(tmp_path / "profiles" / "내-블로그.toml").heading == "## 새 소식"


def test_bad_answers_are_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path), "--yes", "--timezone", "Mars/Base"])
    assert result.exit_code == 2
    assert "Mars/Base" in result.output and "Traceback" not in result.output
    with pytest.raises(InitError, match="sections"):
        write_files(BlogAnswers(name="x", sections=("sports",)), tmp_path)


def test_profile_text_escapes_answers() -> None:
    text = profile_text(BlogAnswers(name="x", heading='## "따옴표" \\ 와 줄\n바꿈', footer_html="<b>x</b>"))
    values = tomllib.loads(text)
    assert values["heading"] == '## "따옴표" \\ 와 줄\n바꿈'
    assert "publish" not in values


def test_kramdown_needs_no_commonmark_setting() -> None:
    assert "UNSAFE" not in jekyll_settings(BlogAnswers(name="x"))


def test_init_then_export_has_no_seed_branding_and_the_seed_profile_gives_the_seed(
    cli_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    seed = read_seed(SEED_COPY)
    article = seed_article(seed)
    store(db_url, article, make_article(external_id="2001"))
    made = runner.invoke(app, ["init", str(tmp_path / "conf"), "--yes", "--name", "my blog"], env=cli_env)
    assert made.exit_code == 0, made.output
    mine = tmp_path / "conf" / "profiles" / "my-blog.toml"

    out = tmp_path / "site"
    done = runner.invoke(app, ["export", "--out", str(out), "--profile", str(mine)], env=cli_env)
    assert done.exit_code == 0, done.output
    posts = sorted((out / "_posts").glob("*.md"))
    assert len(posts) == 2
    for path in posts:
        text = path.read_text(encoding="utf-8")
        for brand in BRANDING:
            assert brand not in text, f"{path.name} carries {brand!r}"
        assert "「공공누리 제1유형:출처표시」" in text

    seed_out = tmp_path / "seed-site"
    done = runner.invoke(app, ["export", "--out", str(seed_out), "--profile", str(SEED_TOML)], env=cli_env)
    assert done.exit_code == 0, done.output
    expected = normalize(article, SEED_PROFILE).text
    exported = [p.read_text(encoding="utf-8") for p in (seed_out / "_posts").glob("*.md")]
    assert expected in exported
    # the seed's own lines up to `image:` exactly (the extra keys follow), and its hero and footer
    assert expected.split("\n")[: len(seed.lines) - 1] == seed.lines[:-1]
    assert expected.endswith(seed.blocks[-1] + "\n")
    assert normalize(article, Profile()).text != expected
