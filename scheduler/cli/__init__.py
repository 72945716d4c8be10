"""The `briefing` command line: thin commands over storage and the crawl launcher.

`core` holds what the commands share (the command tree, settings, dates, the database, exit
codes); each other module is one command group and imports only `core`. Importing this package
registers every command on `app`.
"""

from __future__ import annotations

from scheduler.cli import (  # noqa: F401  (they register)
    articles,
    blog,
    check,
    crawl,
    db,
    posts,
    reparse,
    run,
    runs,
    sources,
)
from scheduler.cli.core import ExitCode, app

__all__ = ["ExitCode", "app", "main"]


def main() -> None:
    app()
