"""`briefing db upgrade|current|check`: the database schema's migrations from the command line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scheduler.cli import _fail, _settings, app
from storage import migrate, search
from storage.db import make_engine

db_app = typer.Typer(
    help="The database schema (Alembic migrations; BRIEFING_DATABASE_URL names the database).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
T = TypeVar("T")


@db_app.command("upgrade")
def upgrade() -> None:
    """Migrate the database to the newest schema (`briefing run` does it at start too).

    Example: BRIEFING_DATABASE_URL=postgresql://briefing@db/briefing briefing db upgrade
    """
    engine = make_engine(_settings().database_url)
    try:
        before = migrate.current(engine)
        migrate.upgrade(engine)
        after = migrate.current(engine)
        with Session(engine) as session:
            problem = search.check_backend(session)
    except (SQLAlchemyError, migrate.SchemaError) as exc:
        raise _fail(f"upgrade failed: {_first_line(exc)}") from exc
    finally:
        engine.dispose()
    typer.echo(f"database at {after}" + (" (already)" if before == after else f" (was {before or 'empty'})"))
    if problem:
        typer.echo(f"warning: {problem}", err=True)


def _read(reader: Callable[[Engine], T]) -> T:
    """`reader` over the configured database; an unreadable database is a clear error (exit 1)."""
    engine = make_engine(_settings().database_url)
    try:
        return reader(engine)
    except SQLAlchemyError as exc:
        raise _fail(f"cannot read the database: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


@db_app.command("current")
def current() -> None:
    """Print the schema revision of the database and whether it is the newest (exit 1 if behind).

    Example: briefing db current
    """
    found = _read(migrate.current)
    if found == migrate.HEAD:
        typer.echo(f"{found} (head)")
        return
    typer.echo(f"{found or 'empty'} (head is {migrate.HEAD}: run `briefing db upgrade`)")
    raise typer.Exit(1)


@db_app.command("check")
def check() -> None:
    """Compare the database with the models, as Alembic's autogenerate would (exit 1 on any difference).

    Example: briefing db check
    """
    differences = _read(migrate.differences)
    if not differences:
        typer.echo("the database matches the models")
        return
    for difference in differences:
        typer.echo(repr(difference))
    raise typer.Exit(1)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
