"""The three roles of the product (Django groups with model permissions), for every app."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db.models import Q

from core import permissions

VIEWER = "Viewer"
EDITOR = "Editor"
REVIEWER = "Reviewer"

_DOMAIN_MODELS = {
    "claims": ["claim", "source", "appearance", "statement", "tag"],
    "verification": ["evidence", "statuschange", "verdictproposal"],
    "publishing": ["ratingscale", "ratinglabel", "publicationchange"],
    "interchange": ["review", "import", "ratingmapping"],
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


def _permissions(*, edit: bool, review: bool) -> list[str]:
    names = [f"{app}.view_{model}" for app, models in _DOMAIN_MODELS.items() for model in models]
    if edit:
        names += [
            f"{app}.{action}_{model}"
            for app, models in _EDITABLE.items()
            for model, actions in models.items()
            for action in actions
        ]
        # Editors and reviewers connect their tools: their own webhook endpoints and deliveries.
        names += [
            permissions.VIEW_WEBHOOK_ENDPOINT,
            permissions.ADD_WEBHOOK_ENDPOINT,
            permissions.CHANGE_WEBHOOK_ENDPOINT,
            permissions.VIEW_DELIVERY,
            permissions.VIEW_DELIVERY_ATTEMPT,
        ]
        names.append(permissions.IMPORT_REVIEWS)  # imports create claims
    if review:
        names += [permissions.CHANGE_CLAIM_STATUS, permissions.PUBLISH_CLAIM]
        # What a publisher's rating means is a verdict: reviewers map ratings to verdicts.
        names += [f"interchange.{action}_ratingmapping" for action in ("add", "change", "delete")]
    # Everyone may see and create their own API tokens (the admin shows only their own).
    names += [permissions.VIEW_API_TOKEN, permissions.ADD_API_TOKEN]
    return names


# Each role's permissions, by name ("<app_label>.<codename>").
ROLE_PERMISSIONS = {
    VIEWER: _permissions(edit=False, review=False),
    EDITOR: _permissions(edit=True, review=False),
    REVIEWER: _permissions(edit=True, review=True),
}


def roles_sync(*, group_model: Any, permission_model: Any) -> None:
    """Create the groups and give each its permissions (idempotent).

    Takes the models as arguments so that the data migrations can pass their historical
    ones. Permissions of apps not migrated yet are skipped; their app's migration syncs again.
    """
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = Q()
        for perm in perms:
            app, codename = perm.split(".", 1)
            wanted |= Q(content_type__app_label=app, codename=codename)
        group.permissions.set(permission_model.objects.filter(wanted))


def roles_sync_migration(apps: Any, schema_editor: Any) -> None:
    """For the data migrations of the apps whose permissions the roles include."""
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
    )
