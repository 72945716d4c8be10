"""Crawl errors name their stage: where in the crawl an item failed (list, article, attachment,
normalize, store). Rows stored before this revision were article pages or feed entries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_errors") as batch:
        batch.add_column(sa.Column("stage", sa.String(20), nullable=False, server_default="article"))


def downgrade() -> None:
    with op.batch_alter_table("crawl_errors") as batch:
        batch.drop_column("stage")
