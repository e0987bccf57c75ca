"""Reads of notifications: which rows a user may see, in a fixed number of queries."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from notifications.models import WebhookEndpoint


def webhook_endpoint_list(*, viewer: User | AnonymousUser) -> QuerySet[WebhookEndpoint]:
    """The endpoints ``viewer`` manages: their own, or every one for a superuser (the rule
    the write services apply too, notifications.services._may_manage)."""
    endpoints = WebhookEndpoint.objects.select_related("owner")
    if viewer.is_superuser:
        return endpoints
    return endpoints.filter(owner_id=viewer.pk)
