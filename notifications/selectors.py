"""Reads of notifications: who may see claims, who watches a claim, which rows a user may
see; each in a fixed number of queries."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from claims.models import Claim
from core.actors import require_perm
from core.permissions import VIEW_CLAIM
from notifications.models import Subscription, SubscriptionTarget, WebhookEndpoint


def webhook_endpoint_list(*, viewer: User | AnonymousUser) -> QuerySet[WebhookEndpoint]:
    """The endpoints ``viewer`` manages: their own, or every one for a superuser (the rule
    the write services apply too, notifications.services.webhooks._may_manage)."""
    endpoints = WebhookEndpoint.objects.select_related("owner")
    if viewer.is_superuser:
        return endpoints
    return endpoints.filter(owner_id=viewer.pk)


def claims_access_missing(user: User) -> str:
    """Why ``user`` may not see claims now, or "" if they may.

    The rule of the API's and the services' checks (require_perm): an active user with
    ``claims.view_claim`` through a role (group) or their own permissions, or a superuser.
    Emails and webhooks about claims go only to users it allows, checked when they are sent.
    """
    if not user.is_active:
        return f"the account of {user.get_username()} is deactivated"
    try:
        require_perm(user, VIEW_CLAIM, "see claims")
    except PermissionDenied:
        return f"{user.get_username()} may no longer see claims (no role with {VIEW_CLAIM})"
    return ""


# Users who watch a claim (every claim, the claim, one of its tags, its claimant; or
# automatically as its creator or assignee) and have not muted it, are active, have an email
# address and may see claims (superusers; view_claim of their own or of a group: the rule of
# claims_access_missing). Hand-written: built with the ORM, composing this query cost five times
# as long as PostgreSQL took to run it (bench/). Parity tests hold it to the rule spelt out
# user by user (claim_watched, claims_access_missing) over every combination
# (tests/notifications/test_recipients_parity.py, test_access.py).
_SUBSCRIBERS_SQL = """
WITH view_claim AS (
  SELECT p.id FROM auth_permission p
  JOIN django_content_type ct ON ct.id = p.content_type_id
  WHERE ct.app_label = 'claims' AND p.codename = 'view_claim'
)
SELECT u.* FROM auth_user u
WHERE u.is_active AND u.email <> ''
  AND (
    u.id = ANY(%(auto)s)
    OR u.id IN (
      SELECT s.user_id FROM notifications_subscription s
      WHERE s.target = %(all)s
         OR (s.target = %(one_claim)s AND s.claim_id = %(claim)s AND NOT s.muted)
         OR (s.target = %(source)s AND s.source_id = %(claimant)s)
         OR (s.target = %(tag)s AND s.tag_id IN (
               SELECT ct.tag_id FROM claims_claimtag ct WHERE ct.claim_id = %(claim)s))
    )
  )
  AND NOT EXISTS (
    SELECT 1 FROM notifications_subscription m
    WHERE m.user_id = u.id AND m.target = %(one_claim)s AND m.claim_id = %(claim)s AND m.muted)
  AND (
    u.is_superuser
    OR EXISTS (
      SELECT 1 FROM auth_user_user_permissions up
      WHERE up.user_id = u.id AND up.permission_id IN (SELECT id FROM view_claim))
    OR EXISTS (
      SELECT 1 FROM auth_user_groups ug
      JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
      WHERE ug.user_id = u.id AND gp.permission_id IN (SELECT id FROM view_claim))
  )
ORDER BY u.id
"""


def claim_email_recipients(claim: Claim) -> list[User]:
    """Users who watch ``claim`` (explicitly or automatically), have an email address and
    may see claims."""
    auto = [pk for pk in (claim.created_by_id, claim.assignee_id) if pk]
    params = {
        "auto": auto if settings.NOTIFY_AUTO_WATCH else [],
        "claim": claim.pk,
        "claimant": claim.claimant_id,
        "all": SubscriptionTarget.ALL,
        "one_claim": SubscriptionTarget.CLAIM,
        "source": SubscriptionTarget.SOURCE,
        "tag": SubscriptionTarget.TAG,
    }
    return list(User.objects.raw(_SUBSCRIBERS_SQL, params))


def claim_watched(*, user: User, claim: Claim) -> bool:
    """True if ``user`` watches ``claim``: by a subscription or as its creator or assignee,
    and has not muted it. (Whether an email is sent also depends on the user: see
    _SUBSCRIBERS_SQL.)"""
    own = Subscription.objects.filter(user=user)
    mine = own.filter(target=SubscriptionTarget.CLAIM, claim=claim).first()
    if mine is not None:
        return not mine.muted
    if settings.NOTIFY_AUTO_WATCH and user.pk in (claim.created_by_id, claim.assignee_id):
        return True
    return own.filter(
        Q(target=SubscriptionTarget.ALL)
        | Q(target=SubscriptionTarget.SOURCE, source_id=claim.claimant_id)
        | Q(target=SubscriptionTarget.TAG, tag__claims=claim)
    ).exists()
