"""Fixtures for the tests of the composition root (the `hotline` command, health endpoints)."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from hotline import create_app
from hotline.config import TestConfig as EmbeddedConfig
from services import queueing
from shared_db import clock
from shared_db.access.api_clients import create_client
from shared_db.operations.demo import seed_demo
from shared_db.session import make_engine, make_sessionmaker, migrate, transaction
from tests.hotline.support import EMBEDDED_TOKEN, hotline


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A folder where `hotline demo --no-serve` ran once, as on a fresh machine (one per test module)."""
    path = tmp_path_factory.mktemp("fresh")
    result = hotline(path, "demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "/console/" in result.stdout and "agent-demo-2021" in result.stdout and "/ivr/voice" in result.stdout
    return path


@pytest.fixture
def embedded_server(tmp_path):
    """A hotline on a fresh SQLite file with demo data, served by a threaded server as `hotline demo` does."""
    url = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as s:
        seed_demo(s, clock.today())
        _, key = create_client(s, "portal")
    server = make_server("127.0.0.1", 0, None, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    config = EmbeddedConfig(url, HOTLINE_PUBLIC_URL=base, TWILIO_AUTH_TOKEN=EMBEDDED_TOKEN, NOTIFY_BACKEND="log")
    app = create_app(config)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"base": base, "key": key, "sessions": sessions}
    server.shutdown()
    queueing.drain()
    app.extensions["services.db"].engine.dispose()
    engine.dispose()
