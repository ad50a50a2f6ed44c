"""A per-user session generation, so that log-out ends sessions on the server too.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    # An ALTER TABLE, not a rebuild: rebuilding `users` would trip the foreign key of
    # `subscriptions` on SQLite (DROP COLUMN needs SQLite 3.35 or newer).
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("session_generation")
