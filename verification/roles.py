"""The roles live in core.roles; this name stays for the data migrations and older imports."""

from core.roles import (
    EDITOR,
    REVIEWER,
    ROLE_PERMISSIONS,
    VIEWER,
    roles_sync,
    roles_sync_migration,
)

__all__ = ["EDITOR", "REVIEWER", "ROLE_PERMISSIONS", "VIEWER", "roles_sync", "roles_sync_migration"]
