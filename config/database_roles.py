"""Two database roles, so that the app cannot rewrite its own audit.

The **owner** role owns the schema and runs ``manage.py migrate``. The **runtime** role (web,
workers, beat) owns nothing: it may read and write the app's tables, but on a history table
it gets only what the table's triggers allow (no UPDATE or DELETE where a trigger refuses
them), never TRUNCATE, and, not being an owner, cannot disable a trigger; not being a
superuser, it cannot set ``session_replication_role`` either. ``pghistory_context`` (who made
each edit) is written by pghistory with an upsert in every transaction: its past rows are
protected by a trigger (audit/migrations/0001): only the transaction that wrote one may change it.

The grants are derived from the models on every ``migrate`` (``runtime_privileges_grant``),
so a table added later is covered without anyone remembering it. Role creation and the
transfer of ownership (``roles_ensure``, ``ownership_transfer``) need a superuser and are
used for the embedded PostgreSQL and by the tests; production creates its two roles once,
as the README shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    import psycopg
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import Model

CONTEXT_TABLE = "pghistory_context"
MIGRATIONS_TABLE = "django_migrations"
ALL_WRITES = ("INSERT", "UPDATE", "DELETE")
# Operations refused by triggers that are not pgtrigger.Protect (audit/migrations/0001).
REFUSED_BY_SQL_TRIGGERS = {CONTEXT_TABLE: frozenset({"DELETE"})}


@dataclass(frozen=True)
class DatabaseUrls:
    """Where the owner (migrate) and the runtime role (everything else) connect."""

    owner: str
    runtime: str


def url_with(url: str, *, user: str, password: str = "", database: str | None = None) -> str:
    """The same server as ``url``, as another user (and optionally another database)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else ":")
    path = "/" + quote(database, safe="") if database is not None else parts.path
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", path, parts.query, parts.fragment))


def url_user(url: str) -> str:
    """The user name of a database URL ("" when it names none)."""
    from urllib.parse import unquote

    username = urlsplit(url).username
    return unquote(username) if username else ""


def refused_operations(model: type[Model]) -> frozenset[str]:
    """What the database refuses on this model's table whatever the role (its triggers)."""
    import pgtrigger

    refused: set[str] = set(REFUSED_BY_SQL_TRIGGERS.get(model._meta.db_table, ()))
    for trigger in getattr(model._meta, "triggers", ()):
        if isinstance(trigger, pgtrigger.Protect) and trigger.condition is None:
            refused |= {op for op in ALL_WRITES if op in str(trigger.operation)}
    return frozenset(refused)


def history_tables() -> dict[str, frozenset[str]]:
    """Tables whose rows the database protects, with the operations it refuses on them."""
    from django.apps import apps

    tables = {}
    for model in apps.get_models(include_auto_created=True):
        refused = refused_operations(model)
        if refused:
            tables[model._meta.db_table] = refused
    return tables


def runtime_privileges_grant(*, connection: BaseDatabaseWrapper, role: str) -> None:
    """Give ``role`` what the app needs on every table, and no more.

    SELECT, INSERT, UPDATE and DELETE on every table of the schema, except what the triggers of
    a history table refuse (``history_tables``) and any write to ``django_migrations``; no
    TRUNCATE, REFERENCES or TRIGGER anywhere. Run by the owner (or a superuser) after every
    migrate, in one transaction so that a running app never sees the privileges half granted.
    """
    from django.db import transaction

    quote_name = connection.ops.quote_name
    existing = set(connection.introspection.table_names(include_views=False))
    refused = {**history_tables(), MIGRATIONS_TABLE: frozenset(ALL_WRITES)}
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = quote_name(cursor.fetchone()[0])
        grantee = quote_name(role)
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {grantee}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {grantee}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}")
        for table, operations in sorted(refused.items()):
            if table in existing:
                cursor.execute(
                    f"REVOKE {', '.join(sorted(operations))} ON {quote_name(table)} FROM {grantee}"
                )


def roles_ensure(
    conn: psycopg.Connection[Any], *, owner: str, runtime: str, runtime_password: str = ""
) -> None:
    """Create the owner and the runtime role if missing (a superuser's connection).

    Both may log in; neither is a superuser nor may create roles. The runtime role inherits
    from no one, so that a later ``GRANT owner TO runtime`` by mistake gives it nothing.
    """
    from psycopg import sql

    for role, attributes in (
        (owner, "LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS"),
        (runtime, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS NOINHERIT"),
    ):
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sql.SQL(f"{verb} ROLE {{}} {attributes}").format(sql.Identifier(role)))
    if runtime_password:
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(runtime), sql.Literal(runtime_password)
            )
        )


# Objects of the schema not owned by the owner, extensions' own objects left alone. A sequence
# that belongs to a table (serial, identity) follows its table.
_NOT_OWNED_SQL = """
SELECT kind, name FROM (
    SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                          WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind,
           format('%%I.%%I', n.nspname, c.relname) AS name, c.relowner AS owner, c.oid AS oid,
           'pg_class'::regclass AS catalog
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND NOT (c.relkind = 'S' AND EXISTS (
          SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
            AND d.deptype IN ('a', 'i')))
    UNION ALL
    SELECT 'ROUTINE', p.oid::regprocedure::text, p.proowner, p.oid, 'pg_proc'::regclass
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = current_schema()
) objects
WHERE owner <> (SELECT oid FROM pg_roles WHERE rolname = %s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = objects.catalog
                  AND e.objid = objects.oid AND e.deptype = 'e')
ORDER BY kind DESC
"""


def ownership_transfer(conn: psycopg.Connection[Any], *, database: str, owner: str) -> int:
    """Make ``owner`` own the database and every object of its schema (a superuser's
    connection to that database). Idempotent; returns the number of objects changed."""
    from psycopg import sql

    conn.execute(
        sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
            sql.Identifier(database), sql.Identifier(owner)
        )
    )
    # Before PostgreSQL 15 the schema public belongs to the bootstrap superuser.
    conn.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(sql.Identifier(owner)))
    changed = 0
    # TABLE before SEQUENCE before ROUTINE: a table's change carries its own sequences along.
    for kind, name in conn.execute(_NOT_OWNED_SQL, [owner]).fetchall():
        conn.execute(sql.SQL(f"ALTER {kind} {name} OWNER TO {{}}").format(sql.Identifier(owner)))
        changed += 1
    return changed


def runtime_role_problems(cursor: Any) -> list[str]:
    """Why the current database user must not run the app (empty when it may)."""
    cursor.execute(
        """
        SELECT rolsuper,
               EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                         AND pg_has_role(current_user, c.relowner, 'MEMBER'))
        FROM pg_roles WHERE rolname = current_user
        """
    )
    superuser, owner = cursor.fetchone()
    problems = []
    if superuser:
        problems.append("is a superuser")
    if owner:
        problems.append("owns tables of the schema (or is a member of their owner)")
    return problems
