"""PostgreSQL's trigram index goes: its search finds every word through the 2-gram and
character indexes.

The index route on PostgreSQL (storage/search.py, `_pg_candidates_first`) has looked words of
3+ characters up by their in-word 2-grams, rechecked newest first, since it was written: the
pg_trgm index `ix_articles_search_trgm` served no search, and it cost about as much per stored
article as the 2-gram index (docs/benchmarks.md, figure 5). The pg_trgm extension stays
installed: it is the database's, and other schemas may use it; nothing here needs it any more.

SQLite keeps its FTS5 trigram table: there it answers words of 3+ characters without reading
a text, which a 2-gram route cannot do for a rare word whose 2-grams are common.

The downgrade builds the index again from articles.search_text (creating pg_trgm where 0001
would, when it is missing).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TRGM_SCHEMA = sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
PUBLIC_WRITABLE = sa.text(
    "SELECT CASE WHEN to_regnamespace('public') IS NULL THEN false "
    "ELSE has_schema_privilege('public', 'CREATE') END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_trgm")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.scalar(TRGM_SCHEMA)
    if schema is None:  # as 0001: in `public` when allowed, so no schema's drop takes it along
        where = " SCHEMA public" if bind.scalar(PUBLIC_WRITABLE) else ""
        op.execute(f"CREATE EXTENSION IF NOT EXISTS pg_trgm{where}")
        schema = bind.scalar(TRGM_SCHEMA)
    op.execute(
        f"CREATE INDEX ix_articles_search_trgm ON articles USING gin (search_text {schema}.gin_trgm_ops)"
    )
