"""A source's and a ministry's articles, newest first, from one index each.

`GET /articles?source=…` (and `ministry=`, the CLI's `articles list`, the feeds) asks for the
newest articles that pass a filter. With an index on the filter's column alone, the database
finds every matching row and sorts them to hand back twenty: SQLite walked the unique index
(source_id, external_id) and read every article of the source, 28 ms for a page at 20,000
articles of one source, growing with the table. Indexes on (source_id, published_at) and
(ministry, published_at) hold the rows of one source or ministry already in date order: the
same page took 1.8 ms. The ministry index replaces the old one on ministry alone, which it
covers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF (NOT) EXISTS: a database adopted from before migrations (storage.migrate._adopt) may
    # have been made by a create_all that already knew these indexes.
    op.create_index(
        "ix_articles_source_published", "articles", ["source_id", "published_at"], if_not_exists=True
    )
    op.create_index(
        "ix_articles_ministry_published", "articles", ["ministry", "published_at"], if_not_exists=True
    )
    op.drop_index("ix_articles_ministry", table_name="articles", if_exists=True)


def downgrade() -> None:
    op.create_index("ix_articles_ministry", "articles", ["ministry"])
    op.drop_index("ix_articles_ministry_published", table_name="articles")
    op.drop_index("ix_articles_source_published", table_name="articles")
