"""The database inside Flask: one engine per app, one session per request."""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from services import queueing
from shared_db.session import make_engine, make_sessionmaker


class Database:
    """Engine and sessionmaker of one app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)


def init_app(app: Flask) -> None:
    """Attach the database to the app and close each request's session when it ends."""
    app.extensions["services.db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions["services.db"]


def session() -> Session:
    """The request's session; open a unit of work with `with session().begin():`."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def _close_session(_exc) -> None:
    """Close the request's session, then release the in-process jobs it asked for (its lock is gone)."""
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
    queueing.release_request_jobs()
