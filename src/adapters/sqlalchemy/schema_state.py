"""Whether the database can serve this code: reachable, and its schema migrated to the
code's head revision (or past it: a newer release migrated first, see below)."""

import functools
import logging

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from adapters.sqlalchemy.availability import first_line, is_database_unavailable
from adapters.sqlalchemy.database import MIGRATIONS

log = logging.getLogger(__name__)
VERSION_TABLE = "alembic_version"


@functools.cache
def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    """The code's head revisions and every revision it knows (read once a process)."""
    script = ScriptDirectory(str(MIGRATIONS))
    known = frozenset(r.revision for r in script.walk_revisions())
    return frozenset(script.get_heads()), known


def schema_problem(engine: Engine) -> str | None:
    """None when the database answers and its schema is at the code's head; else a short
    reason, without the database's address or the driver's words (those are logged).

    A revision the code does not know is a newer release's: migrations are additive, so
    the code still works on it, and old workers must stay in service while the new
    release rolls out (the upgrade migrates first, then replaces the workers).
    """
    try:
        with engine.connect() as connection:
            # Alembic's own table, read directly: its MigrationContext logs a line each time.
            current: frozenset[str] = frozenset()
            if inspect(connection).has_table(VERSION_TABLE):
                rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))  # noqa: S608
                current = frozenset(str(row[0]) for row in rows)
    except SQLAlchemyError as error:
        detail = first_line(error) if isinstance(error, DBAPIError) else type(error).__name__
        if is_database_unavailable(error):
            log.warning("readiness: the database cannot be reached: %s", detail)
            return "database unreachable"
        log.warning("readiness: the database answered with an error: %s", detail)
        return "database error"
    heads, known = _revisions()
    if not current:
        return "database schema not created: run migrate"
    if current == heads or not current <= known:
        return None
    return "database schema behind the code: run migrate"
