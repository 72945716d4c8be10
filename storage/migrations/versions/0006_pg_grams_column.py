"""PostgreSQL's search terms come from Python: a `search_grams` column and one GIN index over it.

Until now PostgreSQL cut each text into 2-grams and characters itself, in two SQL functions
indexed by two GIN indexes. That had two costs:
- `article_bigrams` split words with the regular expression `\\W+`, whose idea of a letter is
  the database's LC_CTYPE: under `C` it found no Korean word, and the index route then missed
  every Korean word of 2+ characters older than the newest rows.
- Evaluating the two SQL functions took more of each insert than the index entries themselves.

Now `storage.grams.grams` (the very terms SQLite's 2-gram table holds: in-word 2-grams, then
each word character once) is computed by Python for every written text and stored in
`articles.search_grams`, and one GIN index over `string_to_array(search_grams, ' ')` answers
both 1-character words and 2-grams: a 1-character term never equals a 2-gram. The column is
NULL on SQLite, whose FTS5 table holds the same terms.

The upgrade fills the column for stored articles in batches by id (Python computes the terms,
as the writer will), then builds the index and drops the two old ones and their functions. The
downgrade restores those (0001 and 0004 made them) and drops the column.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.grams import grams
from storage.migrations.texts import search_texts

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


GRAMS_INDEX = (
    "CREATE INDEX ix_articles_search_grams ON articles USING gin (string_to_array(search_grams, ' '))"
)

# As 0001 and 0004 made them, for the downgrade: a copy, so that this downgrade restores them
# exactly even if those files' constants are ever edited.
PG_BIGRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION article_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(w, i, 2)), '{}')
    FROM regexp_split_to_table(lower(t), '\W+') AS w, generate_series(1, length(w) - 1) AS i
$$
"""
PG_CHARS_FUNCTION = """
CREATE OR REPLACE FUNCTION article_chars(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT c), '{}')
    FROM unnest(string_to_array(lower(t), NULL)) AS c
    WHERE c <> ' '
$$
"""


def _fill_grams() -> None:
    bind = op.get_bind()
    for rows in search_texts(bind):
        bind.execute(
            sa.text("UPDATE articles SET search_grams = :grams WHERE id = :id"),
            [{"id": id_, "grams": grams(text_)} for id_, text_ in rows],
        )


def upgrade() -> None:
    # A database briefing adopted (made by create_all from these models) has the column already.
    if "search_grams" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("articles")}:
        op.add_column("articles", sa.Column("search_grams", sa.Text(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return
    _fill_grams()
    op.execute(GRAMS_INDEX)
    op.execute("DROP INDEX IF EXISTS ix_articles_search_bigrams")
    op.execute("DROP INDEX IF EXISTS ix_articles_search_chars")
    op.execute("DROP FUNCTION IF EXISTS article_bigrams(text)")
    op.execute("DROP FUNCTION IF EXISTS article_chars(text)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_BIGRAMS_FUNCTION)
        op.execute(
            "CREATE INDEX ix_articles_search_bigrams ON articles USING gin (article_bigrams(search_text))"
        )
        op.execute(PG_CHARS_FUNCTION)
        op.execute("CREATE INDEX ix_articles_search_chars ON articles USING gin (article_chars(search_text))")
        op.execute("DROP INDEX IF EXISTS ix_articles_search_grams")
    # A plain ALTER (SQLite 3.35+): a batch operation would copy the articles table into a new
    # one, and the FTS5 triggers and the external-content table on it would not follow.
    op.execute("ALTER TABLE articles DROP COLUMN search_grams")
