"""Terminal output at 80 columns: tables, notes under them, KST, progress bars, a run's failed items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console
from typer.testing import CliRunner

import storage
from crawler.protocol import Discovered, ItemDone, Stored
from scheduler.cli import app
from scheduler.cli.core import kst
from scheduler.cli.runs import RUN_COLUMNS, stage_of
from scheduler.output import BackfillProgress, CrawlProgress, print_table
from storage import Database

runner = CliRunner()
LONG_REASON = (
    "could not reach www.korea.kr: DNS lookup failed for www.korea.kr after 3 retries; check the "
    "network or BRIEFING_KOREA_KR_BASE_URL"
)


def console(width: int = 80) -> tuple[Console, StringIO]:
    out = StringIO()
    return Console(width=width, file=out, force_terminal=True, color_system=None, highlight=False), out


def lines(out: StringIO) -> list[str]:
    return [line.rstrip() for line in out.getvalue().splitlines()]


def run_row(run_id: int, source: str, status: str, reason: str = "") -> tuple[object, ...]:
    return (run_id, source, status, "2026-11-20 09:00", 60, 2, 1, 57, 0, reason)


def test_runs_table_at_80_columns_keeps_names_and_moves_reasons_under_it() -> None:
    screen, out = console(80)
    shown = print_table(
        RUN_COLUMNS,
        [
            run_row(12, "korea_kr_api:press", "interrupted"),
            run_row(11, "korea_kr:policy", "failed", LONG_REASON),
        ],
        console=screen,
        note_label=lambda row: f"run {row[0]}",
    )
    assert shown == ["id", "source", "status", "started (KST)", "new", "updated", "failed"]
    assert lines(out) == [
        "id  source              status       started (KST)     new  updated  failed",
        "12  korea_kr_api:press  interrupted  2026-11-20 09:00    2        1       0",
        "11  korea_kr:policy     failed       2026-11-20 09:00    2        1       0",
        "",
        "run 11  could not reach www.korea.kr: DNS lookup failed for www.korea.kr after 3",
        "        retries; check the network or BRIEFING_KOREA_KR_BASE_URL",
    ]


def test_runs_table_on_a_wide_terminal_keeps_every_column_and_the_reason() -> None:
    screen, out = console(240)
    shown = print_table(RUN_COLUMNS, [run_row(11, "korea_kr:policy", "failed", LONG_REASON)], console=screen)
    assert shown == [c.header for c in RUN_COLUMNS]
    (header, row) = lines(out)
    assert row.startswith(
        "11  korea_kr:policy  failed  2026-11-20 09:00    60    2        1         57       0"
    )
    assert row.endswith(LONG_REASON)


def test_sources_list_at_80_columns(tmp_path: Path, db_url: str) -> None:
    env = {
        "BRIEFING_DATABASE_URL": db_url,
        "BRIEFING_SOURCES_FILE": str(tmp_path / "sources.toml"),
        "BRIEFING_DATA_DIR": str(tmp_path),
        "COLUMNS": "80",
    }
    for args in (
        ["dept-mofa", "--url", "https://www.korea.kr/rss/dept_mofa.xml", "--cron", "0 * * * *"],
        ["korea_kr_api:press", "--type", "korea_kr_api", "--disabled"],
    ):
        assert runner.invoke(app, ["sources", "add", *args], env=env).exit_code == 0
    db = Database(db_url)
    with db.session() as session:
        run = storage.create_run(session=session, source="korea_kr:policy")
        storage.finish_run(
            session=session,
            run_id=run.id,
            status="failed",
            reason=LONG_REASON,
            now=datetime(2026, 11, 20, 0, 5, tzinfo=UTC),
        )
        storage.record_check(
            session=session,
            name="feed:dept-mofa",
            kind="feed",
            url=None,
            status="dead",
            error="HTTP 404: the feed is gone",
        )
    db.dispose()
    result = runner.invoke(app, ["sources", "list"], env=env)
    assert result.exit_code == 0
    assert [line.rstrip() for line in result.stdout.splitlines()] == [
        "name                schedule        enabled  last run (KST)      state",
        "korea_kr:policy     every 30 min    yes      11-20 09:05 failed  error",
        "feed:dept-mofa      cron 0 * * * *  yes      -                   dead",
        "korea_kr_api:press  every 30 min    no       -                   -",
        "",
        "korea_kr:policy  could not reach www.korea.kr: DNS lookup failed for",
        "                 www.korea.kr after 3 retries; check the network or",
        "                 BRIEFING_KOREA_KR_BASE_URL",
        "feed:dept-mofa   HTTP 404: the feed is gone",
    ]


def test_times_are_kst() -> None:
    assert kst(datetime(2026, 11, 20, 0, 5, tzinfo=UTC)) == "2026-11-20 09:05"
    assert kst(None) == ""


@pytest.mark.parametrize("width", [80, 60])
def test_the_crawl_progress_bar_keeps_its_figures(width: int) -> None:
    screen, out = console(width)
    bar = CrawlProgress("korea_kr_api:press 2026-11-20..2026-11-22", console=screen)
    bar.on_event(Discovered(count=1234))
    for _ in range(17):
        bar.on_event(ItemDone(ok=True))
    bar.on_event(Stored(new=12, updated=3, failed=100))
    screen.print(bar.progress.get_renderable())
    (line,) = lines(out)
    assert len(line) <= width
    assert line.startswith("korea_")  # the label is what gets shortened
    assert line.endswith("17/1234 new 12 upd 3 fail 100 0:00:00")


def test_the_backfill_bar_keeps_its_figures() -> None:
    screen, out = console(80)
    bar = BackfillProgress(10.0, console=screen)
    bar.enabled = False  # render it here rather than live
    backfill = SimpleNamespace(
        id=4,
        source="korea_kr:press",
        since=date(2025, 1, 1),
        until=date(2025, 12, 31),
        next_day=date(2025, 3, 7),
        done_days=65,
        total_days=366,
    )
    bar.started(backfill, resumed=True)  # type: ignore[arg-type]
    screen.print(bar.progress.get_renderable())
    (line,) = lines(out)
    assert line.startswith("backfill korea_kr:press") and line.endswith("65/366 0:00:00")
    assert len(line) <= 80


def test_a_run_and_its_failed_items(tmp_path: Path, db_url: str) -> None:
    db = Database(db_url)
    with db.session() as session:
        run = storage.create_run(
            session=session, source="korea_kr:policy", since="2026-11-20", until="2026-11-22"
        )
        storage.mark_running(
            session=session, run_id=run.id, pid=1, now=datetime(2026, 11, 22, 0, 0, 1, tzinfo=UTC)
        )
        storage.record_errors(
            session=session,
            run_id=run.id,
            errors=[
                (
                    "https://www.korea.kr/news/policyNewsView.do?newsId=148900001",
                    "http_404",
                    "HTTP 404 after 3 retries",
                ),
                (
                    "https://www.korea.kr/news/policyNewsView.do?newsId=148900002",
                    "layout_changed",
                    "no title",
                ),
            ],
        )
        storage.add_counts(session=session, run_id=run.id, seen=60, new=2, updated=1, unchanged=55, failed=2)
        storage.finish_run(
            session=session,
            run_id=run.id,
            status="succeeded",
            now=datetime(2026, 11, 22, 0, 1, 12, tzinfo=UTC),
        )
    db.dispose()
    env = {"BRIEFING_DATABASE_URL": db_url, "BRIEFING_DATA_DIR": str(tmp_path)}
    result = runner.invoke(app, ["runs", str(run.id)], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"run {run.id} korea_kr:policy 2026-11-20..2026-11-22 succeeded (manual)\n"
        "started 2026-11-22 09:00:01, finished 2026-11-22 09:01:12 (KST)\n"
        "seen 60, new 2, updated 1, unchanged 55, failed 2\n"
        "failed items (2):\n"
        "  https://www.korea.kr/news/policyNewsView.do?newsId=148900001\n"
        "    article: HTTP 404 after 3 retries [http_404]\n"
        "  https://www.korea.kr/news/policyNewsView.do?newsId=148900002\n"
        "    article: no title [layout_changed]\n"
    )
    shown = runner.invoke(app, ["runs", str(run.id), "--format", "json"], env=env)
    import json

    data = json.loads(shown.stdout)
    assert data["id"] == run.id and [e["kind"] for e in data["errors"]] == ["http_404", "layout_changed"]
    assert data["errors"][0]["url"].endswith("newsId=148900001")


def test_the_stage_is_shown_when_stored_else_the_kind() -> None:
    with_stage = SimpleNamespace(kind="http_404", stage="attachment")
    without = SimpleNamespace(kind="http_404")
    assert stage_of(with_stage) == "attachment"  # type: ignore[arg-type]
    assert stage_of(without) == "http_404"  # type: ignore[arg-type]
