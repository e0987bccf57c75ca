from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from core import permissions
from notifications.selectors import claim_watched

register = template.Library()


@register.inclusion_tag("notifications/watch_button.html", takes_context=True)
def watch_button(context: dict[str, Any], claim: Any) -> dict[str, Any]:
    """The Watch/Unwatch button of a claim page, for the signed-in user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if claim is None or not getattr(claim, "pk", None) or user is None:
        return {"show": False}
    show = user.is_authenticated and user.has_perm(permissions.VIEW_CLAIM)
    return {
        "show": show,
        "watching": show and claim_watched(user=user, claim=claim),
        "url": reverse("admin:notifications_claim_watch", args=[claim.pk]),
        "csrf_token": context.get("csrf_token"),
    }
