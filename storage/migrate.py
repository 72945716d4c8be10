"""Schema migrations in code: upgrade, current revision, and a models-vs-database comparison.

The Alembic `Config` is built here, so nothing depends on the working directory or an
alembic.ini. Checking that a database is at head is one query and never imports Alembic;
Alembic loads only when there is something to do.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text

from storage.db import READ_ONLY

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in storage/migrations/versions; tests/test_migrations.py checks they agree.
HEAD = "0009"
VERSION_TABLE = "alembic_version"
# Any constant shared by every briefing process: concurrent upgrades of one PostgreSQL database
# queue on it instead of both creating the same tables.
PG_LOCK_KEY = 0x62726566  # "bref"

# Search structures made by raw DDL in the migrations: FTS5 virtual tables and their shadow
# tables (SQLite); the terms table and GIN indexes on an operator class or an expression
# (PostgreSQL). The models do not describe them, so the comparison leaves them out.
SQLITE_SEARCH_TABLES = ("articles_fts", "articles_bigram")
SEARCH_TABLES = (*SQLITE_SEARCH_TABLES, "article_terms")  # the last: PostgreSQL's, since 0008
SEARCH_INDEXES = (
    "ix_articles_search_trgm",
    "ix_articles_search_bigrams",
    "ix_articles_search_chars",
    "ix_articles_search_grams",
    "ix_article_terms_grams",
)


class SchemaError(Exception):
    """The database schema is not usable by this briefing as it is; the message says what to run."""


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic hook: leave the raw-DDL search structures out of autogenerate."""
    if type_ == "table" and name and name.startswith(SEARCH_TABLES):
        return False
    return not (type_ == "index" and name in SEARCH_INDEXES)


def lock_migrations(connection: Connection) -> None:
    """Serialize migrations of one PostgreSQL database until the transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        # Building an index over a large table may take longer than a query may.
        connection.execute(text("SET LOCAL statement_timeout = 0"))


def current(engine: Engine) -> str | None:
    """The revision the database is at; None for a database without briefing's schema."""
    # Every process opens the database through here: a read must not take SQLite's write lock.
    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        return _version(conn)


def _version(conn: Connection) -> str | None:
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision`; safe when several processes start at once."""
    from alembic import command

    with _file_lock(engine), engine.begin() as conn:
        lock_migrations(conn)
        if _version(conn) is None and _has_briefing_tables(conn):
            _adopt(conn)
        command.upgrade(alembic_config(conn), revision)


def ensure_schema(engine: Engine, *, migrate: bool = True) -> None:
    """Bring the database to head, or, with `migrate=False`, refuse a schema that is behind."""
    found = current(engine)
    if found == HEAD:
        return
    if not migrate:
        where = f"at revision {found}" if found else "empty (no briefing schema)"
        raise SchemaError(
            f"the database schema is {where}, this briefing needs {HEAD}: run `briefing db upgrade` "
            "(or set BRIEFING_AUTO_MIGRATE=true)"
        )
    upgrade(engine)


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would change to make the database match the models ([] when in sync)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        return list(compare_metadata(context, Base.metadata))


def _has_briefing_tables(conn: Connection) -> bool:
    return inspect(conn).has_table("articles")


def _adopt(conn: Connection) -> None:
    """Stamp a database made by `create_all` before migrations existed, if it is today's schema."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    context = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
    diff = list(compare_metadata(context, Base.metadata))
    # Made before 0002 (crawl_errors.stage) and 0003 (crawl_runs.yield_profile, .drift):
    # today's models differ by those columns (and by 0009's indexes) alone.
    later = {
        ("crawl_errors", "stage"),
        ("crawl_runs", "yield_profile"),
        ("crawl_runs", "drift"),
    }
    # And made before 0009: the ministry index on ministry alone, no date-ordered indexes.
    later_indexes = {
        ("add_index", "ix_articles_source_published"),
        ("add_index", "ix_articles_ministry_published"),
        ("remove_index", "ix_articles_ministry"),
    }
    first = [
        d
        for d in diff
        if not (d[0] == "add_column" and (d[2], d[3].name) in later)
        and not (d[0] in ("add_index", "remove_index") and (d[0], d[1].name) in later_indexes)
    ]
    names = set(inspect(conn).get_table_names())
    search_ok = conn.dialect.name == "sqlite" and set(SQLITE_SEARCH_TABLES) <= names
    if first or not search_ok:
        raise SchemaError(
            "the database has briefing tables but no migration history, and they differ from the "
            f"first revision ({'search indexes missing' if not first else first[:3]}); export what you "
            "need and start from an empty database"
        )
    # Its search tables are 0001's whatever its columns: 0004 (contentless 2-gram terms) must run.
    # 0009 makes its indexes only where they are missing, so they do not move the stamp back.
    behind = any(d[0] == "add_column" for d in diff)
    command.stamp(alembic_config(conn), "0001" if behind else "0003")


@contextlib.contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock beside a SQLite file, so two processes never migrate it at once."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on POSIX: no concurrent first start to guard against there
        yield
        return
    fd = os.open(f"{database}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
