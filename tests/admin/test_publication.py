"""Publishing in the admin: the claim page's Publish and Unpublish, evidence made public, and
the rating scale; refused in the API's words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from core.errors import STALE_MESSAGE
from publishing.models import Publication, PublicationChange, RatingLabel, RatingScale
from tests import factories
from tests.admin.browser import form_data, messages_of

pytestmark = pytest.mark.django_db


def publish_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_publish", args=[claim.pk])


def unpublish_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_unpublish", args=[claim.pk])


def change_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def post_form(client: Client, url: str, fields: dict[str, Any]) -> Any:
    data = form_data(client.get(url), "publication-form")
    return client.post(url, {**data, **fields})


@pytest.fixture
def with_verdict() -> Claim:
    claim = factories.claim(text="Troops are going home.")
    factories.verdict(claim=claim, status="false", reason="They are not.")
    return Claim.objects.get(pk=claim.pk)


def test_publish_now_then_unpublish(reviewer_client: Client, with_verdict: Claim) -> None:
    page = reviewer_client.get(change_url(with_verdict)).content.decode()
    assert publish_url(with_verdict) in page
    assert "Public site: <strong>Not published</strong>" in page

    done = post_form(reviewer_client, publish_url(with_verdict), {})
    assert done.status_code == 302, done.content.decode()[:2000]
    publication = Publication.objects.get(claim=with_verdict)
    assert publication.rating_label == "False"
    page = reviewer_client.get(done["Location"]).content.decode()
    assert "Published as “False”. It is public at http://127.0.0.1:8000/fact-checks/" in page
    assert unpublish_url(with_verdict) in page
    assert 'id="publication-history"' in page

    missing = post_form(reviewer_client, unpublish_url(with_verdict), {"reason": " "})
    assert missing.status_code == 200
    assert "This field is required." in missing.content.decode()
    gone = post_form(reviewer_client, unpublish_url(with_verdict), {"reason": "Retracted."})
    assert gone.status_code == 302
    assert Publication.objects.get(claim=with_verdict).unpublished_at is not None
    assert [change.action for change in PublicationChange.objects.all()] == [
        "published",
        "unpublished",
    ]


def test_refusals_are_form_errors_in_the_apis_words(
    reviewer_client: Client, editor_client: Client, with_verdict: Claim
) -> None:
    assert editor_client.get(publish_url(with_verdict)).status_code == 403
    assert (
        publish_url(with_verdict)
        not in editor_client.get(change_url(with_verdict)).content.decode()
    )

    past = post_form(
        reviewer_client,
        publish_url(with_verdict),
        {"publish_at_0": "2020-01-01", "publish_at_1": "10:00:00"},
    )
    assert past.status_code == 200
    assert "is in the past. Give a future time, or leave it out to publish now." in (
        past.content.decode()
    )
    garbled = post_form(
        reviewer_client, publish_url(with_verdict), {"publish_at_0": "soon", "publish_at_1": "x"}
    )
    assert "Enter a valid date." in garbled.content.decode()

    data = form_data(reviewer_client.get(publish_url(with_verdict)), "publication-form")
    factories.transition(claim=with_verdict, status="in_review", reason="Reopened.")
    stale = reviewer_client.post(publish_url(with_verdict), data)
    assert STALE_MESSAGE in stale.content.decode()
    data["version"] = str(Claim.objects.get(pk=with_verdict.pk).version)
    no_verdict = reviewer_client.post(publish_url(with_verdict), data)
    assert "Only a claim with a verdict" in no_verdict.content.decode()
    assert not Publication.objects.exists()


def test_publish_under_embargo(
    reviewer_client: Client, with_verdict: Claim, client: Client
) -> None:
    at = timezone.localtime(timezone.now() + timedelta(days=2))
    done = post_form(
        reviewer_client,
        publish_url(with_verdict),
        {"publish_at_0": at.strftime("%Y-%m-%d"), "publish_at_1": at.strftime("%H:%M:%S")},
    )
    assert done.status_code == 302
    message = messages_of(reviewer_client.get(done["Location"]))
    assert any("It becomes public on" in text for text in message)
    assert client.get(f"/fact-checks/{with_verdict.pk}/").status_code == 404


def test_evidence_made_public_on_the_claim_page(
    reviewer_client: Client, with_verdict: Claim
) -> None:
    evidence = with_verdict.evidence.get()
    assert evidence.public is False
    page = reviewer_client.get(change_url(with_verdict))
    data = form_data(page, "claim_form")
    prefix = next(
        name for name in data if name.endswith("-0-id") and data[name] == str(evidence.pk)
    )
    data[prefix.removesuffix("id") + "public"] = "on"
    saved = reviewer_client.post(change_url(with_verdict), data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    evidence.refresh_from_db()
    assert evidence.public is True


def test_a_label_outside_its_scale_is_refused(admin_client: Client) -> None:
    scale = RatingScale.objects.get(active=True)
    url = reverse("admin:publishing_ratingscale_change", args=[scale.pk])
    data = form_data(admin_client.get(url), "ratingscale_form")
    index = next(
        name.split("-")[1]
        for name, value in data.items()
        if name.endswith("-verdict") and value == "false"
    )
    data[f"labels-{index}-value"] = "9"
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert "The value must be between 1 and 5, the scale&#x27;s worst and best." in (
        refused.content.decode()
    )
    assert RatingLabel.objects.get(scale=scale, verdict="false").value == 1
