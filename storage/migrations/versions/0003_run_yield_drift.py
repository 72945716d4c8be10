"""Crawl runs keep their yield profile and drift evidence (the drift alarm, crawler/drift.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("yield_profile", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("drift", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("drift")
        batch.drop_column("yield_profile")
