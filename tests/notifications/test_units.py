"""Recipients, signing, backoff and the SSRF guard, without a worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from standardwebhooks import Webhook

from claims.models import ClaimStatus as S
from claims.models import Tag
from core import outbound
from notifications import selectors, services
from notifications.models import Delivery, DeliveryChannel, Event, EventType, SubscriptionTarget
from notifications.secrets import secret_decrypt, secret_generate
from notifications.services import delivery
from tests import factories as f

pytestmark = pytest.mark.django_db


def admin_user():
    return f.UserFactory(is_superuser=True)


def test_signature_verifies_with_standardwebhooks():
    endpoint, secret = services.webhook_endpoint_create(
        actor=admin_user(), url="http://127.0.0.1:9/", event_types=[EventType.CLAIM_CREATED]
    )
    assert secret.startswith("whsec_")
    assert secret not in endpoint.secret_encrypted  # encrypted at rest
    assert secret_decrypt(endpoint.secret_encrypted) == secret
    event = services.webhook_test_send(actor=endpoint.owner, endpoint=endpoint)
    body = delivery.event_body(event)
    headers = delivery.webhook_headers(endpoint=endpoint, event=event, body=body)
    assert Webhook(secret).verify(body, headers)["id"] == str(event.pk)


def test_rotation_keeps_the_old_secret_valid_during_the_grace_period(settings):
    endpoint, old = services.webhook_endpoint_create(
        actor=admin_user(), url="http://127.0.0.1:9/", event_types=[EventType.CLAIM_CREATED]
    )
    endpoint, new = services.webhook_secret_rotate(actor=endpoint.owner, endpoint=endpoint)
    event = services.webhook_test_send(actor=endpoint.owner, endpoint=endpoint)
    body = delivery.event_body(event)
    headers = delivery.webhook_headers(endpoint=endpoint, event=event, body=body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
    endpoint.previous_secret_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    headers = delivery.webhook_headers(endpoint=endpoint, event=event, body=body)
    Webhook(new).verify(body, headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(old).verify(body, headers)


def test_status_change_emails_each_subscriber_once_but_not_the_actor():
    creator = f.editor()
    fan = f.viewer()
    reviewer = f.reviewer()
    claim = f.claim(actor=creator, tags=["nato"])
    services.claim_watch(actor=fan, claim=claim)
    services.subscription_create(actor=fan, target=SubscriptionTarget.TAG, tag=claim.tags.get())
    services.subscription_create(actor=fan, target=SubscriptionTarget.ALL)
    services.subscription_create(actor=reviewer, target=SubscriptionTarget.ALL)
    f.transition(claim=claim, status=S.IN_REVIEW, actor=reviewer)
    emailed = Delivery.objects.filter(
        channel=DeliveryChannel.EMAIL, event__type=EventType.CLAIM_STATUS_CHANGED
    ).values_list("user__username", flat=True)
    assert sorted(emailed) == sorted([creator.username, fan.username])


def test_recipients_are_the_watchers_who_may_see_claims_and_have_an_email():
    creator, assignee, actor = f.editor(), f.reviewer(), f.reviewer()
    claimant, other_source = f.source(name="Kremlin"), f.source(name="NATO")
    claim = f.claim(actor=creator, claimant=claimant, tags=["nato", "energy"], assignee=assignee)
    f.claim(tags=["health"])
    T = SubscriptionTarget

    def watcher(username, target, **subject):
        user = f.viewer(username=username)
        services.subscription_create(actor=user, target=target, **subject)
        return user

    watcher("by_claim", T.CLAIM, claim=claim)
    watcher("by_tag", T.TAG, tag=Tag.objects.get(name="energy"))
    watcher("by_source", T.SOURCE, source=claimant)
    watcher("by_all", T.ALL)
    watcher("other_tag", T.TAG, tag=Tag.objects.get(name="health"))
    watcher("other_source", T.SOURCE, source=other_source)
    f.viewer(username="not_watching")
    watcher("inactive", T.ALL)
    watcher("no_email", T.ALL)
    User.objects.filter(username="inactive").update(is_active=False)
    User.objects.filter(username="no_email").update(email="")
    watcher("lost_role", T.ALL).groups.clear()
    own_permission = watcher("own_permission", T.ALL)
    own_permission.groups.clear()
    own_permission.user_permissions.add(Permission.objects.get(codename="view_claim"))
    superuser = f.UserFactory(username="superuser", is_superuser=True)
    services.subscription_create(actor=superuser, target=T.ALL)
    services.subscription_create(actor=actor, target=T.ALL)

    f.transition(claim=claim, status=S.IN_REVIEW, actor=actor)

    emailed = Delivery.objects.filter(
        channel=DeliveryChannel.EMAIL, event__type=EventType.CLAIM_STATUS_CHANGED
    ).values_list("user__username", flat=True)
    watchers = ["by_claim", "by_tag", "by_source", "by_all", "own_permission", "superuser"]
    assert sorted(emailed) == sorted([creator.username, assignee.username, *watchers])


def test_a_muted_claim_emails_nobody_who_muted_it_whatever_else_matches():
    creator, assignee, actor = f.editor(), f.reviewer(), f.reviewer()
    claimant = f.source(name="Kremlin")
    claim = f.claim(actor=creator, claimant=claimant, tags=["nato"], assignee=assignee)
    other = f.claim(actor=creator, claimant=claimant, tags=["nato"], assignee=assignee)
    T = SubscriptionTarget
    fan = f.viewer(username="fan")
    services.subscription_create(actor=fan, target=T.TAG, tag=Tag.objects.get(name="nato"))
    services.subscription_create(actor=fan, target=T.SOURCE, source=claimant)
    services.subscription_create(actor=fan, target=T.ALL)
    services.claim_watch(actor=fan, claim=claim)
    keen = f.viewer(username="keen")
    services.claim_watch(actor=keen, claim=claim)
    for user in (creator, assignee, fan):
        services.claim_unwatch(actor=user, claim=claim)
        assert not selectors.claim_watched(user=user, claim=claim)
        assert selectors.claim_watched(user=user, claim=other)

    f.transition(claim=claim, status=S.IN_REVIEW, actor=actor)
    f.transition(claim=other, status=S.IN_REVIEW, actor=actor)

    def emailed(about):
        return sorted(
            Delivery.objects.filter(
                channel=DeliveryChannel.EMAIL,
                event__claim=about,
                event__type=EventType.CLAIM_STATUS_CHANGED,
            ).values_list("user__username", flat=True)
        )

    assert emailed(claim) == ["keen"]
    assert emailed(other) == sorted([creator.username, assignee.username, "fan"])
    services.claim_watch(actor=fan, claim=claim)
    f.transition(claim=claim, status=S.UNVERIFIED, actor=actor)
    assert emailed(claim) == ["fan", "keen", "keen"]


def test_auto_watch_can_be_turned_off(settings):
    settings.NOTIFY_AUTO_WATCH = False
    claim = f.claim()
    f.transition(claim=claim, status=S.IN_REVIEW)
    assert not Delivery.objects.filter(channel=DeliveryChannel.EMAIL).exists()


def test_webhooks_get_only_their_event_types():
    owner = admin_user()
    services.webhook_endpoint_create(
        actor=owner, url="http://127.0.0.1:9/a", event_types=[EventType.CLAIM_STATUS_CHANGED]
    )
    services.webhook_endpoint_create(
        actor=owner, url="http://127.0.0.1:9/b", event_types=[EventType.EVIDENCE_ADDED]
    )
    claim = f.claim()
    f.evidence(claim=claim)
    types = {
        (d.event.type, d.endpoint.url)
        for d in Delivery.objects.filter(channel=DeliveryChannel.WEBHOOK).select_related(
            "event", "endpoint"
        )
    }
    assert types == {(EventType.EVIDENCE_ADDED, "http://127.0.0.1:9/b")}
    assert Event.objects.filter(type=EventType.CLAIM_CREATED).count() == 1


def test_transition_queries_do_not_grow_with_recipients(django_assert_max_num_queries):
    owner = admin_user()
    for n in range(20):
        services.webhook_endpoint_create(
            actor=owner, url=f"http://127.0.0.1:9/{n}", event_types=[EventType.CLAIM_STATUS_CHANGED]
        )
        services.subscription_create(actor=f.viewer(), target=SubscriptionTarget.ALL)
    claim = f.claim()
    actor = f.reviewer()
    actor.has_perm("claims.change_claim_status")
    with django_assert_max_num_queries(12):
        f.transition(claim=claim, status=S.IN_REVIEW, actor=actor)
    assert Delivery.objects.filter(event__type=EventType.CLAIM_STATUS_CHANGED).count() == 41


def test_backoff_follows_the_schedule_with_jitter(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 60]
    assert 4 <= delivery.backoff_seconds(1) <= 6
    assert 48 <= delivery.backoff_seconds(2) <= 72
    assert delivery.backoff_seconds(3) is None


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert delivery.retry_after_seconds("120", now=now) == 120
    assert delivery.retry_after_seconds("Thu, 01 Jan 2026 00:01:00 GMT", now=now) == 60
    assert delivery.retry_after_seconds("nonsense", now=now) is None
    assert delivery.retry_after_seconds("999999", now=now) == 86400


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://10.1.2.3/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://localhost/",
        "http://93.184.215.14/",  # public, but plain http
        "ftp://93.184.215.14/",
        "https://user:pw@93.184.215.14/",
    ],
)
def test_ssrf_guard_refuses_non_public_or_insecure_urls(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(outbound.UnsafeURLError):
        outbound.url_check(url)


def test_ssrf_guard_connects_to_the_checked_address(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    target = outbound.url_check("https://93.184.215.14:8443/hook?x=1")
    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/hook?x=1")


def test_registering_a_private_url_in_production_is_refused(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ValidationError, match="non-public"):
        services.webhook_endpoint_create(
            actor=admin_user(), url="https://127.0.0.1/", event_types=[EventType.CLAIM_CREATED]
        )


def test_secrets_are_random():
    assert secret_generate() != secret_generate()
