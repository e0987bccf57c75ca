"""End to end: a real worker (and beat) on the real broker, a real receiver, real PostgreSQL.

Each test commits its rows (transactional_db) so the worker process sees them.
"""

from __future__ import annotations

import threading

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from claims import services as claim_services
from claims.models import ClaimStatus as S
from config.celery import app as celery_app
from matching import services as merge_services
from notifications import services
from notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Event,
    EventType,
    SubscriptionTarget,
)
from tests import factories as f
from tests.notifications.conftest import Receiver, Workers, wait_for
from verification.services import claim_transition, verdict_approve

pytestmark = pytest.mark.django_db(transaction=True)
CHANGED = EventType.CLAIM_STATUS_CHANGED


def endpoint_for(receiver: Receiver, *types: str):
    owner = f.UserFactory(is_superuser=True)
    endpoint, secret = services.webhook_endpoint_create(
        actor=owner, url=receiver.url, event_types=list(types or [CHANGED])
    )
    receiver.secret = secret
    return endpoint


def delivery_of(event_id, channel=DeliveryChannel.WEBHOOK) -> Delivery:
    return Delivery.objects.get(event_id=event_id, channel=channel)


def test_status_change_reaches_the_receiver_signed(workers: Workers, receiver: Receiver):
    endpoint_for(receiver)
    workers.start()
    claim = f.claim()
    reviewer = f.reviewer()

    change = f.transition(claim=claim, status=S.IN_REVIEW, actor=reviewer, reason="Checking.")

    [got] = wait_for(lambda: receiver.of_type(CHANGED), "the webhook")
    assert got.verified, got.error
    data = got.payload["data"]
    assert data["claim"]["id"] == str(claim.pk)
    assert (data["from_status"], data["to_status"]) == (S.UNVERIFIED, S.IN_REVIEW)
    assert data["reason"] == "Checking."
    assert data["actor"]["username"] == reviewer.username
    assert data["version"] == change.claim_version
    event = Event.objects.get(type=CHANGED)
    assert got.webhook_id == str(event.pk) == got.payload["id"]
    wait_for(lambda: delivery_of(event.pk).status == DeliveryStatus.SUCCEEDED, "the delivery's row")
    delivery = delivery_of(event.pk)
    [attempt] = delivery.attempts.all()
    assert attempt.status_code == 200
    # A duplicate task for a delivery already sent does nothing.
    assert services.delivery_send(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.of_type(CHANGED)) == 1


def test_subscribers_get_one_email_and_the_actor_none(workers: Workers, receiver: Receiver):
    workers.start()
    creator = f.editor()
    tags_fan = f.viewer()
    everything_fan = f.viewer()
    reviewer = f.reviewer()
    approver = f.reviewer()
    claim = f.claim(actor=creator, tags=["ukraine"])
    services.subscription_create(
        actor=tags_fan, target=SubscriptionTarget.TAG, tag=claim.tags.get()
    )
    services.claim_watch(actor=tags_fan, claim=claim)  # two matches, one email
    services.subscription_create(actor=everything_fan, target=SubscriptionTarget.ALL)
    services.subscription_create(actor=reviewer, target=SubscriptionTarget.ALL)
    services.subscription_create(actor=approver, target=SubscriptionTarget.ALL)
    evidence = f.evidence(claim=claim, description="Satellite image of the base")
    f.transition(claim=claim, status=S.IN_REVIEW, actor=reviewer)
    claim.refresh_from_db()

    # The reviewer proposes the verdict; another approves it: the approval is the change.
    claim_transition(
        actor=reviewer, claim=claim, status=S.FALSE, reason="Troops seen.",
        evidence=[evidence], channel="api",
    )  # fmt: skip
    verdict_approve(actor=approver, claim=claim, channel="api")

    def verdict_mails():
        return [m for m in workers.emails() if "→ false" in m["Subject"]]

    # Everyone watching, the proposer too (they hear of the approval); not the approver.
    wait_for(lambda: len(verdict_mails()) >= 4, "four emails")
    recipients = sorted(m["To"] for m in verdict_mails())
    assert recipients == sorted(
        [creator.email, tags_fan.email, everything_fan.email, reviewer.email]
    )

    def proposed_mails():
        return [m for m in workers.emails() if "Approve or reject: false?" in m["Subject"]]

    wait_for(lambda: len(proposed_mails()) >= 4, "four emails of the proposal")
    proposed = proposed_mails()
    assert sorted(m["To"] for m in proposed) == sorted(
        [creator.email, tags_fan.email, everything_fan.email, approver.email]
    )
    mail = verdict_mails()[0]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Troops seen." in mail.get_body(preferencelist=("html",)).get_content()
    assert "in_review → false" in text
    assert "Troops seen." in text
    assert "Satellite image of the base" in text
    assert f"/admin/claims/claim/{claim.pk}/change/" in text


def test_rolled_back_transition_sends_nothing(workers: Workers, receiver: Receiver):
    endpoint_for(receiver)
    workers.start()
    rolled_back = f.claim()
    committed = f.claim()

    with pytest.raises(RuntimeError), transaction.atomic():
        f.transition(claim=rolled_back, status=S.IN_REVIEW)
        raise RuntimeError("the caller fails after the transition")
    f.transition(claim=committed, status=S.IN_REVIEW)

    [got] = wait_for(lambda: receiver.of_type(CHANGED), "the committed change's webhook")
    assert got.payload["data"]["claim"]["id"] == str(committed.pk)
    assert not Event.objects.filter(claim=rolled_back, type=CHANGED).exists()


def test_broker_down_delays_but_does_not_lose(
    workers: Workers, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    endpoint_for(receiver)
    claim = f.claim()

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(celery_app, "send_task", broker_down)
        change = f.transition(claim=claim, status=S.IN_REVIEW)

    change.claim.refresh_from_db()
    assert change.claim.status == S.IN_REVIEW  # the transition itself succeeded
    delivery = Delivery.objects.get(event__type=CHANGED, channel=DeliveryChannel.WEBHOOK)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.queued_at is None  # marked for the sweeper
    # The broker is back; beat's sweeper in the worker queues it.
    workers.start()
    [got] = wait_for(lambda: receiver.of_type(CHANGED), "the webhook after the outage")
    assert got.verified
    assert got.webhook_id == str(delivery.event_id)


def test_worker_killed_mid_delivery_still_delivers_with_one_id(
    workers: Workers, receiver: Receiver
):
    endpoint_for(receiver)
    receiver.hold = threading.Event()  # the receiver keeps the first request open
    first = workers.start()
    f.transition(claim=f.claim(), status=S.IN_REVIEW)
    wait_for(lambda: receiver.of_type(CHANGED), "the first request")

    workers.kill(first)  # mid-delivery: no answer read, no attempt recorded, nothing acked
    receiver.hold.set()
    receiver.hold = None
    workers.start()

    event = Event.objects.get(type=CHANGED)
    wait_for(
        lambda: delivery_of(event.pk).status == DeliveryStatus.SUCCEEDED,
        "the delivery by the second worker",
    )
    copies = receiver.of_type(CHANGED)
    assert len(copies) >= 2
    assert {copy.webhook_id for copy in copies} == {str(event.pk)}
    assert all(copy.verified for copy in copies)


def test_500_then_200_is_retried_and_delivered(workers: Workers, receiver: Receiver):
    endpoint_for(receiver)
    receiver.answers = [500, 200]
    workers.start()
    f.transition(claim=f.claim(), status=S.IN_REVIEW)

    event = Event.objects.get(type=CHANGED)
    wait_for(lambda: delivery_of(event.pk).status == DeliveryStatus.SUCCEEDED, "the retry")
    codes = list(delivery_of(event.pk).attempts.values_list("status_code", flat=True))
    assert codes == [500, 200]
    copies = receiver.of_type(CHANGED)
    assert len(copies) == 2
    assert copies[0].webhook_id == copies[1].webhook_id


def test_always_failing_is_dead_then_replay_delivers(workers: Workers, receiver: Receiver):
    endpoint = endpoint_for(receiver)
    receiver.answers = [500]
    workers.start()
    f.transition(claim=f.claim(), status=S.IN_REVIEW)

    event = Event.objects.get(type=CHANGED)
    wait_for(lambda: delivery_of(event.pk).status == DeliveryStatus.DEAD, "the dead letter")
    delivery = delivery_of(event.pk)
    assert delivery.attempts.count() == 3  # the first and two retries (schedule 0.5, 0.5)
    assert delivery.last_error == "HTTP 500"

    receiver.answers = [200]
    services.delivery_replay(actor=endpoint.owner, delivery=delivery)
    wait_for(lambda: delivery_of(event.pk).status == DeliveryStatus.SUCCEEDED, "the replay")
    copies = receiver.of_type(CHANGED)
    assert len(copies) == 4
    assert {copy.webhook_id for copy in copies} == {str(event.pk)}


def test_an_assignment_reaches_the_assignee_and_the_receiver(workers: Workers, receiver: Receiver):
    endpoint_for(receiver, EventType.CLAIM_ASSIGNED)
    workers.start()
    editor = f.editor(username="edith")
    olena = f.reviewer(username="olena")
    claim = f.claim(actor=editor, text="Russia has no plans to invade Ukraine.")

    claim_services.claim_assign(actor=editor, claim=claim, assignee=olena)
    claim_services.claim_assign(actor=editor, claim=claim, assignee=None)

    def assignment_mails():
        return [m for m in workers.emails() if "Russia has no plans" in m["Subject"]]

    wait_for(lambda: len(receiver.of_type(EventType.CLAIM_ASSIGNED)) == 2, "two webhooks")
    got = receiver.of_type(EventType.CLAIM_ASSIGNED)
    assert all(item.verified for item in got)
    assignees = sorted(str(item.payload["data"]["assignee"]) for item in got)
    assert assignees == ["None", str({"id": olena.pk, "username": "olena"})]
    wait_for(lambda: len(assignment_mails()) == 2, "two emails")
    subjects = sorted((m["To"], m["Subject"].split(":")[0]) for m in assignment_mails())
    assert subjects == [
        (olena.email, "[Claim tracker] Assigned to you"),
        (olena.email, "[Claim tracker] No longer yours"),
    ]


def test_a_merge_reaches_the_receiver_and_the_duplicates_watchers(
    workers: Workers, receiver: Receiver
):
    endpoint_for(receiver, EventType.CLAIM_MERGED)
    workers.start()
    reviewer = f.reviewer(username="olena")
    canonical = f.claim(text="Russia has ordered troops near Ukraine's border back to bases.")
    duplicate = f.claim(text="Россия приказала войскам у границы с Украиной вернуться в казармы.")
    watcher = f.viewer(username="watcher", email="watcher@example.org")
    services.claim_watch(actor=watcher, claim=duplicate)

    merge_services.claim_merge(
        actor=reviewer,
        duplicate=duplicate,
        canonical=canonical,
        version=duplicate.version,
        canonical_version=canonical.version,
    )

    [got] = wait_for(lambda: receiver.of_type(EventType.CLAIM_MERGED), "the webhook")
    assert got.verified, got.error
    data = got.payload["data"]
    assert (data["claim"]["id"], data["canonical"]["id"]) == (str(duplicate.pk), str(canonical.pk))
    assert data["claim"]["text"] == duplicate.text  # Cyrillic, as written
    assert data["actor"]["username"] == "olena"
    [mail] = wait_for(
        lambda: [m for m in workers.emails() if m["To"] == "watcher@example.org"], "the email"
    )
    # A long Cyrillic subject is folded into encoded words, which unfold after a space.
    subject = mail["Subject"].strip()
    assert subject == f"[Claim tracker] Merged into another claim: {duplicate.text}"
