"""Async SQLAlchemy engine and sessions from a database URL.

The same code serves SQLite (the local default) and PostgreSQL (production; `postgresql://` URLs
get the `asyncpg` driver). On PostgreSQL, rows checked and then changed are locked with
`SELECT ... FOR UPDATE`, and concurrent inserts of one key fail with `IntegrityError` as on
SQLite. Tables are created at startup under an advisory lock, so replicas starting together do
not race on `CREATE TABLE`.

SQLite needs help to take concurrent writers: WAL so readers never block the writer, a busy
timeout so a writer waits for the lock instead of failing, and `BEGIN IMMEDIATE` so a write
transaction takes the write lock when it starts. Without the last one, two transactions that
both read and then write deadlock on the lock upgrade, and SQLite fails one of them at once with
"database is locked" (the busy timeout does not apply to that case).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import URL, Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
WAL_SWITCH_ATTEMPTS = 50
WAL_SWITCH_PAUSE_SECONDS = 0.02
_BEGIN_OPTION = "sqlite_begin"
# The driver a URL without one gets (`postgresql://` -> asyncpg).
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
# pg_advisory_xact_lock key held while creating tables: any constant shared by every process.
SCHEMA_LOCK_KEY = 0x6F7264657273  # "orders"


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    SQLite stores no offset, so values are normalised to UTC on the way in and marked UTC on the
    way out; PostgreSQL keeps them as `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC timestamps only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Database:
    """One engine and its session factories: `sessions` for writes, `readers` for reads."""

    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self.engine = create_engine(self.url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Reads need no write lock; on SQLite they start a deferred transaction instead.
        self.readers = async_sessionmaker(
            self.engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"}),
            expire_on_commit=False,
        )

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.url.get_backend_name()

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    async def create_all(self, metadata: Iterable[MetaData]) -> None:
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # DDL is transactional here: the next replica waits, then finds the tables.
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY}
                )
            for md in metadata:
                await conn.run_sync(md.create_all)

    async def dispose(self) -> None:
        await self.engine.dispose()


def async_url(url: str) -> URL:
    """`url`, given the async driver of its database when it names none.

    `postgresql://…` becomes `postgresql+asyncpg://…` and `sqlite:///…` `sqlite+aiosqlite:///…`;
    a URL that names its driver is left as it is.
    """
    parsed = make_url(url)
    driver = ASYNC_DRIVERS.get(parsed.drivername)
    return parsed if driver is None else parsed.set(drivername=f"{parsed.drivername}+{driver}")


def create_engine(url: URL) -> AsyncEngine:
    if url.get_backend_name() != "sqlite":
        # A server may drop idle connections (restart, failover): test each before use.
        return create_async_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    _make_sqlite_transactional(engine)
    return engine


def _make_sqlite_transactional(engine: AsyncEngine) -> None:
    """SQLAlchemy's recipe for real SQLite transactions under aiosqlite, with BEGIN IMMEDIATE."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Stop the driver from issuing its own BEGIN (and COMMIT before DDL): we emit BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            _switch_to_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL with NORMAL sync is durable across process crashes, which is what we need.
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL`, retried for a moment when the file is locked.

    WAL is a property of the file, so only a new file is switched. Switching needs it to itself
    for an instant, and when several connections open a new file at once SQLite answers
    "database is locked" straight away, without waiting on the busy timeout.
    """
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(WAL_SWITCH_PAUSE_SECONDS)  # the driver's own thread, not the event loop


def enum_column(enum_class: type[StrEnum]) -> SAEnum:
    """A column type storing a `StrEnum` by value as plain text (no database enum type)."""
    return SAEnum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )
