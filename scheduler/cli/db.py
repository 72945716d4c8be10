"""`briefing db upgrade|current|check`: the database schema's migrations from the command line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from sqlalchemy import Engine

from scheduler.cli.core import ExitCode, database, db_app, fail, load_settings
from storage import migrate

T = TypeVar("T")


@db_app.command("upgrade")
def upgrade() -> None:
    """Migrate the database to the newest schema (`briefing run` does it at start too).

    Example: BRIEFING_DATABASE_URL=postgresql://briefing@db/briefing briefing db upgrade
    """
    settings = load_settings()
    with database(settings, create=False) as db:
        try:
            before = migrate.current(db.engine)
            migrate.upgrade(db.engine)
            after = migrate.current(db.engine)
        except migrate.SchemaError as exc:
            raise fail(f"upgrade failed: {exc}") from None
    typer.echo(f"database {settings.database_location}")
    typer.echo(f"schema at {after}" + (" (already)" if before == after else f" (was {before or 'empty'})"))


def _read(reader: Callable[[Engine], T]) -> tuple[str, T]:
    """(where the database is, `reader` over it), without touching its schema."""
    settings = load_settings()
    with database(settings, create=False) as db:
        return settings.database_location, reader(db.engine)


@db_app.command("current")
def current() -> None:
    """Print where the database is and its schema revision (exit 1 when it is behind).

    Example: briefing db current
    """
    where, found = _read(migrate.current)
    typer.echo(f"database {where}")
    if found == migrate.HEAD:
        typer.echo(f"schema {found} (head)")
        return
    typer.echo(f"schema {found or 'empty'} (head is {migrate.HEAD}: run `briefing db upgrade`)")
    raise typer.Exit(ExitCode.FAILED)


@db_app.command("check")
def check() -> None:
    """Compare the database with the models, as Alembic's autogenerate would (exit 1 on any difference).

    Example: briefing db check
    """
    _, differences = _read(migrate.differences)
    if not differences:
        typer.echo("the database matches the models")
        return
    for difference in differences:
        typer.echo(repr(difference))
    raise typer.Exit(ExitCode.FAILED)
