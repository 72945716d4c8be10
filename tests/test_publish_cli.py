"""`briefing publish` end to end: stored articles → the blog's repository → a local bare remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import storage
from crawler.posts.render import PostRenderer
from domain.article import Article
from scheduler.cli import app
from storage import Database
from tests.factories import make_article

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return {"BRIEFING_DATABASE_URL": db_url, "BRIEFING_DATA_DIR": str(tmp_path / "data")}


def store(db_url: str, *articles: Article) -> None:
    db = Database(db_url)
    with db.session() as session:
        storage.upsert_articles(
            session=session, articles=list(articles), render_post=PostRenderer.from_path(None).render
        )
    db.dispose()


def bare_remote(tmp_path: Path) -> Path:
    remote = tmp_path / "blog.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(remote)], check=True)
    return remote


def test_publish_command_commits_and_pushes_stored_articles(
    cli_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    store(db_url, make_article(external_id="3001"), make_article(external_id="3002", title="다른 기사"))
    remote = bare_remote(tmp_path)
    profile = tmp_path / "blog.toml"
    profile.write_text(f'heading = "## 내 블로그"\n[publish]\nrepo = "work"\nremote_url = "{remote}"\n')

    first = runner.invoke(app, ["publish", "--profile", str(profile)], env=cli_env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "pushed" in first.output
    log = subprocess.run(["git", "--git-dir", str(remote), "log", "--format=%s", "main"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert log == ["briefing: publish 2 posts"]

    second = runner.invoke(app, ["publish", "--profile", str(profile)], env=cli_env, catch_exceptions=False)
    assert second.exit_code == 0 and "nothing to commit" in second.output


def test_publish_without_a_publish_table_is_one_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    profile = tmp_path / "blog.toml"
    profile.write_text('heading = ""\n')
    result = runner.invoke(app, ["publish", "--profile", str(profile)], env=cli_env)
    assert result.exit_code == 1
    assert "no [publish] table" in result.output and "Traceback" not in result.output


def test_publish_commits_local_image_copies(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from scheduler.publish import publish_stored
    from tests.local_server import serve_files

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    with serve_files({"/photo.png": ("image/png", png)}) as origin:
        image = f"{origin}/photo.png"
        db_url = f"sqlite:///{tmp_path / 'b.db'}"
        store(db_url, make_article(external_id="4001", license_text_only=False,
                                   body_html=f'<p><img src="{image}" alt="사진"></p><p>본문.</p>'))
        remote = bare_remote(tmp_path)
        profile = tmp_path / "blog.toml"
        profile.write_text(f'local_images = true\n[publish]\nrepo = "work"\nremote_url = "{remote}"\n')
        result = publish_stored(db_url, profile, now=datetime.now(UTC),
                                allowed_private_networks=["127.0.0.0/8"])
    assert result.pushed
    files = subprocess.run(["git", "-c", "core.quotePath=false", "--git-dir", str(remote), "ls-tree", "-r",
                            "--name-only", "main"],
                           capture_output=True, text=True, check=True).stdout.split()
    copies = [name for name in files if name.startswith("assets/img/briefing/") and name.endswith(".png")]
    assert len(copies) == 1
    (post,) = [name for name in files if name.startswith("_posts/")]
    text = (tmp_path / "work" / post).read_text(encoding="utf-8")
    assert f'src="/{copies[0]}"' in text and image not in text
