"""The owner runs migrate; the runtime role runs everything else and owns nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import environ
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from config import database_roles

# The connection settings a DATABASE_OWNER_URL replaces; the rest (pool, timeouts) stay.
OWNER_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")
# Connections in use by `migrate` as the owner, which the runtime check lets through.
_owner_aliases: set[str] = set()
_checked: set[str] = set()


@contextmanager
def owner_connection(alias: str) -> Iterator[None]:
    """Within: the connection ``alias`` is the owner's (migrate), at DATABASE_OWNER_URL when
    that is set (else DATABASE_URL is the owner's). After: as it was."""
    connection = connections[alias]
    saved = {**connection.settings_dict}
    _owner_aliases.add(alias)
    if settings.DATABASE_OWNER_URL:
        owner = environ.Env.db_url_config(settings.DATABASE_OWNER_URL)
        connection.close()
        connection.settings_dict.update({key: owner[key] for key in OWNER_KEYS if key in owner})
        options = {**connection.settings_dict.get("OPTIONS", {}), **owner.get("OPTIONS", {})}
        # A pool is created once per alias and process, with the credentials of its first use.
        options.pop("pool", None)
        connection.settings_dict["OPTIONS"] = options
    try:
        yield
    finally:
        _owner_aliases.discard(alias)
        if settings.DATABASE_OWNER_URL:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


def runtime_privileges_sync(*, using: str, verbosity: int = 1, **kwargs: Any) -> None:
    """After every migrate: grant the runtime role what it needs on today's tables."""
    role = settings.DATABASE_RUNTIME_ROLE
    if not role:
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise ImproperlyConfigured(
                f"The runtime database role {role!r} (DATABASE_URL's user, or "
                "DATABASE_RUNTIME_ROLE) does not exist: create it (see the README, Production)."
            )
    database_roles.runtime_privileges_grant(connection=connection, role=role)
    if verbosity >= 1:
        print(f"  Privileges of the runtime role {role!r} granted.")  # noqa: T201


def runtime_role_check(*, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Refuse to run the app as a superuser or as the tables' owner (production).

    Either could truncate the history or disable its triggers. Checked on the first connection
    of each process; `migrate`, which needs the owner, is let through.
    """
    if not settings.DATABASE_REFUSE_PRIVILEGED_ROLE or connection.alias in _checked:
        return
    if connection.alias in _owner_aliases:
        return
    with connection.cursor() as cursor:
        problems = database_roles.runtime_role_problems(cursor)
    if problems:
        user = connection.settings_dict.get("USER") or "(default)"
        raise ImproperlyConfigured(
            f"The database user {user!r} of DATABASE_URL {' and '.join(problems)}: the app could "
            "rewrite its own history. Run the app as a role that owns nothing and migrate with "
            "DATABASE_OWNER_URL (see the README, Production), or set "
            "DATABASE_REFUSE_PRIVILEGED_ROLE=false to accept the risk."
        )
    _checked.add(connection.alias)
