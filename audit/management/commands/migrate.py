from typing import Any

from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS

from audit.database import owner_connection


class Command(migrate.Command):
    help = (
        "Django's migrate, run as the owner role (DATABASE_OWNER_URL) when one is set; then the "
        "runtime role (DATABASE_URL's user) is granted what it needs on every table."
    )

    def handle(self, *args: Any, **options: Any) -> str | None:
        # DATABASE_OWNER_URL names the owner of the default database only.
        if options["database"] != DEFAULT_DB_ALIAS:
            return super().handle(*args, **options)
        with owner_connection(DEFAULT_DB_ALIAS):
            return super().handle(*args, **options)
