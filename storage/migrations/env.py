"""Alembic environment: migrations run on the connection `storage.migrate` hands over.

Run from the command line (`alembic upgrade head` with the repository's alembic.ini), the URL
comes from BRIEFING_DATABASE_URL / DATABASE_URL, as for the service.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from storage.db import default_url, make_engine
from storage.migrate import include_object, lock_migrations
from storage.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        lock_migrations(connection)
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("briefing migrations need a database connection (offline SQL is not supported)")
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = os.environ.get("BRIEFING_DATABASE_URL") or os.environ.get("DATABASE_URL") or default_url()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            run(conn)
    finally:
        engine.dispose()


main()
