"""Each outbox entry names the user whose email it is, so that deleting the account
deletes all of its mail, to whatever address (a change of email sends to the new one).

Entries written before this know no owner: an account's own (its key is
`<kind>:<user id>:...`) gets that user, any other the user with its address, if any.

Revision ID: 0006_outbox_owner
Revises: 0005_accounts
Create Date: 2026-12-15
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_outbox_owner"
down_revision = "0005_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", recreate="never") as batch:
        batch.add_column(sa.Column("owner", sa.String(32), nullable=True))
    op.create_index("ix_outbox_owner", "outbox", ["owner"])
    connection = op.get_bind()
    users = {row[0] for row in connection.execute(sa.text("SELECT id FROM users"))}
    entries = connection.execute(sa.text("SELECT id FROM outbox")).scalars().all()
    by_key = [
        {"id": entry_id, "owner": entry_id.split(":")[1]}
        for entry_id in entries
        if entry_id.count(":") >= 2 and entry_id.split(":")[1] in users
    ]
    if by_key:
        connection.execute(sa.text("UPDATE outbox SET owner = :owner WHERE id = :id"), by_key)
    op.execute(
        "UPDATE outbox SET owner = (SELECT users.id FROM users"
        " WHERE users.email = outbox.recipient) WHERE owner IS NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_owner", table_name="outbox")
    # ALTER TABLE, not a rebuild (see 0002): SQLite 3.35 or newer drops columns.
    with op.batch_alter_table("outbox", recreate="never") as batch:
        batch.drop_column("owner")
