"""Single characters get an index, and SQLite's 2-gram table stops keeping a copy of its terms.

SQLite: `articles_bigram` becomes contentless (`content=''`: 0001 called it so, but its DDL kept
every article's gram list a second time in articles_bigram_content), stores no positions
(`detail=none`: every query of it is one term) and gains each word character of the text as a
one-character term (storage/grams.py). Its tokenizer keeps each space-separated term whole
(ascii, with `_` a token character as in Python's `\\w`), where unicode61 split `a_` into `a`
and folded `é` into `e`. It is rebuilt from articles.search_text: a contentless table cannot be
read back. SQLite 3.40 has no `contentless_delete`: a row's terms are removed by a 'delete'
command given the very terms inserted, so the article delete trigger computes them with the
SQL function `article_grams`, which storage/db.py registers on every connection.

PostgreSQL: `article_chars(text)`, the distinct characters of the lower-cased text, and a GIN
index over it for 1-character words (pg_trgm extracts nothing from them).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from storage.db import register_functions
from storage.grams import bigrams, grams
from storage.migrations.texts import search_texts

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GRAMS_TABLE = (
    "CREATE VIRTUAL TABLE articles_bigram USING fts5(grams, content='', columnsize=0, detail=none, "
    "tokenize=\"ascii tokenchars '_'\")"
)
GRAMS_DELETE_TRIGGER = (
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO articles_bigram(articles_bigram, rowid, grams) "
    "VALUES ('delete', old.id, article_grams(old.search_text)); END"
)
# 0001's table and trigger, for the downgrade.
OLD_GRAMS_TABLE = "CREATE VIRTUAL TABLE articles_bigram USING fts5(grams, tokenize='unicode61')"
OLD_DELETE_TRIGGER = (
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "DELETE FROM articles_bigram WHERE rowid = old.id; END"
)

PG_CHARS_FUNCTION = """
CREATE OR REPLACE FUNCTION article_chars(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT c), '{}')
    FROM unnest(string_to_array(lower(t), NULL)) AS c
    WHERE c <> ' '
$$
"""


def _rebuild(table_ddl: str, trigger_ddl: str, terms: Callable[[str], str]) -> None:
    op.execute("DROP TRIGGER IF EXISTS articles_fts_ad")
    op.execute("DROP TABLE IF EXISTS articles_bigram")
    op.execute(table_ddl)
    bind = op.get_bind()
    for rows in search_texts(bind):
        bind.execute(
            sa.text("INSERT INTO articles_bigram(rowid, grams) VALUES (:id, :grams)"),
            [{"id": id_, "grams": terms(text_)} for id_, text_ in rows],
        )
    op.execute(trigger_ddl)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # The trigger calls article_grams; a connection opened outside storage.db has none yet.
        driver = op.get_bind().connection.driver_connection
        register_functions(driver)
        _rebuild(GRAMS_TABLE, GRAMS_DELETE_TRIGGER, grams)
    elif dialect == "postgresql":
        op.execute(PG_CHARS_FUNCTION)
        op.execute("CREATE INDEX ix_articles_search_chars ON articles USING gin (article_chars(search_text))")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _rebuild(OLD_GRAMS_TABLE, OLD_DELETE_TRIGGER, bigrams)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_chars")
        op.execute("DROP FUNCTION IF EXISTS article_chars(text)")
