"""A fact check under embargo is announced at its time by beat and a real worker: once, to
webhooks and to the claim's watchers."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Event, EventType
from notifications.services import webhook_endpoint_create
from publishing.models import Publication
from tests import factories as f
from tests.notifications.conftest import Receiver, Workers, receiver, wait_for, workers

__all__ = ["receiver", "workers"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)
PUBLISHED = EventType.CLAIM_PUBLISHED


def test_an_embargoed_fact_check_is_announced_once_at_its_time(
    workers: Workers, receiver: Receiver
) -> None:
    owner = f.UserFactory(is_superuser=True)
    _, receiver.secret = webhook_endpoint_create(
        actor=owner, url=receiver.url, event_types=[PUBLISHED]
    )
    editor = f.editor()  # watches the claims they create
    claim = f.claim(actor=editor, text="Troops returned to their bases.")
    reviewer = f.reviewer()
    f.verdict(claim=claim, status="false", actor=reviewer)
    claim.refresh_from_db()
    at = timezone.now() + timedelta(seconds=3)
    f.published(claim=claim, actor=reviewer, publish_at=at)
    workers.env["PUBLISH_ANNOUNCE_SECONDS"] = "0.5"
    workers.start()
    workers.start()  # two beats: still announced once

    [got] = wait_for(lambda: receiver.of_type(PUBLISHED), "the claim.published webhook")
    assert got.verified, got.error
    assert timezone.now() >= at
    publication = Publication.objects.get(claim=claim)
    assert got.payload["data"]["public_url"].endswith(
        f"/fact-checks/{claim.pk}/{publication.slug}/"
    )
    assert got.payload["data"]["rating"]["label"] == "False"

    def published_emails() -> list:
        return [mail for mail in workers.emails() if "Fact check published" in mail["Subject"]]

    [email] = wait_for(published_emails, "the watcher's email")
    assert email["To"] == editor.email
    assert "Fact check published (False)" in email["Subject"]
    assert "troops-returned-to-their-bases" in email.get_body(("plain",)).get_content()
    time.sleep(2)  # a few more beats of both workers
    assert Event.objects.filter(type=PUBLISHED).count() == 1
    assert len(receiver.of_type(PUBLISHED)) == 1
