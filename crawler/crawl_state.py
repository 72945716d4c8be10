"""The one place a spider reads stored state: page validators, stored ids, a feed's last check.

Spiders never open the database themselves and never write to it (the storage pipeline does).
This reader opens the database once per crawl, lazily, with the same options everywhere: the
schema is left alone (the parent process migrated it) and every session is read-only, so on
SQLite a look-up never waits for the writer's batch transaction (BEGIN, not BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Collection

from storage import Database, SourceState, get_source_state, stored_ids
from storage.validators import HttpValidators, load_validators


class CrawlState:
    """Read-only look-ups for one crawl; `close()` when the spider closes."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._db: Database | None = None

    def _database(self) -> Database:
        if self._db is None:
            self._db = Database(self.database_url, create=False)
        return self._db

    def validators(self, source: str, external_ids: Collection[str]) -> dict[str, HttpValidators]:
        """The stored HTTP validators of those articles that have any."""
        with self._database().session(read_only=True) as session:
            return load_validators(session=session, source=source, external_ids=external_ids)

    def ids_with_body(self, source: str, external_ids: Collection[str], body_source: str) -> set[str]:
        """Which of these articles are stored with a body from `body_source`."""
        with self._database().session(read_only=True) as session:
            return stored_ids(session=session, source=source, external_ids=external_ids,
                              body_source=body_source)

    def source_state(self, name: str) -> SourceState | None:
        """The source's last recorded check (status, validators), or None if never checked."""
        with self._database().session(read_only=True) as session:
            return get_source_state(session=session, name=name)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None
