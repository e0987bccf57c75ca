"""Assignments reach people: ``claim.assigned`` to webhooks, and an email to the new and the
previous assignee (not to watchers, never to whoever made the change), through the outbox."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims import services as claim_services
from notifications import services
from notifications.models import Delivery, DeliveryChannel, Event, EventType, SubscriptionTarget
from tests import factories as f
from tests.admin.browser import form_data
from tests.api.conftest import token_for

pytestmark = pytest.mark.django_db
ASSIGNED = EventType.CLAIM_ASSIGNED


def emailed(event: Event) -> list[str]:
    rows = Delivery.objects.filter(event=event, channel=DeliveryChannel.EMAIL)
    return sorted(row.user.username for row in rows.select_related("user"))


def sent(event: Event) -> list[tuple[list[str], str, str]]:
    """Send the event's emails as the worker does; (to, subject, body) of each."""
    mail.outbox.clear()
    for row in Delivery.objects.filter(event=event, channel=DeliveryChannel.EMAIL):
        assert services.delivery_send(delivery_id=row.pk) == "succeeded"
    return sorted((message.to, message.subject, message.body) for message in mail.outbox)


def test_assigning_unassigning_and_reassigning_tell_the_people_concerned():
    editor = f.editor(username="edith")
    olena = f.reviewer(username="olena", email="olena@example.org")
    marc = f.reviewer(username="marc", email="marc@example.org")
    watcher = f.viewer()
    services.subscription_create(actor=watcher, target=SubscriptionTarget.ALL)
    owner = f.UserFactory(is_superuser=True)
    endpoint, _ = services.webhook_endpoint_create(
        actor=owner, url="http://127.0.0.1:9/claims", event_types=[ASSIGNED]
    )
    claim = f.claim(actor=editor, text="Russia has amassed more than 100,000 troops.")

    claim_services.claim_assign(actor=editor, claim=claim, assignee=olena)
    assigned = Event.objects.get(type=ASSIGNED)
    assert assigned.payload["data"]["assignee"]["username"] == "olena"
    assert assigned.payload["data"]["previous_assignee"] is None
    assert emailed(assigned) == ["olena"]  # not the watcher, not the editor who assigned
    assert Delivery.objects.get(event=assigned, channel=DeliveryChannel.WEBHOOK).endpoint == (
        endpoint
    )
    [(to, subject, body)] = sent(assigned)
    assert to == ["olena@example.org"]
    assert subject == "[Claim tracker] Assigned to you: " + claim.text
    assert "edith assigned you a claim to review" in body

    claim_services.claim_assign(actor=editor, claim=claim, assignee=marc)
    reassigned = Event.objects.filter(type=ASSIGNED).latest("occurred_at")
    assert emailed(reassigned) == ["marc", "olena"]
    messages = {tuple(to): (subject, body) for to, subject, body in sent(reassigned)}
    assert messages[("olena@example.org",)][0].startswith("[Claim tracker] No longer yours:")
    assert "it is now marc's" in messages[("olena@example.org",)][1]
    assert "(it was olena's)" in messages[("marc@example.org",)][1]

    claim_services.claim_assign(actor=editor, claim=claim, assignee=None)
    unassigned = Event.objects.filter(type=ASSIGNED).latest("occurred_at")
    assert unassigned.payload["data"]["assignee"] is None
    assert emailed(unassigned) == ["marc"]
    [(_, _, body)] = sent(unassigned)
    assert "nobody is assigned it now" in body

    claim_services.claim_assign(actor=editor, claim=claim, assignee=None)  # no change
    assert Event.objects.filter(type=ASSIGNED).count() == 3


def test_assigning_oneself_emails_nobody_but_the_webhook_hears_it():
    olena = f.reviewer(username="olena")
    owner = f.UserFactory(is_superuser=True)
    services.webhook_endpoint_create(
        actor=owner, url="http://127.0.0.1:9/claims", event_types=[ASSIGNED]
    )

    claim = f.claim(actor=olena, assignee=olena)

    event = Event.objects.get(type=ASSIGNED)
    assert emailed(event) == []
    assert Delivery.objects.filter(event=event, channel=DeliveryChannel.WEBHOOK).count() == 1
    assert event.payload["data"]["claim"]["id"] == str(claim.pk)


def test_the_api_and_the_admin_assign_through_the_same_path():
    editor = f.editor(username="edith")
    f.reviewer(username="olena")
    marc = f.reviewer(username="marc")
    claim = f.claim(actor=editor)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(editor)}")
    etag = api.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    patched = api.patch(
        f"/api/v1/claims/{claim.pk}/", {"assignee": "olena"}, format="json", HTTP_IF_MATCH=etag
    )
    assert patched.status_code == 200, patched.json()
    admin = Client()
    admin.force_login(editor)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = form_data(admin.get(url), "claim_form")
    data["assignee"] = str(marc.pk)
    assert admin.post(url, data).status_code == 302

    events = Event.objects.filter(type=ASSIGNED).order_by("occurred_at")
    assert [emailed(event) for event in events] == [["olena"], ["marc", "olena"]]
    assert [event.payload["data"]["assignee"]["username"] for event in events] == [
        "olena",
        "marc",
    ]


def test_someone_who_muted_the_claim_is_not_emailed_about_its_assignment():
    editor = f.editor()
    olena = f.reviewer(username="olena")
    claim = f.claim(actor=editor)
    services.claim_unwatch(actor=olena, claim=claim)  # muted: no email about it, whatever

    claim_services.claim_assign(actor=editor, claim=claim, assignee=olena)

    assert emailed(Event.objects.get(type=ASSIGNED)) == []
