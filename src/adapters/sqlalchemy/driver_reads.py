"""A reader's look-up of one user, run on the driver's own connection.

A page reads its user once: the session's user loader, one statement (the user joined
with their subscriptions). Through SQLAlchemy's `Connection` that one statement cost a
page several times what its execution in the driver does (the connection object, its
transaction bookkeeping, the execution context, the result object). Here the statement
(the same Core statement, `_user_statement`) is compiled once per dialect and run on a
pooled DBAPI connection; its values are typed by the result processors SQLAlchemy's own
result would apply (UTC datetimes, booleans on SQLite), so the rows are the same.

- Not used while something listens to the engine's statements (`before_cursor_execute`
  or `after_cursor_execute`: a test that counts them, tracing): those reads take the
  ordinary path, which sends the same SQL.
- PostgreSQL: the statement runs in autocommit, as a reader's Core reads do (no BEGIN or
  ROLLBACK round trip); the connection goes back to the pool as it came.
- A driver error is raised as SQLAlchemy raises it (`DBAPIError.instance`: an
  `OperationalError` for a database that is down, which the app answers with 503), and a
  connection the driver reports as lost is invalidated, never pooled again.
"""

import contextlib
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Engine, Select, exc


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # the parameters' order, for a positional paramstyle
    binds: Mapping[str, Callable[[Any], Any] | None]  # each parameter's bind processor
    keys: tuple[str, ...]  # each result column's key, in the select's order
    processors: tuple[Callable[[Any], Any] | None, ...]  # each column's result processor

    def parameters(self, values: Mapping[str, Any]) -> Any:
        bound = {}
        for name, value in values.items():
            process = self.binds.get(name)
            bound[name] = process(value) if process is not None else value
        if self.names is None:
            return bound
        return tuple(bound[name] for name in self.names)

    def mapping(self, row: Sequence[Any]) -> dict[str, Any]:
        return {
            key: process(value) if process is not None else value
            for key, process, value in zip(self.keys, self.processors, row, strict=True)
        }


_compiled: "weakref.WeakKeyDictionary[Dialect, dict[Select[Any], _Compiled]]"
_compiled = weakref.WeakKeyDictionary()


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled:
    by_statement = _compiled.setdefault(dialect, {})
    kept = by_statement.get(statement)
    if kept is not None:
        return kept
    compiled = statement.compile(dialect=dialect)
    columns = list(statement.selected_columns)
    kept = _Compiled(
        sql=compiled.string,
        names=tuple(compiled.positiontup or ()) if compiled.positional else None,
        binds={
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        },
        keys=tuple(str(column.key) for column in columns),
        processors=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ),
    )
    by_statement[statement] = kept
    return kept


def listened(engine: Engine) -> bool:
    """Whether something listens to the engine's statements (they must see this read)."""
    dispatch = engine.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute)


def rows_of(
    engine: Engine, statement: Select[Any], values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The rows `statement` selects with `values`, as {column key: typed value}."""
    dialect = engine.dialect
    compiled = _compile(statement, dialect)
    parameters = compiled.parameters(values)
    error_class = dialect.loaded_dbapi.Error
    autocommit = dialect.name == "postgresql"
    try:
        connection = engine.raw_connection()
    except error_class as error:
        raise exc.DBAPIError.instance(None, None, error, error_class, dialect=dialect) from error
    driver: Any = connection.dbapi_connection
    cursor = None
    try:
        if autocommit:
            driver.autocommit = True
        cursor = connection.cursor()
        cursor.execute(compiled.sql, parameters)
        rows = cursor.fetchall()
    except error_class as error:
        lost = dialect.is_disconnect(error, driver, cursor)
        if lost:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(
            compiled.sql,
            parameters,
            error,
            error_class,
            dialect=dialect,
            connection_invalidated=lost,
        ) from error
    finally:
        if cursor is not None:
            with contextlib.suppress(error_class):
                cursor.close()
        if autocommit and connection.is_valid:
            try:
                driver.autocommit = False  # as the pool lent it
            except error_class as error:
                connection.invalidate(error)
        connection.close()  # back to the pool (reset), or discarded when invalidated
    return [compiled.mapping(row) for row in rows]
