"""`briefing publish` end to end: stored articles → the blog's repository → a local bare remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import storage
from crawler.posts.render import PostRenderer
from scheduler.cli import app
from storage import Database
from tests.factories import make_article

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return {"BRIEFING_DATABASE_URL": db_url, "BRIEFING_DATA_DIR": str(tmp_path / "data")}


def test_publish_command_commits_and_pushes_stored_articles(
    cli_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    with db.session() as session:
        storage.upsert_articles(
            session=session,
            articles=[make_article(external_id="3001"), make_article(external_id="3002", title="다른 기사")],
            render_post=PostRenderer.from_path(None).render,
        )
    db.dispose()
    remote = tmp_path / "blog.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(remote)], check=True)
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
