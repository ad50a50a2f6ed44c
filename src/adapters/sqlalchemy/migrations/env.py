"""Alembic environment: runs with the connection `database.migrate` hands over."""

from alembic import context

from adapters.sqlalchemy.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
