"""The database: engine, the session each request owns, and the declarative Base.

Services only flush; the request commits when it succeeds and rolls back when it fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.config import ConfigError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A stored moment as UTC: SQLite hands back naive datetimes; everything s11 stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    if url.database and url.database != ":memory:":
        from pathlib import Path

        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # SQLite allows one writer: one pooled connection per process keeps writers queued in
    # Python rather than spinning in SQLite's busy handler (measured in STACK.md).
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        pool_size=1,
        max_overflow=0,
        pool_timeout=30,
    )
    _use_real_sqlite_transactions(engine)
    return engine


def _use_real_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, emit BEGIN, so SAVEPOINTs (tests, nested work) behave."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def check_database_reachable(engine: Engine) -> None:
    """Raise ConfigError, in one sentence, when the database cannot be reached at start."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        shown = engine.url.render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise ConfigError(f"S11_DATABASE_URL ({shown}) cannot be reached: {reason}") from None


def database_is_reachable(session: Session) -> bool:
    try:
        session.execute(text("SELECT 1"))
    except OperationalError:
        return False
    return True


def connection_capacity(engine: Engine) -> int:
    """How many connections the pool can hand out at once."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = max(0, getattr(pool, "_max_overflow", 0))
    return size() + overflow if callable(size) else 1


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request: commit when the route succeeds, roll back when it raises.

    Requests queue for a connection here, on the event loop, not in a worker thread: with
    SQLite's one pooled connection, 40 requests blocked in threads waiting for it left the
    request holding it no thread to finish on, and every request stalled (bench/RESULTS.md).
    """
    gate = getattr(request.app.state, "db_gate", None)
    async with gate if gate is not None else nullcontext():
        session = request.app.state.sessionmaker()
        try:
            yield session
        except BaseException:
            await run_in_threadpool(_end, session, commit=False)
            raise
        # Commit and close in one trip to a worker thread: each trip costs the event loop a
        # wake-up, and an autosave is short enough for that to show (bench/RESULTS.md).
        await run_in_threadpool(_end, session, commit=True)


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


# scope="function" ends the session before the response is sent, so a failed commit
# becomes an error page rather than a success the database never kept.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
