"""The three roles of the product (Django groups with model permissions), for every app."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

VIEWER = "Viewer"
EDITOR = "Editor"
REVIEWER = "Reviewer"

_DOMAIN_MODELS = {
    "claims": ["claim", "source", "appearance", "statement", "tag"],
    "verification": ["evidence", "statuschange"],
}
_EDITABLE = {
    "claims": {
        "claim": ["add", "change"],
        "source": ["add", "change"],
        "appearance": ["add", "change", "delete"],
        "statement": ["add", "change", "delete"],
        "tag": ["add", "change"],
    },
    "verification": {"evidence": ["add", "change"]},
}


def _codenames(*, edit: bool, review: bool) -> list[tuple[str, str]]:
    perms = [(app, f"view_{model}") for app, models in _DOMAIN_MODELS.items() for model in models]
    if edit:
        perms += [
            (app, f"{action}_{model}")
            for app, models in _EDITABLE.items()
            for model, actions in models.items()
            for action in actions
        ]
        # Editors and reviewers connect their tools: their own webhook endpoints and deliveries.
        perms += [
            ("notifications", "view_webhookendpoint"),
            ("notifications", "add_webhookendpoint"),
            ("notifications", "change_webhookendpoint"),
            ("notifications", "view_delivery"),
            ("notifications", "view_deliveryattempt"),
        ]
    if review:
        perms.append(("claims", "change_claim_status"))
    # Everyone may see and create their own API tokens (the admin shows only their own).
    perms += [("api", "view_apitoken"), ("api", "add_apitoken")]
    return perms


ROLE_PERMISSIONS = {
    VIEWER: _codenames(edit=False, review=False),
    EDITOR: _codenames(edit=True, review=False),
    REVIEWER: _codenames(edit=True, review=True),
}


def roles_sync(*, group_model: Any, permission_model: Any) -> None:
    """Create the groups and give each its permissions (idempotent).

    Takes the models as arguments so that the data migrations can pass their historical
    ones. Permissions of apps not migrated yet are skipped; their app's migration syncs again.
    """
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = Q()
        for app, codename in codenames:
            wanted |= Q(content_type__app_label=app, codename=codename)
        group.permissions.set(permission_model.objects.filter(wanted))


def roles_sync_migration(apps: Any, schema_editor: Any) -> None:
    """For the data migrations of the apps whose permissions the roles include."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
    )
