"""PostgreSQL keeps `articles.search_text` uncompressed in the row, where the search reads it.

Both search routes read `search_text` row by row: the walk through the newest rows, and the
index route's recheck of its newest candidates. PostgreSQL compressed it (pglz) whenever the
row passed its 2 KB TOAST target, which nearly every article does, and decompressing was most of
the walk's cost: 300 rows of 2.5 KB texts took 3.6 ms compressed against 1.3 ms stored plain (a
table of the same 100,000 texts both ways).

Two settings keep it plain while the rest of the row is compressed or moved out first:
- `toast_tuple_target = 8160` (the largest): the row is squeezed only past a full page, not 2 KB.
- `search_text` storage MAIN: PostgreSQL compresses, then moves out of the row, every EXTENDED
  column (`data`, `body_html`, `post_text`) before it compresses a MAIN one. A text that does not
  fit in a page even so is still compressed: nothing fails on a long article.

The settings apply to rows as they are written, so the upgrade writes each stored text that is
compressed once more (`search_text || ''` is a new value, stored by the new rules); the other
columns keep what they hold. The downgrade restores the settings and leaves the rows: either
form reads the same. SQLite stores texts as they are and needs nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE articles ALTER COLUMN search_text SET STORAGE MAIN")
    op.execute("ALTER TABLE articles SET (toast_tuple_target = 8160)")
    op.execute(
        "UPDATE articles SET search_text = search_text || '' "
        "WHERE pg_column_compression(search_text) IS NOT NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE articles RESET (toast_tuple_target)")
    op.execute("ALTER TABLE articles ALTER COLUMN search_text SET STORAGE EXTENDED")
