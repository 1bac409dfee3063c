"""SQLAlchemy 2.x: the declarative Base and the Flask-SQLAlchemy session per request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, Table, event
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect
                             ) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, write-ahead log, and wait rather than fail when busy."""
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(conn: Any, name: str) -> None:
    """SQLite: open the outer transaction before a savepoint.

    The sqlite3 driver begins a transaction only at the first INSERT, UPDATE or DELETE. A
    savepoint taken before that (a first insert guarded by ``begin_nested``) would itself be
    the outermost transaction, and releasing it would commit at once: the request's later
    failure could then no longer undo that insert (the one-commit-per-request rule)."""
    dbapi_connection = conn.connection.dbapi_connection
    if "sqlite" in type(dbapi_connection).__module__ and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def table_of(model: type[Base]) -> Table:
    """A model's Core table, typed (``__table__`` is typed as any FromClause)."""
    return cast(Table, model.__table__)


def rows_changed(statement: Executable) -> int:
    """Run an UPDATE or DELETE and say how many rows it changed.

    Used only where the statement itself is the point: a conditional UPDATE is how two
    requests at once cannot both win (a counter, a one-time code), which ``session.add`` and
    a read-then-write cannot promise. Never used for speed."""
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount
