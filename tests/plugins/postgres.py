"""pytest fixtures for the store: a throwaway PostgreSQL server and fresh databases per test.

* ``postgres_server`` (session): one :class:`fixtures.postgres_rig.PostgresServer` per
  test session, started on first use and removed at the end; skipped with the reason
  when PostgreSQL is not installed (``scripts/bootstrap.sh`` installs it).
* ``postgres_url`` (session): URL of the server's ``o2c`` database (empty, unmigrated).
* ``store_url``: a fresh, migrated store per test, parametrized over ``sqlite`` and
  ``postgresql`` (the latter marked ``postgres`` and ``integration``).  Migrations run
  once per session into a template; each test gets a copy (a file copy for SQLite,
  ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL), which costs milliseconds.
* ``empty_store_url``: the same, but an empty database (for migration tests).
* ``store_engine``: an engine on ``store_url``, disposed after the test.

SQLite-only runs (``-m "not postgres"``) never start the server.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fixtures.postgres_rig import PostgresServer, find_pg_bin
from fixtures.postgres_rig import postgres_server as _rig
from shared.store import make_engine
from shared.store.migrate import upgrade

BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=(pytest.mark.postgres, pytest.mark.integration)),
]
_TEMPLATE_DB = "o2c_store_template"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole session."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        why = "PostgreSQL binaries not found (scripts/bootstrap.sh installs postgresql)"
        if os.environ.get("CI"):
            pytest.fail(why)  # in CI a missing server must not pass as skipped tests
        pytest.skip(why)
    with _rig(bin_dir=bin_dir) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """``postgresql+psycopg://`` URL of the session server's (empty) ``o2c`` database."""
    return postgres_server.url()


@pytest.fixture(scope="session")
def sqlite_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test that wants a store."""
    path = tmp_path_factory.mktemp("store-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    # upgrade() disposed its engine: the WAL is checkpointed into the main file, so
    # copying that one file copies the whole database.
    return path


@pytest.fixture(scope="session")
def postgres_store_template(postgres_server: PostgresServer) -> str:
    """Name of a migrated database on the session server, used as a template."""
    upgrade(postgres_server.create_database(_TEMPLATE_DB))
    return _TEMPLATE_DB


def _fresh_database(
    request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_store_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_store_template") if migrated else None
    name = f"o2c_test_{next(_numbers)}"
    yield server.create_database(name, template=template)
    server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated store (SQLite file or PostgreSQL database) for one test."""
    yield from _fresh_database(request, tmp_path, migrated=True)


@pytest.fixture(params=BACKENDS)
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty database (no tables) for one test."""
    yield from _fresh_database(request, tmp_path, migrated=False)


@pytest.fixture
def store_engine(store_url: str) -> Iterator[Engine]:
    """An engine on this test's store; disposed after the test."""
    engine = make_engine(store_url)
    yield engine
    engine.dispose()
