"""`briefing sources …` and the crawl command's routes, in process (exit codes and exact output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import storage
from scheduler.cli import app
from scheduler.sources import load_sources
from storage import Database

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "BRIEFING_DATABASE_URL": db_url,
        "BRIEFING_DATA_DIR": str(tmp_path),
        "BRIEFING_SOURCES_FILE": str(tmp_path / "sources.toml"),
        "COLUMNS": "200",
    }


def listed(env: dict[str, str]) -> list[dict[str, object]]:
    result = runner.invoke(app, ["sources", "list", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_without_a_file_the_default_is_listed(cli_env: dict[str, str]) -> None:
    (only,) = listed(cli_env)
    assert only == {
        "name": "korea_kr:policy", "type": "korea_kr", "section": "policy", "url": None, "title": None,
        "schedule": {"minutes": 30.0}, "enabled": True, "last_run": None, "state": "-", "state_reason": None,
    }
    result = runner.invoke(app, ["sources", "list"], env=cli_env)
    assert "does not exist: this is the built-in default" in result.output


def test_add_enable_disable_then_list(cli_env: dict[str, str], db_url: str) -> None:
    result = runner.invoke(app, ["sources", "add", "mofa", "--url", "https://www.korea.kr/rss/dept_mofa.xml",
                                 "--cron", "0 * * * *", "--disabled", "--title", "외교부"], env=cli_env)
    path = cli_env["BRIEFING_SOURCES_FILE"]
    assert result.exit_code == 0 and result.stdout == f"added feed:mofa to {path}\n"
    result = runner.invoke(app, ["sources", "add", "korea_kr:press", "--type", "korea_kr"], env=cli_env)
    assert result.exit_code == 0
    result = runner.invoke(app, ["sources", "enable", "mofa"], env=cli_env)
    assert result.stdout == f"feed:mofa enabled in {path}\n"
    assert runner.invoke(app, ["sources", "disable", "korea_kr:policy"], env=cli_env).exit_code == 0
    db = Database(db_url)
    with db.session() as session:
        run = storage.create_run(session=session, source="feed:mofa")
        storage.finish_run(session=session, run_id=run.id, status="succeeded")
        storage.record_check(session=session, name="feed:mofa", kind="feed", url=None, status="dead",
                             error="HTTP 404: the feed is gone")
    db.dispose()
    rows = {row["name"]: row for row in listed(cli_env)}
    assert list(rows) == ["korea_kr:policy", "feed:mofa", "korea_kr:press"]
    assert rows["korea_kr:policy"]["enabled"] is False and rows["korea_kr:press"]["enabled"] is True
    mofa = rows["feed:mofa"]
    assert (mofa["schedule"], mofa["title"], mofa["state"], mofa["state_reason"]) == (
        {"cron": "0 * * * *"}, "외교부", "dead", "HTTP 404: the feed is gone")
    assert mofa["last_run"]["status"] == "succeeded"  # type: ignore[index]
    table = runner.invoke(app, ["sources", "list"], env=cli_env).stdout
    mofa_line = next(line for line in table.splitlines() if line.startswith("feed:mofa"))
    assert "https://www.korea.kr/rss/dept_mofa.xml" in mofa_line and "cron 0 * * * *" in mofa_line
    assert " dead " in mofa_line and "HTTP 404: the feed is gone" in mofa_line and " yes " in mofa_line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sources", "add", "x"], "key 'url' is missing: a feed needs its URL"),
        (["sources", "add", "x", "--url", "http://x/", "--minutes", "5", "--cron", "* * * * *"],
         "give --minutes or --cron, not both"),
        (["sources", "add", "korea_kr:sports", "--type", "korea_kr"], "unknown section 'sports'"),
        (["sources", "add", "korea_kr:policy", "--type", "korea_kr"],
         "a source named korea_kr:policy already"),
        (["sources", "enable", "feed:nope"], "no source named 'feed:nope'; known: korea_kr:policy"),
        (["crawl", "feed:nope"], "unknown feed 'nope'; no feeds are configured in"),
        (["crawl"], "name a source (korea_kr:policy, feed:<name>"),
        (["crawl", "korea_kr", "--all"], "give a source or --all, not both"),
    ],
)
def test_mistakes_are_explained(cli_env: dict[str, str], args: list[str], message: str) -> None:
    result = runner.invoke(app, args, env=cli_env)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_broken_sources_file_is_named(cli_env: dict[str, str]) -> None:
    Path(cli_env["BRIEFING_SOURCES_FILE"]).write_text("[[source]]\nname = 'feed:x'\n", encoding="utf-8")
    result = runner.invoke(app, ["sources", "list"], env=cli_env)
    assert result.exit_code == 2
    path = cli_env["BRIEFING_SOURCES_FILE"]
    assert f"{path}: [[source]] #1 (feed:x): key 'url' is missing" in result.output
    result = runner.invoke(app, ["crawl", "--all"], env=cli_env)
    assert result.exit_code == 2 and "key 'url' is missing" in result.output


def test_a_feed_has_no_window_to_backfill(cli_env: dict[str, str]) -> None:
    added = runner.invoke(app, ["sources", "add", "a", "--url", "http://127.0.0.1:9/a.xml"], env=cli_env)
    assert added.exit_code == 0
    result = runner.invoke(app, ["crawl", "feed:a", "--backfill"], env=cli_env)
    assert result.exit_code == 2 and "a feed has no date window to backfill" in result.output


def test_crawl_all_with_nothing_enabled(cli_env: dict[str, str]) -> None:
    assert runner.invoke(app, ["sources", "disable", "korea_kr:policy"], env=cli_env).exit_code == 0
    assert [s.enabled for s in load_sources(Path(cli_env["BRIEFING_SOURCES_FILE"])).sources] == [False]
    result = runner.invoke(app, ["crawl", "--all"], env=cli_env)
    path = cli_env["BRIEFING_SOURCES_FILE"]
    assert result.exit_code == 0 and result.stdout == f"no enabled sources in {path}\n"
