"""Engine and sessionmaker from a URL, the same for SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Map the usual `postgres://` spellings to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and writer-serialising transactions."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _require_sqlite_returning()
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)  # survive a PostgreSQL restart without an app restart
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _require_sqlite_returning() -> None:
    """The ledger's hot path uses INSERT ... RETURNING, which SQLite has from 3.35 (2021)."""
    import sqlite3

    if sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is too old: hotline needs 3.35 or newer "
                           "(INSERT ... RETURNING); use PostgreSQL or a newer Python build")


def _configure_sqlite(engine: Engine) -> None:
    """SQLite: take the write lock at BEGIN, so conditional updates and counts never interleave."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (webhooks render after committing)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def as_persistent(session: Session, cls, values: dict, inserted: bool = False):
    """A row read or written with Core, as the session's persistent object, without the ORM reading it.

    `values` must hold every column. An object already in the session is refreshed
    (as populate_existing would); otherwise a new one joins the session as if loaded.
    `inserted` marks a row this transaction wrote. Hot paths use this to skip the
    ORM's loading and flushing machinery; `core_written` keeps rollbacks honest.
    """
    mapper = cls.__mapper__
    key = identity_key(cls, tuple(values[c.key] for c in mapper.primary_key))
    obj = session.identity_map.get(key)
    if obj is None:
        obj = cls(**values)
        make_transient_to_detached(obj)
        session.add(obj)
    else:
        for name, value in values.items():
            set_committed_value(obj, name, value)
    core_written(session, obj, values if inserted else None)
    return obj


def core_written(session: Session, obj, inserted_values: dict | None = None) -> None:
    """Remember an object whose row a Core statement wrote, so a rollback can undo what the ORM believes."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_CORE_WRITTEN, []).append((obj, transaction, inserted_values))


_CORE_WRITTEN = "hotline.core_written"


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_writes(session: Session, previous_transaction) -> None:
    """After a rollback, rows inserted inside it leave the session and changed ones are read again.

    The ORM does this for its own flushes; it cannot know about Core writes.
    """
    kept = []
    for obj, transaction, inserted_values in session.info.get(_CORE_WRITTEN, []):
        if not inside(transaction, previous_transaction):
            kept.append((obj, transaction, inserted_values))
        elif inserted_values is None:
            if obj in session:
                session.expire(obj)
        else:  # as the ORM treats a rolled-back INSERT: out of the session, values still readable
            if obj in session:
                session.expunge(obj)
            for name, value in inserted_values.items():
                set_committed_value(obj, name, value)
    session.info[_CORE_WRITTEN] = kept


def inside(transaction, outer) -> bool:
    """True when `transaction` is `outer` or began inside it."""
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _forget_committed_writes(session: Session) -> None:
    session.info.pop(_CORE_WRITTEN, None)


def alembic_config(url: str):
    """An Alembic config pointing at our migrations, for code and the CLI alike."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "heads") -> None:
    """Bring the schema at `url` up to `revision` with Alembic: the only way a schema is made."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
