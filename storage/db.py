"""Engines: where the database is (SQLite by default, PostgreSQL by URL) and how each connection is set up."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from storage.grams import SQL_FUNCTION, sql_grams

DATABASE_FILE = "briefing.db"


def default_data_dir() -> Path:
    """The user's data directory for briefing, whatever the current directory is.

    `$XDG_DATA_HOME/briefing` (else `~/.local/share/briefing`) on Linux, the platform's
    equivalent elsewhere; created by whoever writes into it first.
    """
    return Path(platformdirs.user_data_dir("briefing", appauthor=False))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def default_url() -> str:
    """The SQLite file used when no database URL is configured."""
    return sqlite_url(default_data_dir() / DATABASE_FILE)


def describe_url(url: str) -> str:
    """Where a database is, for people: the file of a SQLite URL, else the URL without its password."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        return str(Path(database).resolve()) if database and database != ":memory:" else "in memory"
    return parsed.render_as_string(hide_password=True)


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Connection pool and time-outs; the pool applies to PostgreSQL (SQLite opens files)."""

    pool_size: int = 5
    max_overflow: int = 5
    pool_timeout: float = 30.0  # seconds to wait for a free pooled connection
    pool_recycle: float = 1800.0  # reconnect older connections (proxies drop idle ones)
    connect_timeout: float = 10.0  # seconds; an unreachable server fails fast instead of hanging
    statement_timeout: float = 60.0  # seconds per statement on PostgreSQL; 0 = no limit


def normalize_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` URLs and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the service read while a crawl child writes; the busy timeout absorbs the
    # short moments when both want to write.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    _wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    register_functions(dbapi_connection)
    # pysqlite would run reads outside any transaction and BEGIN only before the first write,
    # so a read-then-write upsert could decide from a stale row. Turn its implicit BEGIN off and
    # emit our own (SQLAlchemy's documented recipe): see `_sqlite_begin`.
    dbapi_connection.isolation_level = None


def register_functions(dbapi_connection: Any) -> None:
    """SQL functions the schema calls: the article delete trigger computes the 2-gram terms
    to remove from the contentless index (migration 0004). A connection without them (the
    sqlite3 shell) cannot delete articles: it fails rather than corrupt the index."""
    dbapi_connection.create_function(SQL_FUNCTION, 1, sql_grams, deterministic=True)


READ_ONLY = "briefing_read_only"  # execution option: this transaction never writes


def _sqlite_begin(conn: Any) -> None:
    # A transaction that may write takes the write lock up front (BEGIN IMMEDIATE), waiting up
    # to busy_timeout for it: its reads then see the newest data, and WAL never refuses its
    # first write for a stale snapshot. Read-only transactions start deferred and block no one.
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _wal(cursor: Any, attempts: int = 100) -> None:
    """Switch the file to WAL (it stays so). Processes opening a new file at once race for the
    switch, and the loser gets "database is locked" without any busy wait: it tries again."""
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def make_engine(url: str, options: EngineOptions | None = None) -> Engine:
    url = normalize_url(url)
    options = options or EngineOptions()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = max(1, round(options.connect_timeout))
    engine = create_engine(
        url,
        pool_pre_ping=True,  # a connection broken by a database restart is replaced, not used
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.pool_timeout,
        pool_recycle=options.pool_recycle,
        connect_args=connect_args,
    )
    if options.statement_timeout > 0:
        # Per connection rather than in the URL, so a URL's own `options` (search_path) stay.
        timeout_ms = round(options.statement_timeout * 1000)

        def _timeouts(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {timeout_ms}")
            dbapi_connection.commit()

        event.listen(engine, "connect", _timeouts)
    return engine
