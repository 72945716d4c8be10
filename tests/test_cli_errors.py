"""Mistakes a user can make on the command line and in configuration: one line, the right exit code.

Each case names the option, file, key or URL, and what to do; none prints a traceback.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner, Result

import scheduler.cli.articles
import scheduler.cli.posts
from scheduler.cli import ExitCode, app
from scheduler.cli.core import EXIT_CODES
from tests.crawl_helpers import REPO, briefing, briefing_env

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no .env of the repository
    return {
        "BRIEFING_DATABASE_URL": f"sqlite:///{tmp_path / 'briefing.db'}",
        "BRIEFING_DATA_DIR": str(tmp_path),
        "BRIEFING_SOURCES_FILE": str(tmp_path / "sources.toml"),
    }


def invoke(env: dict[str, str], *args: str) -> Result:
    return runner.invoke(app, list(args), env=env)


def one_line(result: Result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.output.count("\n") == 1, result.output
    return result.output.rstrip("\n")


# --- the database ---------------------------------------------------------------------------------


def test_an_unreachable_database_is_one_line_on_the_real_command_line(tmp_path: Path) -> None:
    env = briefing_env("postgresql://bob:s3cret@127.0.0.1:9/none", tmp_path, "http://127.0.0.1:9")
    for args in (("articles", "list"), ("crawl", "korea_kr")):
        result = briefing(*args, env=env)
        assert result.returncode == ExitCode.UNAVAILABLE == 3, result.stderr
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1, result.stderr  # not a 469-line traceback
        assert result.stderr.startswith(
            "briefing: cannot use the database postgresql+psycopg://bob:***@127.0.0.1:9/none: "
        )
        assert result.stderr.endswith(
            "; check BRIEFING_DATABASE_URL and that the database server is running\n"
        )
        assert "s3cret" not in result.stderr


def test_a_database_folder_that_cannot_be_made(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    env["BRIEFING_DATABASE_URL"] = f"sqlite:///{tmp_path / 'a-file' / 'briefing.db'}"
    result = invoke(env, "articles", "list")
    assert result.exit_code == 3
    assert one_line(result) == (
        f"briefing: cannot make the folder {tmp_path / 'a-file'}: a file is in the way; move it or set "
        "BRIEFING_DATA_DIR (or BRIEFING_DATABASE_URL) to another place"
    )


def _sqlite_fails(message: str) -> Any:
    def fail(**_: object) -> None:
        raise OperationalError("INSERT ...", {}, sqlite3.OperationalError(message))

    return fail


@pytest.mark.parametrize(
    ("driver_message", "expected"),
    [
        ("database or disk is full", "the disk is full; free some space"),
        (
            "attempt to write a readonly database",
            "it or its folder is read-only; make it writable or set BRIEFING_DATABASE_URL to a "
            "writable place",
        ),
    ],
)
def test_a_full_disk_or_read_only_database(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, driver_message: str, expected: str
) -> None:
    # Root ignores permissions and no test may fill the disk: the driver's own error is raised.
    monkeypatch.setattr(scheduler.cli.articles, "list_articles", _sqlite_fails(driver_message))
    result = invoke(env, "articles", "list")
    assert result.exit_code == 3
    assert one_line(result) == f"briefing: cannot write the database {tmp_path / 'briefing.db'}: {expected}"


def test_a_full_disk_while_exporting(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = str(tmp_path / "site" / "_posts" / "2026-11-20-a.md")

    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", target)

    monkeypatch.setattr(scheduler.cli.posts, "export_posts", full)
    result = invoke(env, "export", "--out", str(tmp_path / "site"))
    assert result.exit_code == 3
    assert one_line(result) == f"briefing: cannot write {target}: the disk is full; free some space"


# --- sources.toml ---------------------------------------------------------------------------------


def test_a_sources_file_that_is_not_utf8(env: dict[str, str]) -> None:
    path = Path(env["BRIEFING_SOURCES_FILE"])
    path.write_bytes(b'[[source]]\nname = "feed:\xff"\n')
    for args in (("sources", "list"), ("crawl", "--all"), ("sources", "enable", "x")):
        result = invoke(env, *args)
        assert result.exit_code == 2, args
        assert (
            one_line(result)
            == f"briefing: {path}: line 2: not UTF-8 text (byte 0xff); save the file as UTF-8"
        )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[source]\n", "line 1, column 9: not valid TOML: Unexpected character: '\\n'"),
        (
            "[[source]]\nname = 'feed:x'\nurl = 'http://x/a.xml'\nenabled = 'yes'\n",
            "[[source]] #1 (feed:x): key 'enabled' must be true or false",
        ),
        (
            "[[source]]\nname = 'feed:x'\nurl = 'http://x/a.xml'\nschedule = { minutes = 0 }\n",
            "[[source]] #1 (feed:x): key 'schedule': schedule `minutes` must be positive",
        ),
    ],
)
def test_an_invalid_sources_file_names_the_line_or_the_key(
    env: dict[str, str], text: str, problem: str
) -> None:
    path = Path(env["BRIEFING_SOURCES_FILE"])
    path.write_text(text, encoding="utf-8")
    result = invoke(env, "sources", "list")
    assert result.exit_code == 2
    assert one_line(result) == f"briefing: {path}: {problem}"


# --- settings and options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "BRIEFING_CRAWL_DELAY",
            "-1",
            "briefing: BRIEFING_CRAWL_DELAY=-1: must not be negative (set in the environment or .env)",
        ),
        (
            "BRIEFING_KOREA_KR_BASE_URL",
            "www.korea.kr",
            "briefing: BRIEFING_KOREA_KR_BASE_URL=www.korea.kr: must be an http:// or https:// URL, "
            "e.g. https://www.korea.kr (set in the environment or .env)",
        ),
        (
            "BRIEFING_SCHEDULES",
            "{not json",
            "briefing: BRIEFING_SCHEDULES: not valid JSON; fix it in the environment or .env",
        ),
    ],
)
def test_a_bad_setting_is_named(env: dict[str, str], setting: str, value: str, message: str) -> None:
    result = invoke(env | {setting: value}, "runs")
    assert result.exit_code == 2
    assert one_line(result) == message


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--out", "site", "--since", "2026-13-01"),
        ("articles", "search", "예산", "--since", "2026-13-01"),
        ("crawl", "korea_kr", "--since", "2026-13-01"),
        ("crawl", "--all", "--since", "2026-13-01"),
    ],
)
def test_every_since_option_speaks_the_same_way(env: dict[str, str], args: tuple[str, ...]) -> None:
    result = invoke(env, *args)
    assert result.exit_code == 2
    assert one_line(result) == (
        "briefing: --since 2026-13-01: not a day (month must be in 1..12; "
        "expected YYYY-MM-DD, e.g. 2026-11-20)"
    )


def test_a_bad_profile_path_for_export_names_the_setting(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(env | {"BRIEFING_PROFILE": str(tmp_path / "nope.toml")}, "export", "--out", "site")
    assert result.exit_code == 2
    assert one_line(result) == (
        f"briefing: BRIEFING_PROFILE {tmp_path / 'nope.toml'}: no such file; copy profiles/default.toml and "
        "give its path"
    )


def test_an_unknown_run(env: dict[str, str]) -> None:
    result = invoke(env, "runs", "42")
    assert result.exit_code == 1
    assert one_line(result) == "briefing: no run with id 42 (see `briefing runs`)"


# --- exit codes are documented ----------------------------------------------------------------------


def test_exit_codes_are_in_the_help_and_the_readme() -> None:
    help_text = " ".join(runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output.split())
    assert " ".join(EXIT_CODES.split()) in help_text.replace("│", "").replace("  ", " ")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `(\d+)` \| (.+?) \|$", readme, flags=re.MULTILINE))
    assert sorted(int(code) for code in table) == sorted(int(code) for code in ExitCode)
    for code in ExitCode:
        assert f"{int(code)} " in EXIT_CODES


def test_a_dot_env_that_is_not_utf8(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"BRIEFING_PORT=\xff\n")
    result = invoke(env, "runs")
    assert result.exit_code == 2
    assert one_line(result) == "briefing: .env: not UTF-8 text; save the file as UTF-8"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_database_folder(env: dict[str, str], tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    env["BRIEFING_DATABASE_URL"] = f"sqlite:///{locked / 'data' / 'briefing.db'}"
    try:
        result = invoke(env, "articles", "list")
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 3
    assert one_line(result) == (
        f"briefing: cannot write {locked / 'data'}: read-only; make it writable or set BRIEFING_DATA_DIR "
        "(or BRIEFING_DATABASE_URL) to a writable folder"
    )
