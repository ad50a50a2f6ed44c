"""Accounts people can keep: a verified address, and the emailed links' tokens.

Existing users count as verified (since their registration): they signed up before
addresses were checked, some pay already, and locking them out of subscribing until
they open a link nobody sent them would help nobody.

Revision ID: 0005_accounts
Revises: 0004_outbox
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from adapters.sqlalchemy.tables import UTCDateTime

revision = "0005_accounts"
down_revision = "0004_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(sa.Column("email_verified_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("account_tokens", sa.Text(), nullable=True))
    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade() -> None:
    # ALTER TABLE, not a rebuild (see 0002): SQLite 3.35 or newer drops columns.
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("account_tokens")
        batch.drop_column("email_verified_at")
