"""`briefing runs [ID]`: crawl runs, newest first, or one run with its failed items."""

from __future__ import annotations

from typing import Annotated

import typer

from scheduler import output
from scheduler.cli.core import FORMAT_HELP, Format, app, database, fail, kst, load_settings
from scheduler.output import Column
from storage import CrawlErrorRecord, CrawlRun, get_run, list_errors, list_runs

RUN_COLUMNS = (
    Column("id", right=True),
    Column("source"),
    Column("status"),
    Column("started (KST)"),
    Column("seen", right=True, drop=3),
    Column("new", right=True),
    Column("updated", right=True, drop=1),
    Column("unchanged", right=True, drop=2),
    Column("failed", right=True),
    Column("reason", fit="note"),
)


@app.command()
def runs(
    run_id: Annotated[
        int | None, typer.Argument(help="One run: its counts and its failed items (URL, stage, reason).")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Only runs of this source, e.g. korea_kr:policy.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    format: Annotated[Format, typer.Option(help=FORMAT_HELP)] = Format.table,
) -> None:
    """List crawl runs, newest first; with an id, show that run and its failed items.

    Example: briefing runs --source korea_kr:policy; briefing runs 7
    """
    if run_id is not None:
        return show_run(run_id, format)
    with database(load_settings()) as db, db.session(read_only=True) as session:
        found = list_runs(session=session, source=source, limit=limit)
    if format is Format.json:
        output.print_json([r.to_json() for r in found])
        return
    output.print_table(
        RUN_COLUMNS,
        [
            (
                r.id,
                r.source,
                r.status,
                kst(r.started_at or r.created_at),
                r.seen,
                r.new,
                r.updated,
                r.unchanged,
                r.failed,
                r.reason or "",
            )
            for r in found
        ],
        note_label=lambda row: f"run {row[0]}",
    )


def show_run(run_id: int, format: Format) -> None:
    with database(load_settings()) as db, db.session(read_only=True) as session:
        run = get_run(session=session, run_id=run_id)
        errors = list_errors(session=session, run_id=run_id) if run else []
    if run is None:
        raise fail(f"no run with id {run_id} (see `briefing runs`)")
    if format is Format.json:
        output.print_json(run.to_json() | {"errors": [error_json(e) for e in errors]})
        return
    for line in run_lines(run):
        typer.echo(line)
    if errors:
        typer.echo(f"failed items ({len(errors)}):")
        for error in errors:
            typer.echo(f"  {error.url}")
            typer.echo(
                f"    {stage_of(error)}: {error.reason}"
                + (f" [{error.kind}]" if stage_of(error) != error.kind else "")
            )


def run_lines(run: CrawlRun) -> list[str]:
    """The run's header: source, status, window, times (KST), counts and reason."""
    window = f" {run.since}..{run.until}" if run.since or run.until else ""
    lines = [f"run {run.id} {run.source}{window} {run.status} ({run.trigger})"]
    if run.started_at:
        ended = f", finished {kst(run.finished_at, '%Y-%m-%d %H:%M:%S')}" if run.finished_at else ""
        lines.append(f"started {kst(run.started_at, '%Y-%m-%d %H:%M:%S')}{ended} (KST)")
    lines.append(
        f"seen {run.seen}, new {run.new}, updated {run.updated}, unchanged {run.unchanged}, "
        f"failed {run.failed}"
    )
    if run.reason:
        lines.append(f"reason: {run.reason}")
    return lines


def stage_of(error: CrawlErrorRecord) -> str:
    """Where the item failed (list, article, attachment, normalize, store); older errors have a kind only."""
    return getattr(error, "stage", None) or error.kind


def error_json(error: CrawlErrorRecord) -> dict[str, object]:
    return {
        "url": error.url,
        "stage": getattr(error, "stage", None),
        "kind": error.kind,
        "reason": error.reason,
        "at": error.created_at.isoformat(),
    }
