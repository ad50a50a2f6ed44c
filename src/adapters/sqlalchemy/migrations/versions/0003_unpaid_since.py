"""When a subscription's oldest unpaid invoice failed: the past-due grace counts from it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from adapters.sqlalchemy.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: old workers keep writing rows without it while new ones start
    # (a stored past-due subscription without it counts grace from its period's start,
    # as before, until its next event or reconcile fetches it).
    with op.batch_alter_table("subscriptions", recreate="never") as batch:
        batch.add_column(sa.Column("unpaid_since", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", recreate="never") as batch:
        batch.drop_column("unpaid_since")
