"""A tombstone of each deleted account: its id and the time of the deletion, nothing
personal. A provider event naming the id of an account deleted here (a Checkout page
paid at the moment of the deletion) has its subscription canceled; an id that has no
tombstone (a database restored from an older backup, another deployment on the same
provider account) is an unknown user, and nothing is canceled.

Accounts deleted before this left no tombstone: their late events are ignored.

Revision ID: 0007_deleted_accounts
Revises: 0006_outbox_owner
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from adapters.sqlalchemy.tables import UTCDateTime

revision = "0007_deleted_accounts"
down_revision = "0006_outbox_owner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deleted_accounts",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_deleted_accounts"),
    )


def downgrade() -> None:
    op.drop_table("deleted_accounts")
