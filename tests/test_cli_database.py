"""The default database lives in the user's data directory, found the same from any folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import scheduler.service
import storage
from crawler.posts.render import PostRenderer
from scheduler.cli import app
from scheduler.settings import Settings
from storage import Database
from tests.crawl_helpers import REPO
from tests.factories import make_article

runner = CliRunner()


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("BRIEFING_DATABASE_URL", "DATABASE_URL", "BRIEFING_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def test_the_default_database_is_in_the_user_data_directory(
    data_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.data_dir == data_home / "briefing"
    assert settings.database_url == f"sqlite:///{data_home / 'briefing' / 'briefing.db'}"
    assert settings.log_dir == data_home / "briefing" / "logs"
    # BRIEFING_DATA_DIR moves both; an explicit URL wins.
    assert Settings(data_dir=tmp_path / "d").database_url == f"sqlite:///{tmp_path / 'd' / 'briefing.db'}"
    assert Settings(database_url="sqlite:///x.db").database_url == "sqlite:///x.db"


def test_articles_list_from_another_folder_finds_the_same_database(
    data_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "here", tmp_path / "elsewhere"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    db = Database(Settings().database_url)
    with db.session() as session:
        storage.upsert_articles(
            session=session, articles=[make_article(1)], render_post=PostRenderer.from_path(None).render
        )
    db.dispose()
    for folder in (first, second):
        monkeypatch.chdir(folder)
        result = runner.invoke(app, ["articles", "list", "--format", "json"])
        assert result.exit_code == 0, result.output
        assert '"external_id": "148900001"' in result.stdout
        assert os.listdir(folder) == []  # no ./data, no stray database
    assert (data_home / "briefing" / "briefing.db").is_file()


def test_db_current_and_run_say_where_the_database_is(
    data_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    where = data_home / "briefing" / "briefing.db"
    current = runner.invoke(app, ["db", "current"])
    assert current.stdout.splitlines()[0] == f"database {where}"
    monkeypatch.setattr(scheduler.service, "main", lambda settings: 0)
    run = runner.invoke(app, ["run"], env={"BRIEFING_API_TOKEN": ""})
    assert run.exit_code == 0
    assert run.stderr == f"briefing: database {where}\n"


def test_the_image_sets_its_database_explicitly() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "BRIEFING_DATA_DIR=/data" in dockerfile
    assert "BRIEFING_DATABASE_URL=sqlite:////data/briefing.db" in dockerfile
    assert "COPY domain ./domain" in dockerfile  # every package of ours is in the image
