"""Access follows the user, through a real worker (and beat), broker and receiver.

Each test commits its rows (transactional_db) so the worker process sees them.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from kombu.exceptions import OperationalError

from claims.models import ClaimStatus as S
from config.celery import app as celery_app
from core import roles
from notifications import services
from notifications.models import Delivery, DeliveryStatus, EventType, WebhookEndpoint
from tests import factories as f
from tests.notifications.conftest import Receiver, Workers, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
CREATED = EventType.CLAIM_CREATED
CHANGED = EventType.CLAIM_STATUS_CHANGED


def webhook_manager() -> User:
    user = f.editor()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="notifications", codename__endswith="webhookendpoint"
        )
    )
    return user


def endpoint_of(owner: User, receiver: Receiver, *types: str) -> WebhookEndpoint:
    endpoint, secret = services.webhook_endpoint_create(
        actor=owner, url=receiver.url, event_types=list(types)
    )
    receiver.secret = secret
    return endpoint


def final_status(delivery: Delivery) -> str:
    status = Delivery.objects.get(pk=delivery.pk).status
    return status if status != DeliveryStatus.PENDING else ""


def test_the_endpoint_of_a_deactivated_user_gets_no_event_and_is_paused(
    workers: Workers, receiver: Receiver
):
    leaver = webhook_manager()
    paused = endpoint_of(leaver, receiver, CREATED)
    # Another owner's endpoint on the same receiver: the event itself is sent.
    kept = endpoint_of(webhook_manager(), receiver, CREATED)
    workers.start()
    User.objects.filter(pk=leaver.pk).update(is_active=False)

    claim = f.claim(text="Troops return to their bases.")

    withheld = Delivery.objects.get(endpoint=paused, event__claim=claim)
    sent = Delivery.objects.get(endpoint=kept, event__claim=claim)
    assert wait_for(lambda: final_status(withheld), "the first delivery") == "withheld"
    assert wait_for(lambda: final_status(sent), "the second delivery") == "succeeded"
    [got] = receiver.of_type(CREATED)
    assert got.verified  # signed with the kept endpoint's secret, the one the receiver knows
    assert got.webhook_id == str(sent.event_id)
    paused.refresh_from_db()
    assert not paused.active
    assert leaver.username in paused.paused_reason and "deactivated" in paused.paused_reason
    assert paused.paused_at is not None
    # The next event is not even written for the paused endpoint.
    f.claim()
    assert not Delivery.objects.filter(endpoint=paused).exclude(pk=withheld.pk).exists()


def test_access_lost_after_the_delivery_was_written_is_checked_when_it_is_sent(
    workers: Workers, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    owner = webhook_manager()
    endpoint = endpoint_of(owner, receiver, CHANGED)
    watcher = f.viewer()
    claim = f.claim()
    services.claim_watch(actor=watcher, claim=claim)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(celery_app, "send_task", broker_down)
        change = f.transition(claim=claim, status=S.IN_REVIEW)
    hook = Delivery.objects.get(endpoint=endpoint, event__type=CHANGED)
    email = Delivery.objects.get(user=watcher, event__type=CHANGED)
    assert {hook.status, email.status} == {DeliveryStatus.PENDING}
    # Written while both had access; both lose it before the worker sends.
    owner.groups.clear()
    User.objects.filter(pk=watcher.pk).update(is_active=False)

    workers.start()  # its beat queues what the broker did not get

    assert wait_for(lambda: final_status(hook), "the webhook delivery") == "withheld"
    assert wait_for(lambda: final_status(email), "the email delivery") == "withheld"
    assert receiver.of_type(CHANGED) == []
    assert [m for m in workers.emails() if m["To"] == watcher.email] == []
    endpoint.refresh_from_db()
    assert not endpoint.active and owner.username in endpoint.paused_reason

    # Access is given back: the owner enables the endpoint and replays what was withheld.
    owner.groups.add(Group.objects.get(name=roles.EDITOR))
    owner = User.objects.get(pk=owner.pk)
    services.webhook_endpoint_update(actor=owner, endpoint=endpoint, data={"active": True})
    services.delivery_replay(actor=owner, delivery=hook)
    [got] = wait_for(lambda: receiver.of_type(CHANGED), "the replayed webhook")
    assert got.verified
    assert got.payload["data"]["status_change_id"] == change.pk


def test_a_claim_typed_with_crlf_is_emailed_by_the_worker(workers: Workers, receiver: Receiver):
    workers.start()
    watcher = f.viewer()
    claim = f.claim(text="Troops\r\nare leaving\u2028the border.")
    services.claim_watch(actor=watcher, claim=claim)

    f.transition(claim=claim, status=S.IN_REVIEW)

    [message] = wait_for(
        lambda: [m for m in workers.emails() if m["To"] == watcher.email], "the email"
    )
    subject = str(message["Subject"])
    assert not {"\r", "\n", "\u2028"} & set(subject)
    # An encoded subject is folded after "Subject:"; parsed back it keeps a leading space.
    assert (
        subject.strip() == "[Claim tracker] unverified → in_review: Troops are leaving the border."
    )
    # The worker records success just after the email is written.
    wait_for(
        lambda: Delivery.objects.filter(user=watcher, status=DeliveryStatus.SUCCEEDED).exists(),
        "the email's delivery to be recorded as succeeded",
    )
