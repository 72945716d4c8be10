"""Shared CLI output: tables that fit the terminal, JSON, and the progress bars of crawls and backfills.

Tables keep their key columns whole (a source name is never cut): when the terminal is too
narrow, low-value columns are dropped first, URLs are shortened with an ellipsis, and long
reasons move under the table, wrapped at words.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Column as RichColumn
from rich.table import Table
from rich.text import Text

from crawler.protocol import Discovered, Event, ItemDone, Stored
from domain.article import KST
from scheduler.backfill import BackfillReporter
from scheduler.safe import text as plain
from storage import Backfill, CrawlRun, StoredArticle

GAP = 2  # spaces between columns
NOTE_MIN_WIDTH = 30  # a note column narrower than this reads one word a line: it goes under the table


@dataclass(frozen=True, slots=True)
class Column:
    """How a column behaves when the table does not fit.

    `keep`: never cut or wrapped. `ellipsis`: shortened with … (URLs, titles). `note`: long text
    (reasons), wrapped at words in the table when it gets NOTE_MIN_WIDTH, else printed under it.
    `drop`: 0 never; otherwise dropped when the table does not fit, the highest number first.
    """

    header: str
    fit: Literal["keep", "ellipsis", "note"] = "keep"
    drop: int = 0
    min_width: int = 8  # for `ellipsis` columns
    right: bool = False


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def console_for_stdout() -> Console:
    # Not a terminal (a pipe, a test): Console's width is $COLUMNS, else 80.
    return Console(highlight=False)


def print_table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    *,
    console: Console | None = None,
    note_label: Callable[[Sequence[str]], str] | None = None,
) -> list[str]:
    """Print `rows` under `columns` within the console's width; returns the headers shown."""
    console = console or console_for_stdout()
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    shown, widths = layout(columns, cells, console.width)
    table = Table(box=None, pad_edge=False, padding=(0, GAP // 2), show_edge=False, collapse_padding=False)
    for index in shown:
        column = columns[index]
        table.add_column(
            column.header,
            width=widths[index],
            no_wrap=column.fit != "note",
            overflow="ellipsis" if column.fit == "ellipsis" else "fold",
            justify="right" if column.right else "left",
        )
    for row in cells:
        table.add_row(*(Text(row[i]) for i in shown))
    console.print(table)
    hidden_notes = [i for i, c in enumerate(columns) if c.fit == "note" and i not in shown]
    notes = [((note_label or _first_cell)(row), row[i]) for row in cells for i in hidden_notes if row[i]]
    if notes:
        console.print()
        print_notes(notes, console=console)
    return [columns[i].header for i in shown]


def _first_cell(row: Sequence[str]) -> str:
    return row[0]


def print_notes(notes: Sequence[tuple[str, str]], *, console: Console) -> None:
    """`label  text` lines, the text wrapped at words and indented under itself."""
    grid = Table.grid(padding=(0, GAP, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for label, text in notes:
        grid.add_row(Text(label), Text(text))
    console.print(grid)


def layout(
    columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int
) -> tuple[list[int], list[int]]:
    """Which columns are shown and how wide each is, so the table is at most `width` cells wide."""
    natural = [
        max([Text(c.header).cell_len, *(Text(row[i]).cell_len for row in cells)])
        for i, c in enumerate(columns)
    ]

    def least(i: int) -> int:
        column = columns[i]
        if column.fit == "keep":
            return natural[i]
        return min(natural[i], NOTE_MIN_WIDTH if column.fit == "note" else column.min_width)

    def needed(shown: list[int]) -> int:
        return sum(least(i) for i in shown) + GAP * (len(shown) - 1)

    shown = list(range(len(columns)))
    # Notes first (they can go under the table), then droppable columns, highest number first.
    for i in [i for i, c in enumerate(columns) if c.fit == "note"]:
        if needed(shown) > width:
            shown.remove(i)
    for i in sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop):
        if needed(shown) <= width:
            break
        shown.remove(i)
    # Notes come back when dropping made room for them.
    for i in [i for i, c in enumerate(columns) if c.fit == "note" and i not in shown]:
        if needed(sorted([*shown, i])) <= width:
            shown = sorted([*shown, i])
    # Flexible columns start at their least width; what is left goes to URLs and titles first
    # (whole is better than cut), then to notes (fewer lines).
    widths = [natural[i] if columns[i].fit == "keep" else least(i) for i in range(len(columns))]
    spare = width - needed(shown)
    for fit in ("ellipsis", "note"):
        for i in (i for i in shown if columns[i].fit == fit):
            extra = min(spare, natural[i] - widths[i])
            widths[i] += extra
            spare -= extra
    return shown, widths


# --- articles ---------------------------------------------------------------------------------------

ARTICLE_COLUMNS = (
    Column("id", right=True),
    Column("published (KST)"),
    Column("ministry", fit="ellipsis", drop=1, min_width=10),
    Column("license", drop=2),
    Column("title", fit="ellipsis", min_width=20),
)


def article_rows(items: Iterable[StoredArticle]) -> list[tuple[object, ...]]:
    return [
        (
            s.id,
            s.article.published_at.astimezone(KST).strftime("%Y-%m-%d %H:%M"),
            plain(s.article.ministry or ""),
            s.article.license or "-",
            plain(s.article.title),
        )
        for s in items
    ]


# --- progress bars ----------------------------------------------------------------------------------

BAR_WIDTH = 12
COUNTS = "new {task.fields[new]} upd {task.fields[updated]} fail {task.fields[failed]}"


def _progress(console: Console, *middle: TextColumn) -> Progress:
    """A bar whose label takes what the figures leave and is shortened with …, so the counts and
    the elapsed time always stay whole."""
    label = RichColumn(ratio=1, no_wrap=True, overflow="ellipsis")
    return Progress(
        TextColumn("[bold]{task.description}", table_column=label),
        BarColumn(bar_width=BAR_WIDTH),
        MofNCompleteColumn(),
        *middle,
        TimeElapsedColumn(),
        console=console,
        transient=True,
        expand=True,
    )


class CrawlProgress:
    """A progress bar on a terminal, nothing otherwise; fed by the child's events."""

    def __init__(self, label: str, console: Console | None = None) -> None:
        console = console or Console(stderr=True)
        self.enabled = console.is_terminal
        self.progress = _progress(console, TextColumn(COUNTS, table_column=RichColumn(no_wrap=True)))
        self.task = self.progress.add_task(label, total=None, new=0, updated=0, failed=0)
        self.discovered = 0

    def __enter__(self) -> CrawlProgress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()

    def on_event(self, event: Event) -> None:
        task = self.progress.tasks[0]
        if isinstance(event, Discovered):
            self.discovered += event.count
            self.progress.update(self.task, total=self.discovered)
        elif isinstance(event, ItemDone):
            self.progress.advance(self.task)
        elif isinstance(event, Stored):
            self.progress.update(
                self.task,
                new=task.fields["new"] + event.new,
                updated=task.fields["updated"] + event.updated,
                failed=task.fields["failed"] + event.failed,
            )


class BackfillProgress(BackfillReporter):
    """A backfill's progress: a bar over days on a terminal, and one line per day either way."""

    def __init__(self, retry_seconds: float, console: Console | None = None) -> None:
        self.retry_seconds = retry_seconds
        self.runs: list[CrawlRun] = []
        self.waited_for: set[int] = set()
        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal
        self.progress = _progress(self.console)
        self.task: TaskID | None = None

    def say(self, line: str) -> None:
        if self.enabled:
            self.progress.console.print(line, markup=False, highlight=False)
        else:
            sys.stdout.write(line + "\n")

    def started(self, backfill: Backfill, resumed: bool) -> None:
        window = f"{backfill.source} {backfill.since}..{backfill.until}"
        if resumed:
            self.say(
                f"backfill {backfill.id} of {window}: resuming from {backfill.next_day} "
                f"({backfill.done_days} of {backfill.total_days} days done)"
            )
        else:
            self.say(f"backfill {backfill.id} of {window}: {backfill.total_days} days, one crawl per day")
        self.task = self.progress.add_task(
            f"backfill {backfill.source}", total=backfill.total_days, completed=backfill.done_days
        )
        if self.enabled:
            self.progress.start()

    def waiting(self, busy: CrawlRun, day: date) -> None:
        if busy.id not in self.waited_for:  # once per blocking run, not at every retry
            self.waited_for.add(busy.id)
            self.say(
                f"{busy.source} is being crawled by run {busy.id} ({busy.status}); waiting for it "
                f"before {day} (retry every {self.retry_seconds:g}s)"
            )

    def day_done(self, backfill: Backfill, run: CrawlRun, day: date) -> None:
        self.runs.append(run)
        if self.task is not None:
            self.progress.update(self.task, completed=backfill.done_days)
        self.say(
            f"  {day}: run {run.id} seen {run.seen}, new {run.new}, updated {run.updated}, "
            f"unchanged {run.unchanged}, failed {run.failed}"
        )

    def stop(self) -> None:
        if self.enabled:
            self.progress.stop()
