"""Shared CLI output: tables, JSON and the crawl progress bar."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crawler.protocol import Discovered, Event, ItemDone, Stored
from storage import StoredArticle


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def print_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    table = Table(*columns, box=None, pad_edge=False, show_edge=False)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    Console(soft_wrap=True).print(table)


def article_rows(items: Iterable[StoredArticle]) -> list[tuple[object, ...]]:
    return [
        (
            s.id,
            s.article.published_at.strftime("%Y-%m-%d %H:%M"),
            s.article.ministry or "",
            s.article.license or "-",
            s.article.title,
        )
        for s in items
    ]


ARTICLE_COLUMNS = ("id", "published (KST)", "ministry", "license", "title")


class CrawlProgress:
    """A progress bar on a terminal, nothing otherwise; fed by the child's events."""

    def __init__(self, label: str) -> None:
        self.enabled = sys.stderr.isatty()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "new {task.fields[new]} · updated {task.fields[updated]} · failed {task.fields[failed]}"
            ),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
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
