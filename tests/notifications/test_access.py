"""Access follows the user: who gets emails and webhooks is decided again when they are sent,
an endpoint whose owner lost access is paused, and superusers manage every endpoint."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import mail

from claims.models import ClaimStatus as S
from claims.models import Tag
from core import roles
from notifications import selectors, services
from notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    EventType,
    SubscriptionTarget,
    WebhookEndpoint,
)
from tests import factories as f
from tests.api.conftest import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
CREATED = EventType.CLAIM_CREATED
T = SubscriptionTarget


def webhook_manager(**kwargs):
    user = f.editor(**kwargs)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="notifications", codename__endswith="webhookendpoint"
        )
    )
    return user


# --- The recipients query and the rule it implements ---------------------------------------


def test_the_recipients_query_gives_what_the_rule_gives_over_a_matrix():
    """The hand-written recipients SQL against the rule spelt out user by user: watching
    (claim_watched), an email address, and access to claims (claims_access_missing)."""
    claimant = f.source(name="Kremlin")
    creator, assignee = f.editor(username="creator"), f.reviewer(username="assignee")
    claim = f.claim(actor=creator, claimant=claimant, tags=["nato"], assignee=assignee)
    other = f.claim(actor=creator, tags=["health"])
    nato = Tag.objects.get(name="nato")
    view_claim = Permission.objects.get(codename="view_claim")
    watches = {
        "claim": {"target": T.CLAIM, "claim": claim},
        "muted": {"target": T.CLAIM, "claim": claim, "muted": True},
        "other_claim": {"target": T.CLAIM, "claim": other},
        "tag": {"target": T.TAG, "tag": nato},
        "source": {"target": T.SOURCE, "source": claimant},
        "all": {"target": T.ALL},
        "nothing": None,
    }
    access = ["viewer", "reviewer", "own_permission", "superuser", "no_role", "other_perms_only"]
    for number, (watch, kind, active, email) in enumerate(
        itertools.product(watches, access, [True, False], [True, False])
    ):
        # Subscriptions are made while the user may watch; access is taken away after.
        user = f.UserFactory(
            username=f"u{number}-{watch}-{kind}-{active}-{email}", is_superuser=True
        )
        if watches[watch] is not None:
            services.subscription_create(actor=user, **watches[watch])
        user.is_superuser = kind == "superuser"
        user.is_active = active
        user.email = user.email if email else ""
        user.save()
        if kind == "viewer":
            user.groups.add(Group.objects.get(name=roles.VIEWER))
        elif kind == "reviewer":
            user.groups.add(Group.objects.get(name=roles.REVIEWER))
        elif kind == "own_permission":
            user.user_permissions.add(view_claim)
        elif kind == "other_perms_only":
            user.user_permissions.add(*Permission.objects.filter(codename="view_source"))
    # The creator and assignee are automatic watchers; one of them loses access.
    assignee.is_active = False
    assignee.save()

    by_query = [user.username for user in selectors.claim_email_recipients(claim)]
    by_rule = [
        user.username
        for user in User.objects.order_by("id")
        if user.email
        and not selectors.claims_access_missing(user)
        and selectors.claim_watched(user=user, claim=claim)
    ]
    assert by_query == by_rule
    # The matrix reaches both sides of every condition.
    assert "creator" in by_query and "assignee" not in by_query
    assert any("-viewer-True-True" in name for name in by_query)
    assert not any("-no_role-" in name or "-False-" in name for name in by_query)
    assert not any(name.endswith("-False") for name in by_query)


# --- Checked when sent ---------------------------------------------------------------------


def status_change_with_email_to(watcher: User):
    claim = f.claim()
    services.claim_watch(actor=watcher, claim=claim)
    f.transition(claim=claim, status=S.IN_REVIEW)
    return Delivery.objects.get(channel=DeliveryChannel.EMAIL, user=watcher)


@pytest.mark.parametrize("lost", ["deactivated", "role_removed"])
def test_an_email_to_a_user_who_lost_access_after_it_was_written_is_withheld(lost):
    watcher = f.viewer()
    delivery = status_change_with_email_to(watcher)
    if lost == "deactivated":
        User.objects.filter(pk=watcher.pk).update(is_active=False)
    else:
        watcher.groups.clear()

    assert services.delivery_send(delivery_id=delivery.pk) == "withheld"

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.WITHHELD
    assert delivery.delivered_at is None
    assert watcher.username in delivery.last_error
    expected = "deactivated" if lost == "deactivated" else "may no longer see claims"
    assert expected in delivery.last_error
    # Final: the sweeper does not queue it again, a duplicate task does nothing.
    assert services.deliveries_requeue() == 0
    assert services.delivery_send(delivery_id=delivery.pk) == "skipped"


def test_an_email_to_a_user_who_still_has_access_is_sent():
    watcher = f.viewer()
    delivery = status_change_with_email_to(watcher)
    assert services.delivery_send(delivery_id=delivery.pk) == "succeeded"
    assert [message.to for message in mail.outbox] == [[watcher.email]]


def endpoint_of(owner: User) -> WebhookEndpoint:
    endpoint, _ = services.webhook_endpoint_create(
        actor=owner, url="http://127.0.0.1:9/hook", event_types=[CREATED]
    )
    return endpoint


@pytest.mark.parametrize("lost", ["deactivated", "role_removed"])
def test_a_webhook_whose_owner_lost_access_is_withheld_and_the_endpoint_paused(lost):
    owner = webhook_manager()
    endpoint = endpoint_of(owner)
    f.claim()
    delivery = Delivery.objects.get(endpoint=endpoint, event__type=CREATED)
    if lost == "deactivated":
        User.objects.filter(pk=owner.pk).update(is_active=False)
    else:
        owner.groups.clear()  # the webhook permissions of their own stay; view_claim goes

    # Nothing listens on port 9: a POST would be a failed attempt and a retry.
    assert services.delivery_send(delivery_id=delivery.pk) == "withheld"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.WITHHELD
    assert not delivery.attempts.exists()
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert owner.username in endpoint.paused_reason
    assert endpoint.paused_at is not None
    # The next event writes no delivery to the paused endpoint.
    f.claim()
    assert Delivery.objects.filter(endpoint=endpoint).count() == 1


def test_a_paused_endpoint_is_enabled_again_once_its_owner_has_access(api):  # noqa: F811
    owner = webhook_manager()
    endpoint = endpoint_of(owner)
    f.claim()
    delivery = Delivery.objects.get(endpoint=endpoint)
    owner.groups.clear()
    services.delivery_send(delivery_id=delivery.pk)
    superuser = f.UserFactory(is_superuser=True)
    hook = f"/api/v1/webhooks/{endpoint.pk}/"

    shown = api(superuser).get(hook)
    assert shown.status_code == 200
    assert shown.data["active"] is False
    assert owner.username in shown.data["paused_reason"]
    assert shown.data["paused_at"] is not None
    # Read-only: a client cannot write the reason.
    api(superuser).patch(hook, {"paused_reason": ""}, format="json")
    endpoint.refresh_from_db()
    assert endpoint.paused_reason

    refused = api(superuser).patch(hook, {"active": True}, format="json")
    assert refused.status_code == 400
    assert "may not see claims" in refused.json()["errors"]["active"][0]
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.paused_reason

    owner.groups.add(Group.objects.get(name=roles.EDITOR))
    enabled = api(owner).patch(hook, {"active": True}, format="json")
    assert enabled.status_code == 200, enabled.data
    assert (enabled.data["active"], enabled.data["paused_reason"]) == (True, "")
    assert enabled.data["paused_at"] is None
    # What was withheld is replayed and sent this time (it reaches the network: a retry).
    services.delivery_replay(actor=owner, delivery=delivery)
    assert services.delivery_send(delivery_id=delivery.pk) == "retry"


def test_a_paused_endpoint_is_enabled_in_the_admin_with_the_same_rule(client):
    owner = webhook_manager()
    endpoint = endpoint_of(owner)
    f.claim()
    owner.groups.clear()
    services.delivery_send(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
    client.force_login(f.UserFactory(is_superuser=True))

    listed = client.get("/admin/notifications/webhookendpoint/").content.decode()
    assert "may no longer see claims" in listed
    change = f"/admin/notifications/webhookendpoint/{endpoint.pk}/change/"
    assert "may no longer see claims" in client.get(change).content.decode()
    form = {
        "url": endpoint.url,
        "description": "",
        "event_types": [CREATED],
        "active": "on",
    }
    refused = client.post(change, form)
    assert refused.status_code == 200
    assert "may not see claims" in refused.content.decode()
    endpoint.refresh_from_db()
    assert not endpoint.active

    owner.groups.add(Group.objects.get(name=roles.EDITOR))
    assert client.post(change, form).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.active and not endpoint.paused_reason and endpoint.paused_at is None


# --- Superusers manage every endpoint over the API ---------------------------------------


def test_superusers_list_get_change_and_redeliver_every_endpoint(
    api,  # noqa: F811
    django_assert_max_num_queries,
):
    owners = [webhook_manager() for _ in range(3)]
    endpoints = [endpoint_of(owner) for owner in owners]
    superuser = api(f.UserFactory(is_superuser=True))
    f.claim()
    for _ in range(5):
        endpoint_of(owners[0])

    with django_assert_max_num_queries(6):
        listed = superuser.get("/api/v1/webhooks/?page_size=50")
    assert listed.status_code == 200
    assert len(listed.data["results"]) == 8
    assert {item["owner"] for item in listed.data["results"]} == {o.username for o in owners}

    hook = f"/api/v1/webhooks/{endpoints[1].pk}/"
    assert superuser.get(hook).data["owner"] == owners[1].username
    disabled = superuser.patch(hook, {"active": False}, format="json")
    assert (disabled.status_code, disabled.data["active"]) == (200, False)
    [delivery] = superuser.get(f"{hook}deliveries/").data["results"]
    Delivery.objects.filter(pk=delivery["id"]).update(status=DeliveryStatus.DEAD)
    again = superuser.post(f"{hook}deliveries/{delivery['id']}/redeliver/")
    assert (again.status_code, again.data["status"]) == (202, DeliveryStatus.PENDING)

    # Others still see, change and redeliver only their own.
    other = api(owners[0])
    assert len(other.get("/api/v1/webhooks/?page_size=50").data["results"]) == 6
    assert other.get(hook).status_code == 404
    assert other.patch(hook, {"active": True}, format="json").status_code == 404
    assert other.get(f"{hook}deliveries/").status_code == 404
    assert other.post(f"{hook}deliveries/{delivery['id']}/redeliver/").status_code == 404
