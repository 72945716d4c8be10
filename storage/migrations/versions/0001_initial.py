"""The first schema: sources, articles (with aliases and revisions), crawl runs and errors,
backfills, and the Korean search indexes (FTS5 on SQLite, pg_trgm on PostgreSQL).

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ACTIVE_RUN = "status IN ('queued', 'running')"

# SQLite: an external-content FTS5 trigram table kept in sync by triggers, and a contentless
# table of in-word 2-grams that the upsert writes (trigram never matches fewer than 3 chars).
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5("
    "search_text, content='articles', content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_bigram USING fts5(grams, tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "DELETE FROM articles_bigram WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF search_text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO articles_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_bigram",
    "DROP TABLE IF EXISTS articles_fts",
]

# PostgreSQL: a pg_trgm GIN index for words of 3+ characters, and a GIN index over the in-word
# 2-grams of the text for 2-character words (pg_trgm extracts no trigram from them).
PG_BIGRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION article_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(w, i, 2)), '{}')
    FROM regexp_split_to_table(lower(t), '\W+') AS w, generate_series(1, length(w) - 1) AS i
$$
"""


TRGM_SCHEMA = sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
PUBLIC_WRITABLE = sa.text(
    "SELECT CASE WHEN to_regnamespace('public') IS NULL THEN false "
    "ELSE has_schema_privilege('public', 'CREATE') END"
)


def _pg_search() -> None:
    bind = op.get_bind()
    schema = bind.scalar(TRGM_SCHEMA)
    if schema is None:
        # One extension serves every schema of the database: put it in `public` when allowed,
        # so dropping this schema never takes it (and other schemas' indexes) along.
        op.execute(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm"
            + (" SCHEMA public" if bind.scalar(PUBLIC_WRITABLE) else "")
        )
        schema = bind.scalar(TRGM_SCHEMA)
    # The operator class lives wherever the extension was installed, which need not be on this
    # schema's search_path.
    op.execute(
        f"CREATE INDEX ix_articles_search_trgm ON articles USING gin (search_text {schema}.gin_trgm_ops)"
    )
    op.execute(PG_BIGRAMS_FUNCTION)
    op.execute("CREATE INDEX ix_articles_search_bigrams ON articles USING gin (article_bigrams(search_text))")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("last_checked_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("section", sa.String(50), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("subtitle", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ministry", sa.String(200)),
        sa.Column("rep_code", sa.String(20)),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("license_type", sa.Integer()),
        sa.Column("license_text_only", sa.Boolean(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("embargo_until", sa.DateTime(timezone=True)),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("body_hash", sa.String(64)),
        sa.Column("dedupe_key", sa.String(64)),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        sa.Column("post_text", sa.Text()),
        sa.Column("post_hash", sa.String(64)),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_id", "external_id", name="uq_articles_source_external"),
    )
    op.create_index("ix_articles_published", "articles", ["published_at"])
    op.create_index("ix_articles_ministry", "articles", ["ministry"])
    op.create_index("ix_articles_body_hash", "articles", ["body_hash"])
    op.create_index("ix_articles_dedupe_key", "articles", ["dedupe_key"])
    op.create_table(
        "article_aliases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column(
            "article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_id", "external_id", name="uq_article_aliases_source_external"),
    )
    op.create_index("ix_article_aliases_article_id", "article_aliases", ["article_id"])
    op.create_table(
        "article_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("article_id", "number", name="uq_revisions_article_number"),
    )
    op.create_index("ix_article_revisions_article_id", "article_revisions", ["article_id"])
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("since", sa.String(10)),
        sa.Column("until", sa.String(10)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("pid", sa.Integer()),
        sa.Column("host", sa.String(255)),
        sa.Column("slot", sa.BigInteger()),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("exit_code", sa.Integer()),
        sa.Column("reason", sa.Text()),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.UniqueConstraint("source", "slot", name="uq_crawl_runs_source_slot"),
    )
    op.create_index("ix_crawl_runs_source", "crawl_runs", ["source", "id"])
    op.create_index(
        "uq_crawl_runs_one_active",
        "crawl_runs",
        ["source"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_RUN),
        postgresql_where=sa.text(ACTIVE_RUN),
    )
    op.create_table(
        "crawl_errors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_crawl_errors_run_id", "crawl_errors", ["run_id"])
    op.create_table(
        "backfills",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("since", sa.String(10), nullable=False),
        sa.Column("until", sa.String(10), nullable=False),
        sa.Column("next_day", sa.String(10)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    elif dialect == "postgresql":
        _pg_search()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_SEARCH_DROP:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_bigrams")
        op.execute("DROP INDEX IF EXISTS ix_articles_search_trgm")
        op.execute("DROP FUNCTION IF EXISTS article_bigrams(text)")
        # pg_trgm stays: other schemas of the database may use it.
    for table in (
        "backfills",
        "crawl_errors",
        "crawl_runs",
        "article_revisions",
        "article_aliases",
        "articles",
        "sources",
    ):
        op.drop_table(table)
