from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from audit import database


class AuditConfig(AppConfig):
    """The database's protection of the audit from the app's own role (config/database_roles)."""

    name = "audit"
    verbose_name = "Audit protection"

    def ready(self) -> None:
        post_migrate.connect(database.runtime_privileges_sync, sender=self)
        connection_created.connect(database.runtime_role_check)
