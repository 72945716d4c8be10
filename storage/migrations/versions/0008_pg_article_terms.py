"""PostgreSQL's search terms move to a narrow table of their own, `article_terms`.

The index route sorts its candidates by date before it reads any text. Under 0006 that date
came from the articles row, and an articles row fills about a page (781 MB for 100,000
articles since 0007 keeps `search_text` in the row). A word in 5,072 articles read 5,072
pages; once other searches had pushed them out of shared buffers (128 MB by default) each
came back from the operating system, and the search took 26 ms instead of 12.

`article_terms` holds one row per article: its id, its publication time (kept equal to the
article's by the writer, storage/search.py `index_grams`) and its terms (storage/grams.py),
under the GIN index that `articles.search_grams` had. `toast_tuple_target = 128` moves any
term list longer than a few dozen bytes out of the row, so 100,000 rows take 7-11 MB and stay
in the buffers: the same word reads 1,400 buffers there and its 21 newest articles rows.

The upgrade copies the terms over, builds the index (77 s at 100,000 articles) and drops the
column and its index (PostgreSQL frees a dropped column's space only as rows are rewritten;
`VACUUM FULL articles` frees it at once); the downgrade puts them back (84 s). SQLite keeps
its terms in its FTS5 tables: it only drops the column, which 0006 added there empty.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TERMS_TABLE = """
CREATE TABLE article_terms (
    article_id integer PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    published_at timestamp with time zone NOT NULL,
    grams text NOT NULL
) WITH (toast_tuple_target = 128)
"""
TERMS_INDEX = "CREATE INDEX ix_article_terms_grams ON article_terms USING gin (string_to_array(grams, ' '))"
# As 0006 made it, for the downgrade.
COLUMN_INDEX = (
    "CREATE INDEX ix_articles_search_grams ON articles USING gin (string_to_array(search_grams, ' '))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("ALTER TABLE articles DROP COLUMN search_grams")
        return
    op.execute(TERMS_TABLE)
    op.execute(
        "INSERT INTO article_terms (article_id, published_at, grams) "
        "SELECT id, published_at, search_grams FROM articles WHERE search_grams IS NOT NULL"
    )
    op.execute(TERMS_INDEX)
    op.execute("DROP INDEX ix_articles_search_grams")
    op.execute("ALTER TABLE articles DROP COLUMN search_grams")
    op.execute("ANALYZE article_terms")


def downgrade() -> None:
    op.add_column("articles", sa.Column("search_grams", sa.Text(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "UPDATE articles SET search_grams = t.grams FROM article_terms t WHERE t.article_id = articles.id"
    )
    op.execute(COLUMN_INDEX)
    op.execute("DROP TABLE article_terms")
