"""Database: one engine and its sessions, opened with its schema brought to the newest migration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from storage.db import READ_ONLY, EngineOptions, make_engine, normalize_url
from storage.migrate import ensure_schema


class Database:
    """One engine and its session factory; each process owns one.

    Opening a database brings its schema to the newest migration (one query when it is
    already there). `migrate=False` refuses a schema that is behind (storage.migrate.SchemaError)
    instead; `create=False` leaves the schema alone entirely.
    """

    def __init__(
        self,
        url: str,
        *,
        create: bool = True,
        migrate: bool = True,
        options: EngineOptions | None = None,
    ) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        if create:
            try:
                ensure_schema(self.engine, migrate=migrate)
            except BaseException:
                self.engine.dispose()
                raise

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error.

        On SQLite a session holds the database's write lock for its whole transaction, so
        writers never interleave; pass `read_only=True` for pure reads, which never wait.
        """
        factory = self._read_sessions if read_only else self._sessions
        with factory() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
